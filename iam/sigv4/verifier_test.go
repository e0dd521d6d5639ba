package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testHost    = "issuer.test:8443"
	testRegion  = "us-east-1"
	longTermID  = "AKIAIOSFODNN7EXAMPLE"
	temporaryID = "ASIAIOSFODNN7EXAMPLE"
	testSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	tempSecret  = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
	testToken   = "LIN1.c2Vzc2lvbi10b2tlbi1mb3ItQVNJQUlPU0ZPRE5ON0VYQU1QTEU"
	wrongSecret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	jsonBody    = `{"clientId":"app","grantType":"urn:ietf:params:oauth:grant-type:jwt-bearer","assertion":"x"}`
)

// signedAt is the default signing time; the verifier's clock is 30 s later.
func signedAt() time.Time { return time.Date(2024, 5, 17, 12, 0, 0, 0, time.UTC) }

// fakeKey is one access key of a keyring.
type fakeKey struct {
	secret  string
	token   string // session token bound to an ASIA key
	expired bool
}

// keyring is a KeyLookup over a map, counting its calls.
type keyring struct {
	mu    sync.Mutex
	keys  map[string]fakeKey
	calls int
	fail  error // returned instead of anything else when set
	lie   bool  // return a secret for another key id
}

func newKeyring() *keyring {
	return &keyring{keys: map[string]fakeKey{
		longTermID:  {secret: testSecret},
		temporaryID: {secret: tempSecret, token: testToken},
	}}
}

func (k *keyring) lookup(_ context.Context, id, token string) (Secret, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	if k.fail != nil {
		return Secret{}, k.fail
	}
	key, ok := k.keys[id]
	switch {
	case !ok:
		return Secret{}, ErrUnknownKey
	case key.token != token:
		return Secret{}, ErrInvalidSessionToken
	case key.expired:
		return Secret{}, ErrExpiredToken
	case k.lie:
		return Secret{AccessKeyID: "AKIAOTHEROTHEROTHER0", SecretAccessKey: key.secret}, nil
	}
	return Secret{AccessKeyID: id, SecretAccessKey: key.secret}, nil
}

func (k *keyring) set(id string, key fakeKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[id] = key
}

// signSpec describes a request to sign with the SDK's signer.
type signSpec struct {
	method      string
	host        string
	target      string // path?query
	body        string
	header      http.Header
	creds       aws.Credentials
	service     string
	region      string
	at          time.Time
	payloadHash string // empty: the SHA-256 of body
	options     []func(*v4.SignerOptions)
}

func defaultSpec() signSpec {
	return signSpec{
		method:  http.MethodPost,
		host:    testHost,
		target:  "/token?aws_iam=t",
		body:    jsonBody,
		header:  http.Header{"Content-Type": {"application/json"}},
		creds:   aws.Credentials{AccessKeyID: longTermID, SecretAccessKey: testSecret},
		service: "sso-oauth",
		region:  testRegion,
		at:      signedAt(),
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sign returns a server-side request signed as spec says, and its body.
func sign(t testing.TB, s signSpec) (*http.Request, []byte) {
	t.Helper()
	r := httptest.NewRequest(s.method, "http://"+s.host+s.target, strings.NewReader(s.body))
	for k, vs := range s.header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	hash := s.payloadHash
	if hash == "" {
		hash = sha256Hex([]byte(s.body))
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), s.creds, r, hash, s.service, s.region, s.at, s.options...); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
	return r, []byte(s.body)
}

// editAuthorization rewrites the parsed Authorization header of r.
func editAuthorization(t testing.TB, r *http.Request, edit func(*authorization)) {
	t.Helper()
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatalf("parse signed header: %v", err)
	}
	edit(&a)
	r.Header.Set("Authorization", a.String())
}

func newTestVerifier(t testing.TB, edit func(*Options)) *Verifier {
	t.Helper()
	o := Options{
		Region:   testRegion,
		Services: []string{"sso-oauth", "sts"},
		Host:     testHost,
		Now:      func() time.Time { return signedAt().Add(30 * time.Second) },
	}
	if edit != nil {
		edit(&o)
	}
	v, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

func TestVerify(t *testing.T) {
	storeDown := errors.New("store: connection refused")
	tests := []struct {
		name    string
		spec    func(*signSpec)                 // before signing
		after   func(*http.Request, *[]byte)    // after signing: tampering
		edit    func(*testing.T, *http.Request) // after signing, with t
		options func(*Options)                  // verifier options
		keys    func(*keyring)                  // keyring changes
		code    Code                            // "" for success
		is      error                           // also errors.Is(err, is)
		caller  func(*testing.T, Caller)        // checks on success
		lookups int                             // expected lookups; -1: don't care
	}{
		{
			name: "long-term key",
			caller: func(t *testing.T, c Caller) {
				want := Caller{AccessKeyID: longTermID, Service: "sso-oauth", Region: testRegion, SignedAt: signedAt()}
				if c != want {
					t.Fatalf("Caller = %+v, want %+v", c, want)
				}
			},
			lookups: 1,
		},
		{
			name: "temporary key with its session token",
			spec: func(s *signSpec) {
				s.creds = aws.Credentials{AccessKeyID: temporaryID, SecretAccessKey: tempSecret, SessionToken: testToken}
			},
			caller: func(t *testing.T, c Caller) {
				if c.AccessKeyID != temporaryID || c.SessionToken != testToken {
					t.Fatalf("Caller = %+v", c)
				}
			},
			lookups: 1,
		},
		{
			name: "sts service",
			spec: func(s *signSpec) {
				s.service, s.target, s.body = "sts", "/", "Action=GetCallerIdentity&Version=2011-06-15"
				s.header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			},
			caller: func(t *testing.T, c Caller) {
				if c.Service != "sts" {
					t.Fatalf("Service = %q", c.Service)
				}
			},
			lookups: 1,
		},
		{
			name:    "x-amz-content-sha256 signed",
			spec:    func(s *signSpec) { s.header.Set("X-Amz-Content-Sha256", sha256Hex([]byte(s.body))) },
			lookups: 1,
		},
		{
			name:    "empty body",
			spec:    func(s *signSpec) { s.method, s.body = http.MethodGet, "" },
			lookups: 1,
		},
		{
			name:    "header added after signing is not signed and is fine",
			after:   func(r *http.Request, _ *[]byte) { r.Header.Set("X-Forwarded-For", "10.0.0.1") },
			lookups: 1,
		},
		{
			name:    "user-agent added after signing",
			after:   func(r *http.Request, _ *[]byte) { r.Header.Set("User-Agent", "aws-sdk-go-v2/1.0") },
			lookups: 1,
		},
		{
			name:    "header with several values",
			spec:    func(s *signSpec) { s.header["X-Lineage-Trace"] = []string{"a", "b  c"} },
			lookups: 1,
		},
		{
			name:    "query sent in another order than the canonical one",
			spec:    func(s *signSpec) { s.target = "/token?z=1&aws_iam=t&a=b%20c" },
			after:   func(r *http.Request, _ *[]byte) { r.URL.RawQuery = "z=1&aws_iam=t&a=b%20c" },
			lookups: 1,
		},
		{
			name:    "escaped path",
			spec:    func(s *signSpec) { s.target = "/a%20b/c%2Fd/%E2%82%AC" },
			lookups: 1,
		},
		{
			name:    "host with a default port",
			spec:    func(s *signSpec) { s.host = "Issuer.test:443" },
			options: func(o *Options) { o.Host = "issuer.test" },
			lookups: 1,
		},
		{
			name:    "skew at the limit",
			spec:    func(s *signSpec) { s.at = signedAt().Add(30*time.Second - DefaultMaxSkew) },
			lookups: 1,
		},

		// Missing or malformed.
		{
			name:  "no Authorization header",
			after: func(r *http.Request, _ *[]byte) { r.Header.Del("Authorization") },
			code:  CodeMissingAuthenticationToken,
		},
		{
			name:  "two Authorization headers",
			after: func(r *http.Request, _ *[]byte) { r.Header.Add("Authorization", r.Header.Get("Authorization")) },
			code:  CodeIncompleteSignature,
		},
		{
			name: "malformed Authorization header",
			after: func(r *http.Request, _ *[]byte) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ", Signature=", ", Signature=x", 1))
			},
			code: CodeIncompleteSignature,
		},
		{
			name: "bearer token instead of a signature",
			after: func(r *http.Request, _ *[]byte) {
				r.Header.Set("Authorization", "Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln")
			},
			code: CodeIncompleteSignature,
		},
		{
			name: "presigned URL",
			edit: func(t *testing.T, r *http.Request) {
				s := defaultSpec()
				p := httptest.NewRequest(s.method, "http://"+s.host+s.target, nil)
				u, _, err := v4.NewSigner().PresignHTTP(context.Background(), s.creds, p, sha256Hex(nil), s.service, s.region, s.at)
				if err != nil {
					t.Fatal(err)
				}
				pu, err := url.Parse(u)
				if err != nil {
					t.Fatal(err)
				}
				r.URL.RawQuery = pu.RawQuery
				r.Header.Del("Authorization")
			},
			code: CodeIncompleteSignature,
		},
		{
			name: "presign parameter beside a signed header",
			spec: func(s *signSpec) { s.target = "/token?aws_iam=t&x-amz-signature=" + exampleSignature },
			code: CodeIncompleteSignature,
		},
		{
			name:  "malformed query string",
			after: func(r *http.Request, _ *[]byte) { r.URL.RawQuery += "&x=%zz" },
			code:  CodeIncompleteSignature,
		},

		{
			name:  "request target in opaque form",
			after: func(r *http.Request, _ *[]byte) { r.URL.Opaque = "issuer.test/token" },
			code:  CodeIncompleteSignature,
		},
		{
			name: "session token too long",
			spec: func(s *signSpec) {
				s.creds = aws.Credentials{AccessKeyID: temporaryID, SecretAccessKey: tempSecret, SessionToken: strings.Repeat("t", maxSessionTokenLength+1)}
			},
			code: CodeInvalidClientTokenID,
		},
		{
			name:  "Content-Length header not the body's length",
			after: func(r *http.Request, _ *[]byte) { r.Header.Set("Content-Length", "7") },
			code:  CodeSignatureDoesNotMatch,
		},
		{
			name: "content-length signed on an empty body",
			spec: func(s *signSpec) { s.method, s.body = http.MethodGet, "" },
			edit: func(t *testing.T, r *http.Request) {
				r.Header.Set("Content-Length", "0")
				editAuthorization(t, r, func(a *authorization) {
					a.SignedHeaders = append(a.SignedHeaders, "content-length")
					slices.Sort(a.SignedHeaders)
				})
			},
			code: CodeIncompleteSignature,
		},

		// Required signed headers.
		{
			name: "host not signed",
			edit: func(t *testing.T, r *http.Request) {
				editAuthorization(t, r, func(a *authorization) {
					a.SignedHeaders = slices.DeleteFunc(a.SignedHeaders, func(h string) bool { return h == "host" })
				})
			},
			code: CodeIncompleteSignature,
		},
		{
			name: "x-amz-date not signed",
			edit: func(t *testing.T, r *http.Request) {
				editAuthorization(t, r, func(a *authorization) {
					a.SignedHeaders = slices.DeleteFunc(a.SignedHeaders, func(h string) bool { return h == "x-amz-date" })
				})
			},
			code: CodeIncompleteSignature,
		},
		{
			name: "session token sent but not signed",
			spec: func(s *signSpec) {
				s.creds = aws.Credentials{AccessKeyID: temporaryID, SecretAccessKey: tempSecret, SessionToken: testToken}
				s.options = []func(*v4.SignerOptions){func(o *v4.SignerOptions) { o.DisableSessionToken = true }}
			},
			after: func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Security-Token", testToken) },
			code:  CodeIncompleteSignature,
		},
		{
			name:  "x-amz-content-sha256 sent but not signed",
			after: func(r *http.Request, b *[]byte) { r.Header.Set("X-Amz-Content-Sha256", sha256Hex(*b)) },
			code:  CodeIncompleteSignature,
		},
		{
			name:  "signed header missing from the request",
			after: func(r *http.Request, _ *[]byte) { r.Header.Del("Content-Type") },
			code:  CodeIncompleteSignature,
		},
		{
			name: "user-agent signed",
			edit: func(t *testing.T, r *http.Request) {
				r.Header.Set("User-Agent", "curl/8")
				editAuthorization(t, r, func(a *authorization) {
					a.SignedHeaders = append(a.SignedHeaders, "user-agent")
					slices.Sort(a.SignedHeaders)
				})
			},
			code: CodeIncompleteSignature,
		},
		{
			name:  "x-amz-date repeated",
			after: func(r *http.Request, _ *[]byte) { r.Header.Add("X-Amz-Date", r.Header.Get("X-Amz-Date")) },
			code:  CodeIncompleteSignature,
		},
		{
			name:  "x-amz-date malformed",
			after: func(r *http.Request, _ *[]byte) { r.Header.Set("X-Amz-Date", "2024-05-17T12:00:00Z") },
			code:  CodeIncompleteSignature,
		},

		// Payload.
		{
			name: "UNSIGNED-PAYLOAD",
			spec: func(s *signSpec) {
				s.payloadHash = "UNSIGNED-PAYLOAD"
				s.header.Set("X-Amz-Content-Sha256", s.payloadHash)
			},
			code: CodeIncompleteSignature,
		},
		{
			name: "streaming payload",
			spec: func(s *signSpec) {
				s.payloadHash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
				s.header.Set("X-Amz-Content-Sha256", s.payloadHash)
			},
			code: CodeIncompleteSignature,
		},
		{
			name: "x-amz-content-sha256 of another body",
			spec: func(s *signSpec) {
				s.payloadHash = sha256Hex([]byte("{}"))
				s.header.Set("X-Amz-Content-Sha256", s.payloadHash)
			},
			code: CodeSignatureDoesNotMatch,
		},
		{
			name:    "body longer than MaxBodyBytes",
			options: func(o *Options) { o.MaxBodyBytes = 16 },
			code:    CodeRequestEntityTooLarge,
		},

		// Scope and clock.
		{
			name: "scope date is not the date of x-amz-date",
			spec: func(s *signSpec) { s.at = time.Date(2024, 5, 17, 23, 59, 59, 0, time.UTC) },
			after: func(r *http.Request, _ *[]byte) {
				r.Header.Set("X-Amz-Date", "20240518T000001Z")
			},
			options: func(o *Options) {
				o.Now = func() time.Time { return time.Date(2024, 5, 18, 0, 0, 0, 0, time.UTC) }
			},
			code: CodeSignatureDoesNotMatch,
		},
		{
			name: "service not accepted",
			spec: func(s *signSpec) { s.service = "s3" },
			code: CodeSignatureDoesNotMatch,
		},
		{
			name:    "service accepted elsewhere but not here",
			spec:    func(s *signSpec) { s.service = "sts" },
			options: func(o *Options) { o.Services = []string{"sso-oauth"} },
			code:    CodeSignatureDoesNotMatch,
		},
		{
			name: "another region",
			spec: func(s *signSpec) { s.region = "eu-west-1" },
			code: CodeSignatureDoesNotMatch,
		},
		{
			name: "signed too long ago",
			spec: func(s *signSpec) { s.at = signedAt().Add(-6 * time.Minute) },
			code: CodeRequestTimeTooSkewed,
		},
		{
			name: "signed in the future",
			spec: func(s *signSpec) { s.at = signedAt().Add(6 * time.Minute) },
			code: CodeRequestTimeTooSkewed,
		},
		{
			name: "addressed to another host",
			spec: func(s *signSpec) { s.host = "evil.test:8443" },
			code: CodeSignatureDoesNotMatch,
		},
		{
			name: "addressed to another port",
			spec: func(s *signSpec) { s.host = "issuer.test:9443" },
			code: CodeSignatureDoesNotMatch,
		},

		// Credentials.
		{
			name: "long-term key with a session token",
			spec: func(s *signSpec) { s.creds.SessionToken = testToken },
			code: CodeInvalidClientTokenID,
		},
		{
			name: "temporary key without a session token",
			spec: func(s *signSpec) {
				s.creds = aws.Credentials{AccessKeyID: temporaryID, SecretAccessKey: tempSecret}
			},
			code: CodeInvalidClientTokenID,
		},
		{
			name: "key id of neither kind",
			spec: func(s *signSpec) { s.creds.AccessKeyID = "AIDAIOSFODNN7EXAMPLE" },
			code: CodeInvalidClientTokenID,
		},
		{
			name:    "unknown key",
			spec:    func(s *signSpec) { s.creds.AccessKeyID = "AKIAUNKNOWNUNKNOWN00" },
			code:    CodeInvalidClientTokenID,
			is:      ErrUnknownKey,
			lookups: 1,
		},
		{
			name: "session token of another session",
			spec: func(s *signSpec) {
				s.creds = aws.Credentials{AccessKeyID: temporaryID, SecretAccessKey: tempSecret, SessionToken: testToken + "x"}
			},
			code:    CodeInvalidClientTokenID,
			is:      ErrInvalidSessionToken,
			lookups: 1,
		},
		{
			name: "expired session",
			spec: func(s *signSpec) {
				s.creds = aws.Credentials{AccessKeyID: temporaryID, SecretAccessKey: tempSecret, SessionToken: testToken}
			},
			keys:    func(k *keyring) { k.set(temporaryID, fakeKey{secret: tempSecret, token: testToken, expired: true}) },
			code:    CodeExpiredToken,
			is:      ErrExpiredToken,
			lookups: 1,
		},
		{
			name:    "wrong secret",
			spec:    func(s *signSpec) { s.creds.SecretAccessKey = wrongSecret },
			code:    CodeSignatureDoesNotMatch,
			lookups: 1,
		},
		{
			name: "wrong secret with a valid session token",
			spec: func(s *signSpec) {
				s.creds = aws.Credentials{AccessKeyID: temporaryID, SecretAccessKey: testSecret, SessionToken: testToken}
			},
			code:    CodeSignatureDoesNotMatch,
			lookups: 1,
		},
		{
			name:    "lookup fails",
			keys:    func(k *keyring) { k.fail = storeDown },
			is:      storeDown,
			lookups: 1,
		},
		{
			name:    "lookup answers for another key id",
			keys:    func(k *keyring) { k.lie = true },
			is:      errors.New("any internal error"),
			lookups: 1,
		},

		// Tampering after signing.
		{
			name:    "method changed",
			after:   func(r *http.Request, _ *[]byte) { r.Method = http.MethodPut },
			code:    CodeSignatureDoesNotMatch,
			lookups: 1,
		},
		{
			name:    "path changed",
			after:   func(r *http.Request, _ *[]byte) { r.URL.Path = "/revoke" },
			code:    CodeSignatureDoesNotMatch,
			lookups: 1,
		},
		{
			name:    "query value changed",
			after:   func(r *http.Request, _ *[]byte) { r.URL.RawQuery = "aws_iam=f" },
			code:    CodeSignatureDoesNotMatch,
			lookups: 1,
		},
		{
			name:    "query parameter added",
			after:   func(r *http.Request, _ *[]byte) { r.URL.RawQuery += "&scope=admin" },
			code:    CodeSignatureDoesNotMatch,
			lookups: 1,
		},
		{
			name:    "signed header changed",
			after:   func(r *http.Request, _ *[]byte) { r.Header.Set("Content-Type", "text/plain") },
			code:    CodeSignatureDoesNotMatch,
			lookups: 1,
		},
		{
			name: "x-amz-date changed within the skew",
			after: func(r *http.Request, _ *[]byte) {
				r.Header.Set("X-Amz-Date", signedAt().Add(time.Second).Format(amzDateLayout))
			},
			code:    CodeSignatureDoesNotMatch,
			lookups: 1,
		},
		{
			name:    "body changed, same length",
			after:   func(_ *http.Request, b *[]byte) { *b = []byte(strings.Replace(string(*b), `"x"`, `"y"`, 1)) },
			code:    CodeSignatureDoesNotMatch,
			lookups: 1,
		},
		{
			name:  "body changed, other length",
			after: func(_ *http.Request, b *[]byte) { *b = append(*b, ' ') },
			code:  CodeSignatureDoesNotMatch,
		},
		{
			name: "signature changed",
			edit: func(t *testing.T, r *http.Request) {
				editAuthorization(t, r, func(a *authorization) { a.Signature = exampleSignature })
			},
			code:    CodeSignatureDoesNotMatch,
			lookups: 1,
		},
		{
			name: "signed header dropped from the list",
			edit: func(t *testing.T, r *http.Request) {
				editAuthorization(t, r, func(a *authorization) {
					a.SignedHeaders = slices.DeleteFunc(a.SignedHeaders, func(h string) bool { return h == "content-type" })
				})
			},
			code:    CodeSignatureDoesNotMatch,
			lookups: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := defaultSpec()
			if tc.spec != nil {
				tc.spec(&spec)
			}
			r, body := sign(t, spec)
			if tc.after != nil {
				tc.after(r, &body)
			}
			if tc.edit != nil {
				tc.edit(t, r)
			}
			keys := newKeyring()
			if tc.keys != nil {
				tc.keys(keys)
			}
			v := newTestVerifier(t, tc.options)
			sentAuthorization := r.Header.Get("Authorization")

			c, err := v.Verify(context.Background(), r, body, keys.lookup)

			if tc.lookups >= 0 && keys.calls != tc.lookups {
				t.Errorf("lookups = %d, want %d", keys.calls, tc.lookups)
			}
			if tc.code == "" && tc.is == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if tc.caller != nil {
					tc.caller(t, c)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify succeeded with Caller %+v, want an error", c)
			}
			if c != (Caller{}) {
				t.Errorf("Caller = %+v on error", c)
			}
			var e *Error
			if tc.code != "" {
				if !errors.As(err, &e) || e.Code != tc.code || !errors.Is(err, tc.code) {
					t.Fatalf("Verify = %v, want code %s", err, tc.code)
				}
				if e.Message == "" {
					t.Errorf("empty message")
				}
			} else if errors.As(err, &e) {
				t.Fatalf("Verify = %v (code %s), want an internal error", err, e.Code)
			}
			if tc.is != nil && tc.code != "" && !errors.Is(err, tc.is) {
				t.Errorf("Verify = %v, want errors.Is %v", err, tc.is)
			}
			if tc.is == storeDown && !errors.Is(err, storeDown) {
				t.Errorf("Verify = %v, want it to wrap the lookup's error", err)
			}
			assertNoLeak(t, err, sentAuthorization, testSecret, tempSecret, wrongSecret, testToken)
		})
	}
}

// assertNoLeak fails when err's message holds a secret, a token or the
// signature that was sent.
func assertNoLeak(t testing.TB, err error, authorizationHeader string, secrets ...string) {
	t.Helper()
	msg := err.Error()
	if a, perr := parseAuthorization(authorizationHeader); perr == nil {
		secrets = append(secrets, a.Signature)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Fatalf("error message leaks a secret value: %q", msg)
		}
	}
}

// TestVerifyReplay replays one signed request: accepted within MaxSkew of
// its X-Amz-Date, refused after.
func TestVerifyReplay(t *testing.T) {
	now := signedAt()
	v := newTestVerifier(t, func(o *Options) {
		o.MaxSkew = time.Minute
		o.Now = func() time.Time { return now }
	})
	keys := newKeyring()
	r, body := sign(t, defaultSpec())
	for _, step := range []struct {
		name string
		at   time.Time
		code Code
	}{
		{name: "at once", at: signedAt()},
		{name: "replayed within the skew", at: signedAt().Add(time.Minute)},
		{name: "replayed after the skew", at: signedAt().Add(time.Minute + time.Second), code: CodeRequestTimeTooSkewed},
		{name: "replayed much later", at: signedAt().Add(24 * time.Hour), code: CodeRequestTimeTooSkewed},
	} {
		now = step.at
		_, err := v.Verify(context.Background(), r, body, keys.lookup)
		switch {
		case step.code == "" && err != nil:
			t.Fatalf("%s: Verify: %v", step.name, err)
		case step.code != "" && !errors.Is(err, step.code):
			t.Fatalf("%s: Verify = %v, want %s", step.name, err, step.code)
		}
	}
}

// TestVerifySecretChanged guards against the SDK signer's derived-key
// cache, keyed by access key id and day but not by secret: once a key's
// secret changes, the old one must stop working at once.
func TestVerifySecretChanged(t *testing.T) {
	v := newTestVerifier(t, nil)
	keys := newKeyring()
	old, oldBody := sign(t, defaultSpec())
	if _, err := v.Verify(context.Background(), old, oldBody, keys.lookup); err != nil {
		t.Fatalf("Verify with the first secret: %v", err)
	}
	keys.set(longTermID, fakeKey{secret: wrongSecret})
	if _, err := v.Verify(context.Background(), old, oldBody, keys.lookup); !errors.Is(err, CodeSignatureDoesNotMatch) {
		t.Fatalf("Verify with the replaced secret = %v, want %s", err, CodeSignatureDoesNotMatch)
	}
	spec := defaultSpec()
	spec.creds.SecretAccessKey = wrongSecret
	r, body := sign(t, spec)
	if _, err := v.Verify(context.Background(), r, body, keys.lookup); err != nil {
		t.Fatalf("Verify with the new secret: %v", err)
	}
}

// TestVerifyMisuse: a missing request or lookup is a programming error,
// not a refusal.
func TestVerifyMisuse(t *testing.T) {
	v := newTestVerifier(t, nil)
	r, body := sign(t, defaultSpec())
	var e *Error
	if _, err := v.Verify(context.Background(), nil, body, newKeyring().lookup); err == nil || errors.As(err, &e) {
		t.Errorf("nil request: %v", err)
	}
	if _, err := v.Verify(context.Background(), r, body, nil); err == nil || errors.As(err, &e) {
		t.Errorf("nil lookup: %v", err)
	}
}

// TestVerifyDoesNotChangeRequest checks that Verify leaves r as it was.
func TestVerifyDoesNotChangeRequest(t *testing.T) {
	r, body := sign(t, defaultSpec())
	before := r.Clone(context.Background())
	if _, err := newTestVerifier(t, nil).Verify(context.Background(), r, body, newKeyring().lookup); err != nil {
		t.Fatal(err)
	}
	if r.URL.String() != before.URL.String() || r.Host != before.Host || len(r.Header) != len(before.Header) {
		t.Fatalf("request changed: %v %v", r.URL, r.Header)
	}
	for k, vs := range before.Header {
		if !slices.Equal(r.Header[k], vs) {
			t.Fatalf("header %s changed: %q → %q", k, vs, r.Header[k])
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		options Options
		wantErr []string // substrings, all reported at once
	}{
		{
			name:    "valid",
			options: Options{Region: "us-east-1", Services: []string{"sts"}, Host: "issuer.example"},
		},
		{
			name:    "everything wrong",
			options: Options{Region: "US East", Services: []string{"STS"}, Host: "https://issuer.example/", MaxSkew: -1, MaxBodyBytes: -1},
			wantErr: []string{"region", `service "STS"`, "host", "max skew", "max body bytes"},
		},
		{
			name:    "nothing set",
			wantErr: []string{"region", "at least one service", "host"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(tc.options)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if v.maxSkew != DefaultMaxSkew || v.maxBodyBytes != DefaultMaxBodyBytes || v.now == nil {
					t.Fatalf("defaults not applied: %+v", v)
				}
				return
			}
			if err == nil {
				t.Fatal("New succeeded")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not report %q", err, w)
				}
			}
		})
	}
}

func TestCodeMapping(t *testing.T) {
	tests := []struct {
		code     Code
		status   int
		jsonType string
	}{
		{CodeMissingAuthenticationToken, 403, "MissingAuthenticationTokenException"},
		{CodeIncompleteSignature, 400, "IncompleteSignatureException"},
		{CodeInvalidClientTokenID, 403, "UnrecognizedClientException"},
		{CodeSignatureDoesNotMatch, 403, "InvalidSignatureException"},
		{CodeRequestTimeTooSkewed, 403, "InvalidSignatureException"},
		{CodeExpiredToken, 400, "ExpiredTokenException"},
		{CodeRequestEntityTooLarge, 413, "RequestEntityTooLargeException"},
	}
	for _, tc := range tests {
		t.Run(string(tc.code), func(t *testing.T) {
			if got := tc.code.HTTPStatus(); got != tc.status {
				t.Errorf("HTTPStatus = %d, want %d", got, tc.status)
			}
			if got := tc.code.JSONType(); got != tc.jsonType {
				t.Errorf("JSONType = %q, want %q", got, tc.jsonType)
			}
		})
	}
}
