package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ory/fosite/token/jwt"

	"github.com/lineage-oss/lineage/jwks"
)

// Signer is fosite's jwt.Signer on lineage's key set: it signs with the
// current go-jose v4 key and verifies against the published keys, with the
// algorithm pinned to each key. fosite's own signer knows only go-jose v3
// and a single key.
type Signer struct {
	keys *jwks.Set
}

var _ jwt.Signer = (*Signer)(nil)

// NewSigner returns a Signer over keys.
func NewSigner(keys *jwks.Set) *Signer { return &Signer{keys: keys} }

// Generate implements jwt.Signer: it signs claims with the header's typ
// (default "JWT") and returns the token and its signature segment.
func (s *Signer) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	if claims == nil || header == nil {
		return "", "", errors.New("oauth: claims and header are required")
	}
	typ, _ := header.ToMap()["typ"].(string)
	if typ == "" {
		typ = "JWT"
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", "", fmt.Errorf("oauth: marshal claims: %w", err)
	}
	token, err := s.keys.SignContext(ctx, typ, payload)
	if err != nil {
		return "", "", err
	}
	sig, err := s.GetSignature(ctx, token)
	return token, sig, err
}

// Validate implements jwt.Signer: the signature must verify against a
// published key; claims are not checked here.
func (s *Signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.keys.Verify(token, ""); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

// Decode implements jwt.Signer: it verifies the signature with lineage's
// keys, then lets fosite parse and validate the claims (exp, iat, nbf).
func (s *Signer) Decode(_ context.Context, token string) (*jwt.Token, error) {
	v, err := s.keys.Verify(token, "")
	if err != nil {
		return nil, err
	}
	return jwt.ParseWithClaims(token, jwt.MapClaims{}, func(*jwt.Token) (any, error) { return v.PublicKey, nil })
}

// GetSignature implements jwt.Signer.
func (s *Signer) GetSignature(_ context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("oauth: a JWS has three segments")
	}
	return parts[2], nil
}

// Hash implements jwt.Signer (SHA-256, as at_hash and c_hash use for
// ES256 and RS256).
func (s *Signer) Hash(_ context.Context, in []byte) ([]byte, error) {
	sum := sha256.Sum256(in)
	return sum[:], nil
}

// GetSigningMethodLength implements jwt.Signer.
func (s *Signer) GetSigningMethodLength(context.Context) int { return sha256.Size }
