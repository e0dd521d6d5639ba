package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// introspect asks the issuer whether token is active (RFC 7662 §2.1),
// authenticated as the configured client. An error means no answer: the
// caller must not accept the token.
func (v *Verifier) introspect(ctx context.Context, token string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.opts.endpoint("/introspect"), strings.NewReader(form.Encode()))
	if err != nil {
		return false, fmt.Errorf("%w: introspection: %w", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	v.opts.setClientAuth(req)
	resp, err := v.opts.HTTPClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("%w: introspection: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := readBounded(resp.Body, maxFetchBytes)
	if err != nil {
		return false, fmt.Errorf("%w: introspection: %w", ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%w: introspection: status %d: %s", ErrUnavailable, resp.StatusCode, oauthError(body))
	}
	// RFC 7662 §2.2: "active" is the one required member.
	var answer struct {
		Active *bool `json:"active"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Active == nil {
		return false, fmt.Errorf("%w: introspection: not an RFC 7662 response", ErrUnavailable)
	}
	return *answer.Active, nil
}
