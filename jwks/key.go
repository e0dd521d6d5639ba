package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/lineage-oss/lineage/secrets"
	"github.com/lineage-oss/lineage/store"
)

// Algorithms lineage signs with (RFC 7518 §3.1, RFC 8037 §3.1).
const (
	ES256 = string(jose.ES256)
	RS256 = string(jose.RS256)
	EdDSA = string(jose.EdDSA)
)

// SupportedAlgorithms are the algorithms a key may use; verification pins
// each key to its own.
var supportedAlgorithms = []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA}

// Key is one signing key with its private part in the clear (in memory
// only).
type Key struct {
	KID       string
	Alg       string
	CreatedAt time.Time
	SignsFrom time.Time

	private jose.JSONWebKey
	public  jose.JSONWebKey

	mu      sync.Mutex
	signers map[string]jose.Signer // by typ
}

// generateKey makes a key for alg; its kid is the RFC 7638 thumbprint.
func generateKey(alg string, random io.Reader, now time.Time) (*Key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), random)
	case RS256:
		priv, err = rsa.GenerateKey(random, 2048)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(random)
	default:
		return nil, fmt.Errorf("jwks: unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("jwks: generate %s key: %w", alg, err)
	}
	jwk := jose.JSONWebKey{Key: priv, Algorithm: alg, Use: "sig"}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("jwks: thumbprint: %w", err)
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	return newKey(jwk, now, now)
}

func newKey(private jose.JSONWebKey, created, signsFrom time.Time) (*Key, error) {
	if private.IsPublic() || !private.Valid() {
		return nil, fmt.Errorf("jwks: key %q is not a valid private key", private.KeyID)
	}
	return &Key{
		KID:       private.KeyID,
		Alg:       private.Algorithm,
		CreatedAt: created.UTC(),
		SignsFrom: signsFrom.UTC(),
		private:   private,
		public:    private.Public(),
		signers:   map[string]jose.Signer{},
	}, nil
}

// Public returns the key's public JWK.
func (k *Key) Public() jose.JSONWebKey { return k.public }

// signer returns a cached JWS signer that sets typ and kid in the header.
func (k *Key) signer(typ string) (jose.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.signers[typ]; ok {
		return s, nil
	}
	s, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Alg), Key: k.private},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)),
	)
	if err != nil {
		return nil, fmt.Errorf("jwks: signer for %s: %w", k.KID, err)
	}
	k.signers[typ] = s
	return s, nil
}

// aad binds a sealed private key to its kid.
func aad(kid string) []byte { return []byte("signing_key:" + kid) }

// record seals the key for the store.
func (k *Key) record(sealer *secrets.Sealer) (store.SigningKey, error) {
	priv, err := json.Marshal(k.private)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("jwks: marshal %s: %w", k.KID, err)
	}
	pub, err := json.Marshal(k.public)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("jwks: marshal %s: %w", k.KID, err)
	}
	sealed, err := sealer.Seal(priv, aad(k.KID))
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("jwks: seal %s: %w", k.KID, err)
	}
	return store.SigningKey{
		KID:           k.KID,
		Alg:           k.Alg,
		PublicJWK:     pub,
		SealedPrivate: sealed,
		CreatedAt:     k.CreatedAt,
		SignsFrom:     k.SignsFrom,
	}, nil
}

// keyFromRecord opens a stored key.
func keyFromRecord(sealer *secrets.Sealer, rec store.SigningKey) (*Key, error) {
	plain, err := sealer.Open(rec.SealedPrivate, aad(rec.KID))
	if err != nil {
		return nil, fmt.Errorf("jwks: open key %s: %w", rec.KID, err)
	}
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(plain, &jwk); err != nil {
		return nil, fmt.Errorf("jwks: decode key %s: %w", rec.KID, err)
	}
	if jwk.KeyID != rec.KID || jwk.Algorithm != rec.Alg {
		return nil, fmt.Errorf("jwks: key %s: sealed kid or alg differs from its record", rec.KID)
	}
	return newKey(jwk, rec.CreatedAt, rec.SignsFrom)
}
