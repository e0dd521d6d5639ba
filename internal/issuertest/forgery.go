package issuertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Forgery is a token built from a genuine one that no verifier may take
// for genuine.
type Forgery struct{ Name, Token string }

// Forgeries returns forgeries of the genuine access token of the issuer
// at issuerURL (whose JWK Set it reads): alg none, HS256 keyed with the
// public JWK, a foreign ES256 key under the issuer's kid, a foreign key
// embedded as jwk or pointed to by jku, x5u or x5c, typ JWT, the issuer's
// own ID token idToken (the wrong typ), a tampered payload, a cut or
// missing signature, the alg swapped, an unknown kid, and not a JWS at all.
func Forgeries(t testing.TB, issuerURL, genuine, idToken string) []Forgery {
	t.Helper()
	parts := strings.Split(genuine, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	rawHeader, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var header map[string]any
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		t.Fatal(err)
	}
	kid, _ := header["kid"].(string)
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	foreign, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sign := func(key jose.SigningKey, opts *jose.SignerOptions, body []byte) string {
		if opts.ExtraHeaders[jose.HeaderType] == nil {
			opts = opts.WithType("at+jwt")
		}
		s, err := jose.NewSigner(key, opts.WithHeader("kid", kid))
		if err != nil {
			t.Fatal(err)
		}
		obj, err := s.Sign(body)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := obj.CompactSerialize()
		return out
	}
	resp, err := http.Get(issuerURL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if len(set.Keys) == 0 {
		t.Fatal("the issuer publishes no key")
	}
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	claims["scope"] = "read write admin"
	es256 := jose.SigningKey{Algorithm: jose.ES256, Key: foreign}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attacker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &foreign.PublicKey, foreign)
	if err != nil {
		t.Fatal(err)
	}
	return []Forgery{
		{"alg none", enc(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + parts[1] + "."},
		{"HS256 keyed with the public JWK", sign(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(set.Keys[0])}, &jose.SignerOptions{}, payload)},
		{"foreign ES256 key under the issuer's kid", sign(es256, &jose.SignerOptions{}, payload)},
		{"embedded jwk", sign(es256, &jose.SignerOptions{EmbedJWK: true}, payload)},
		{"jku", sign(es256, (&jose.SignerOptions{}).WithHeader("jku", issuerURL+"/.well-known/jwks.json"), payload)},
		{"x5u", sign(es256, (&jose.SignerOptions{}).WithHeader("x5u", "https://attacker.example/cert.pem"), payload)},
		{"x5c", sign(es256, (&jose.SignerOptions{}).WithHeader("x5c", []string{base64.StdEncoding.EncodeToString(cert)}), payload)},
		{"typ JWT", sign(es256, (&jose.SignerOptions{}).WithType("JWT"), payload)},
		{"an ID token of the issuer", idToken},
		{"tampered payload", parts[0] + "." + enc(claims) + "." + parts[2]},
		{"cut signature", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])/2]},
		{"no signature", parts[0] + "." + parts[1] + "."},
		{"alg swapped to ES384", enc(map[string]any{"alg": "ES384", "typ": "at+jwt", "kid": kid}) + "." + parts[1] + "." + parts[2]},
		{"unknown kid", enc(map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": "nope"}) + "." + parts[1] + "." + parts[2]},
		{"not a JWS", "not-a-token"},
	}
}
