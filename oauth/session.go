package oauth

import (
	"maps"
	"time"

	"github.com/ory/fosite"
)

// Session is what lineage keeps about one grant while fosite handles a
// request: who the token is for and which lineage it belongs to.
type Session struct {
	// Subject is the token's sub: a user, or the client itself for
	// client_credentials.
	Subject  string
	Username string
	// OriginJTI is the lineage (family) id shared by every token that
	// descends from one original grant (DESIGN.md "Tokens").
	OriginJTI string
	// ExpiresAt holds each token type's expiry.
	ExpiresAt map[fosite.TokenType]time.Time

	// grant carries what a token request's handler decided to the part
	// that writes the response.
	grant *issuance
}

var _ fosite.Session = (*Session)(nil)

// SetExpiresAt implements fosite.Session.
func (s *Session) SetExpiresAt(key fosite.TokenType, exp time.Time) {
	if s.ExpiresAt == nil {
		s.ExpiresAt = map[fosite.TokenType]time.Time{}
	}
	s.ExpiresAt[key] = exp
}

// GetExpiresAt implements fosite.Session.
func (s *Session) GetExpiresAt(key fosite.TokenType) time.Time { return s.ExpiresAt[key] }

// GetUsername implements fosite.Session.
func (s *Session) GetUsername() string { return s.Username }

// GetSubject implements fosite.Session.
func (s *Session) GetSubject() string { return s.Subject }

// Clone implements fosite.Session.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	c := *s
	c.ExpiresAt = maps.Clone(s.ExpiresAt)
	return &c
}
