package sigv4

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// attempt is what the test issuer saw of one request.
type attempt struct {
	path          string
	signedHeaders []string
	caller        Caller
	err           error
}

// testIssuer is an httptest server that verifies each request with Verify
// and answers the smallest body the SDKs accept: GetCallerIdentity (STS,
// awsQuery XML) on POST /, CreateTokenWithIAM (SSO-OIDC, restJson1) on
// POST /token?aws_iam=t, and errors in each protocol's shape.
type testIssuer struct {
	srv      *httptest.Server
	verifier *Verifier
	keys     *keyring
	now      func() time.Time

	mu       sync.Mutex
	attempts []attempt
}

func newTestIssuer(t *testing.T, now func() time.Time) *testIssuer {
	t.Helper()
	is := &testIssuer{keys: newKeyring(), now: now}
	is.srv = httptest.NewUnstartedServer(http.HandlerFunc(is.serveHTTP))
	v, err := New(Options{
		Region:   testRegion,
		Services: []string{"sso-oauth", "sts"},
		Host:     is.srv.Listener.Addr().String(),
		Now:      now,
	})
	if err != nil {
		t.Fatal(err)
	}
	is.verifier = v
	is.srv.Start()
	t.Cleanup(is.srv.Close)
	return is
}

func (is *testIssuer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", is.now().UTC().Format(http.TimeFormat))
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-0000-0000-000000000001")
	oidc := r.URL.Path == "/token" && r.URL.Query().Get("aws_iam") == "t"
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, DefaultMaxBodyBytes))
	if err != nil {
		http.Error(w, "body", http.StatusRequestEntityTooLarge)
		return
	}
	c, err := is.verifier.Verify(r.Context(), r, body, is.keys.lookup)
	a, _ := parseAuthorization(r.Header.Get("Authorization"))
	is.mu.Lock()
	is.attempts = append(is.attempts, attempt{path: r.URL.RequestURI(), signedHeaders: a.SignedHeaders, caller: c, err: err})
	is.mu.Unlock()

	var e *Error
	switch {
	case err == nil && oidc:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"accessToken":"at-`+c.AccessKeyID+`","tokenType":"Bearer","expiresIn":3600}`)
	case err == nil:
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>`+c.AccessKeyID+`</UserId><Account>123456789012</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	case !errors.As(err, &e):
		http.Error(w, "internal error", http.StatusInternalServerError)
	case oidc:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", e.Code.JSONType())
		w.WriteHeader(e.Code.HTTPStatus())
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code.JSONType(), "message": e.Message})
	default:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.Code.HTTPStatus())
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
			xmlText(string(e.Code)), xmlText(e.Message))
	}
}

// xmlText escapes s for XML character data.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (is *testIssuer) seen() []attempt {
	is.mu.Lock()
	defer is.mu.Unlock()
	return append([]attempt(nil), is.attempts...)
}

// staticCredentials is a static credentials provider.
func staticCredentials(id, secret, token string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Source: "test"}, nil
	})
}

func getCallerIdentity(ctx context.Context, is *testIssuer, creds aws.CredentialsProvider, attempts int) error {
	client := sts.New(sts.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(is.srv.URL),
		Credentials:      creds,
		HTTPClient:       is.srv.Client(),
		RetryMaxAttempts: attempts,
	})
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return err
	}
	if aws.ToString(out.Account) != "123456789012" || aws.ToString(out.Arn) == "" {
		return fmt.Errorf("unexpected output %+v", out)
	}
	return nil
}

func createTokenWithIAM(ctx context.Context, is *testIssuer, creds aws.CredentialsProvider, attempts int) error {
	client := ssooidc.New(ssooidc.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(is.srv.URL),
		Credentials:      creds,
		HTTPClient:       is.srv.Client(),
		RetryMaxAttempts: attempts,
	})
	out, err := client.CreateTokenWithIAM(ctx, &ssooidc.CreateTokenWithIAMInput{
		ClientId:  aws.String("app"),
		GrantType: aws.String("urn:ietf:params:oauth:grant-type:jwt-bearer"),
		Assertion: aws.String("eyJhbGciOiJub25lIn0.e30."),
		Scope:     []string{"openid"},
	})
	if err != nil {
		return err
	}
	if aws.ToString(out.AccessToken) == "" || aws.ToString(out.TokenType) != "Bearer" || out.ExpiresIn != 3600 {
		return fmt.Errorf("unexpected output %+v", out)
	}
	return nil
}

// TestSDKClients sends requests with the real AWS SDK for Go v2 STS and
// SSO-OIDC clients to a server that verifies them.
func TestSDKClients(t *testing.T) {
	type call func(context.Context, *testIssuer, aws.CredentialsProvider, int) error
	clients := []struct {
		name     string
		call     call
		path     string
		service  string
		wantCode string // what the SDK reports for a bad signature
	}{
		{name: "sts GetCallerIdentity", call: getCallerIdentity, path: "/", service: "sts", wantCode: "SignatureDoesNotMatch"},
		{name: "ssooidc CreateTokenWithIAM", call: createTokenWithIAM, path: "/token?aws_iam=t", service: "sso-oauth", wantCode: "InvalidSignatureException"},
	}
	creds := []struct {
		name    string
		id      string
		secret  string
		token   string
		wantErr bool
	}{
		{name: "long-term key", id: longTermID, secret: testSecret},
		{name: "temporary key", id: temporaryID, secret: tempSecret, token: testToken},
		{name: "long-term key, wrong secret", id: longTermID, secret: wrongSecret, wantErr: true},
		{name: "temporary key, wrong secret", id: temporaryID, secret: testSecret, token: testToken, wantErr: true},
	}
	for _, cl := range clients {
		for _, cr := range creds {
			t.Run(cl.name+"/"+cr.name, func(t *testing.T) {
				is := newTestIssuer(t, time.Now)
				err := cl.call(context.Background(), is, staticCredentials(cr.id, cr.secret, cr.token), 1)
				seen := is.seen()
				if len(seen) != 1 {
					t.Fatalf("server saw %d requests, want 1", len(seen))
				}
				got := seen[0]
				if got.path != cl.path {
					t.Errorf("path = %q, want %q", got.path, cl.path)
				}
				if !cr.wantErr {
					if err != nil || got.err != nil {
						t.Fatalf("client: %v; server: %v", err, got.err)
					}
					if got.caller.AccessKeyID != cr.id || got.caller.SessionToken != cr.token || got.caller.Service != cl.service {
						t.Fatalf("Caller = %+v", got.caller)
					}
					t.Logf("signed headers: %v", got.signedHeaders)
					return
				}
				if !errors.Is(got.err, CodeSignatureDoesNotMatch) {
					t.Fatalf("server: %v, want %s", got.err, CodeSignatureDoesNotMatch)
				}
				var api smithy.APIError
				if !errors.As(err, &api) || api.ErrorCode() != cl.wantCode {
					t.Fatalf("client error = %v, want API error %s", err, cl.wantCode)
				}
			})
		}
	}
}

// TestSDKCorrectsClockSkew: a client whose clock is 10 minutes behind the
// server is refused once (RequestTimeTooSkewed / InvalidSignatureException
// with the server's Date), then the SDK corrects its clock and succeeds.
func TestSDKCorrectsClockSkew(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(context.Context, *testIssuer, aws.CredentialsProvider, int) error
	}{
		{name: "sts", call: getCallerIdentity},
		{name: "ssooidc", call: createTokenWithIAM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := newTestIssuer(t, func() time.Time { return time.Now().Add(10 * time.Minute) })
			if err := tc.call(context.Background(), is, staticCredentials(longTermID, testSecret, ""), 3); err != nil {
				t.Fatalf("client: %v", err)
			}
			seen := is.seen()
			if len(seen) != 2 {
				t.Fatalf("server saw %d requests, want 2", len(seen))
			}
			if !errors.Is(seen[0].err, CodeRequestTimeTooSkewed) || seen[1].err != nil {
				t.Fatalf("attempts: %v, %v; want %s then success", seen[0].err, seen[1].err, CodeRequestTimeTooSkewed)
			}
		})
	}
}
