package verify

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Policy says what a Verifier does while the revocation stream is lost,
// that is when nothing came over it for Options.StaleAfter.
type Policy int

const (
	// FailClosed checks every token by introspection (RFC 7662) while the
	// stream is lost: active:false rejects it with ErrRevoked, and an
	// introspection that fails rejects it with ErrUnavailable. A token is
	// never accepted on a revocation set that may be out of date.
	FailClosed Policy = iota
	// AcceptStale accepts locally verified tokens, checked against the
	// revocation set as it was, for at most Options.MaxStaleness after
	// the last contact with the stream; after that it behaves as
	// FailClosed.
	AcceptStale
)

// String returns the policy's name.
func (p Policy) String() string {
	switch p {
	case FailClosed:
		return "FailClosed"
	case AcceptStale:
		return "AcceptStale"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// Defaults of Options.
const (
	DefaultLeeway     = 30 * time.Second
	DefaultStaleAfter = 15 * time.Second
	DefaultCacheSize  = 100_000
)

// allowedAlgorithms are the asymmetric JWS algorithms (RFC 7518 §3.1,
// RFC 8037 §3.1) a Verifier may accept. HMAC and "none" never: a
// resource server holds no shared secret with the issuer, and accepting
// HS256 invites the key-confusion attack of RFC 8725 §2.1.
var allowedAlgorithms = map[string]jose.SignatureAlgorithm{
	"ES256": jose.ES256,
	"ES384": jose.ES384,
	"RS256": jose.RS256,
	"PS256": jose.PS256,
	"EdDSA": jose.EdDSA,
}

// Options configure a Verifier. Issuer, ClientID and ClientSecret are
// required; every other field has a default.
type Options struct {
	// Issuer is the issuer URL: the exact "iss" of the tokens (RFC 7519
	// §4.1.1) and the base of the issuer's endpoints.
	Issuer string
	// Audience, when set, must be one of the token's "aud" values
	// (RFC 7519 §4.1.3, RFC 9068 §4).
	Audience string
	// ClientID and ClientSecret are a confidential client of the issuer
	// with revocation_events: true (to read GET /revocations) and
	// introspect: true (to introspect other clients' tokens). They are
	// sent with HTTP Basic, each form-urlencoded first (RFC 6749 §2.3.1).
	ClientID, ClientSecret string
	// Algorithms are the JWS algorithms accepted (RFC 8725 §3.1); default
	// ["ES256"]. Only ES256, ES384, RS256, PS256 and EdDSA are allowed.
	Algorithms []string
	// Leeway is the clock skew allowed when checking exp, nbf and iat
	// (RFC 7519 §4.1.4-6); default 30s. Revocation entries are kept that
	// much past their "until".
	Leeway time.Duration
	// HTTPClient makes every request to the issuer; default a client of
	// its own. Its Timeout, if any, is ignored for the event stream (each
	// other request is bounded to 5 seconds).
	HTTPClient *http.Client
	// StaleAfter is how long the stream may stay silent before it counts
	// as lost; default 15s. The issuer sends a heartbeat every 5 seconds,
	// so it should be well above that.
	StaleAfter time.Duration
	// OnStreamLost is the policy while the stream is lost; default
	// FailClosed.
	OnStreamLost Policy
	// MaxStaleness, with AcceptStale, is how long after the last contact
	// with the stream locally verified tokens are still accepted.
	MaxStaleness time.Duration
	// CacheSize is how many verified tokens are remembered; default
	// 100,000. Negative: none.
	CacheSize int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives the stream's connection problems; default
	// slog.Default(). Tokens and secrets are never logged.
	Logger *slog.Logger
}

// withDefaults returns o with the defaults filled in.
func (o Options) withDefaults() Options {
	if len(o.Algorithms) == 0 {
		o.Algorithms = []string{"ES256"}
	}
	if o.Leeway == 0 {
		o.Leeway = DefaultLeeway
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.StaleAfter == 0 {
		o.StaleAfter = DefaultStaleAfter
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// validate reports every problem of o at once.
func (o Options) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if u, err := url.Parse(o.Issuer); o.Issuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		add("Issuer must be an http(s) URL, got %q", o.Issuer)
	} else if u.RawQuery != "" || u.Fragment != "" {
		add("Issuer may have no query or fragment (RFC 8414 §2)")
	}
	if o.ClientID == "" || o.ClientSecret == "" {
		add("ClientID and ClientSecret are required (a client with revocation_events and introspect)")
	}
	for _, alg := range o.Algorithms {
		if _, ok := allowedAlgorithms[alg]; !ok {
			add("Algorithms: %q is not allowed (only ES256, ES384, RS256, PS256, EdDSA)", alg)
		}
	}
	if o.Leeway < 0 {
		add("Leeway may not be negative, got %s", o.Leeway)
	}
	if o.StaleAfter < 0 {
		add("StaleAfter may not be negative, got %s", o.StaleAfter)
	}
	switch o.OnStreamLost {
	case FailClosed:
	case AcceptStale:
		if o.MaxStaleness <= 0 {
			add("MaxStaleness must be positive with AcceptStale, got %s", o.MaxStaleness)
		}
	default:
		add("OnStreamLost: unknown policy %s", o.OnStreamLost)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("verify: invalid options: %w", errors.Join(errs...))
}

// endpoint returns the issuer's endpoint at path.
func (o Options) endpoint(path string) string {
	return strings.TrimSuffix(o.Issuer, "/") + path
}

// setClientAuth authenticates r as the configured client with HTTP Basic,
// id and secret form-urlencoded first (RFC 6749 §2.3.1).
func (o Options) setClientAuth(r *http.Request) {
	r.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret))
}
