package iam

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lineage-oss/lineage/secrets"
)

// Errors of session tokens.
var (
	// ErrInvalidSessionToken reports a session token that does not open
	// for its access key id: forged, altered or another session's.
	ErrInvalidSessionToken = errors.New("iam: invalid session token")
	// ErrExpiredToken reports a session past its expiration.
	ErrExpiredToken = errors.New("iam: the session has expired")
)

// sessionTokenPrefix versions the sealed format.
const sessionTokenPrefix = "LIN1"

// maxSessionTokenLength bounds what Open will try to decode.
const maxSessionTokenLength = 8 << 10

// Session is what an STS session token carries, sealed (AES-GCM) and bound
// to its temporary access key id: the token opens only with that key id,
// so a token presented with another session's key is refused. Nothing is
// stored server-side.
type Session struct {
	AccessKeyID     string          `json:"k"`
	SecretAccessKey string          `json:"s"`
	RoleName        string          `json:"r"`
	RoleID          string          `json:"ri"`
	SessionName     string          `json:"n"`
	SourceARN       string          `json:"src"` // the principal that assumed the role
	IssuedAt        int64           `json:"iat"`
	ExpiresAt       int64           `json:"exp"`
	Policy          json.RawMessage `json:"p,omitempty"` // session policy
}

func sessionAAD(accessKeyID string) []byte { return []byte("sts_session:" + accessKeyID) }

// sealSession returns the session token for s.
func sealSession(sealer *secrets.Sealer, s Session) (string, error) {
	plain, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("iam: marshal session: %w", err)
	}
	sealed, err := sealer.Seal(plain, sessionAAD(s.AccessKeyID))
	if err != nil {
		return "", fmt.Errorf("iam: seal session: %w", err)
	}
	return sessionTokenPrefix + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openSession returns the session that token carries for accessKeyID, if
// it has not expired at now.
func openSession(sealer *secrets.Sealer, accessKeyID, token string, now time.Time) (Session, error) {
	if len(token) > maxSessionTokenLength || !strings.HasPrefix(token, sessionTokenPrefix) {
		return Session{}, ErrInvalidSessionToken
	}
	sealed, err := base64.RawURLEncoding.DecodeString(token[len(sessionTokenPrefix):])
	if err != nil {
		return Session{}, ErrInvalidSessionToken
	}
	plain, err := sealer.Open(sealed, sessionAAD(accessKeyID))
	if err != nil {
		return Session{}, ErrInvalidSessionToken
	}
	var s Session
	if err := json.Unmarshal(plain, &s); err != nil || s.AccessKeyID != accessKeyID {
		return Session{}, ErrInvalidSessionToken
	}
	if !now.Before(time.Unix(s.ExpiresAt, 0)) {
		return Session{}, ErrExpiredToken
	}
	return s, nil
}
