package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lineage-oss/lineage/admin"
)

// clientCredentials is the client_credentials grant (RFC 6749 §4.4): each
// worker asks /token for a new access token, authenticated with
// client_secret_basic, and checks that a JWT (RFC 9068) comes back. Every
// answer is a new token with its own jti.
type clientCredentials struct {
	auth string
	env  *Env
}

var _ Scenario = (*clientCredentials)(nil)

func (s *clientCredentials) Name() string { return ScenarioClientCredentials }

// Setup creates one confidential client and checks that it gets a token.
func (s *clientCredentials) Setup(ctx context.Context, env *Env) (Setup, error) {
	s.env = env
	c, err := env.Admin.CreateClient(ctx, "cc", admin.ClientInput{GrantTypes: []string{"client_credentials"}})
	if err != nil {
		return Setup{}, err
	}
	s.auth = BasicAuth(c.Client.ID, c.Secret)
	if _, err := mintToken(ctx, env.Public, s.auth, new(bytes.Buffer)); err != nil {
		return Setup{}, fmt.Errorf("the new client %s gets no token: %w", c.Client.ID, err)
	}
	return Setup{Summary: "one client_secret_basic client " + c.Client.ID}, nil
}

func (s *clientCredentials) Worker(int) Worker {
	return &clientCredentialsWorker{public: s.env.Public, auth: s.auth}
}

var _ Worker = (*clientCredentialsWorker)(nil)

type clientCredentialsWorker struct {
	public *Public
	auth   string
	buf    bytes.Buffer
}

func (w *clientCredentialsWorker) Do(ctx context.Context) Result {
	_, err := mintToken(ctx, w.public, w.auth, &w.buf)
	return Result{Err: err}
}

// tokenResponse is the part of RFC 6749 §5.1's answer that is checked.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// mintToken asks /token for an access token with the client_credentials
// grant and checks the answer: a JWT (three dot-separated parts) of type
// Bearer with a lifetime.
func mintToken(ctx context.Context, p *Public, auth string, buf *bytes.Buffer) (string, error) {
	if err := p.PostForm(ctx, "/token", auth, "grant_type=client_credentials", buf); err != nil {
		return "", err
	}
	var tr tokenResponse
	if err := json.Unmarshal(buf.Bytes(), &tr); err != nil {
		return "", failf(ErrUnexpectedBody, "the token response is not JSON")
	}
	if strings.Count(tr.AccessToken, ".") != 2 || !strings.EqualFold(tr.TokenType, "Bearer") || tr.ExpiresIn <= 0 {
		return "", failf(ErrUnexpectedBody, "the token response lacks a JWT access_token, token_type Bearer or expires_in")
	}
	return tr.AccessToken, nil
}
