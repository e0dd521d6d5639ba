package iam

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
)

// Prefixes of AWS unique ids (IAM User Guide, "Unique identifiers").
const (
	PrefixAccessKey     = "AKIA" // long-term access key
	PrefixTemporaryKey  = "ASIA" // temporary (STS) access key
	PrefixUserID        = "AIDA"
	PrefixRoleID        = "AROA"
	idSuffixLength      = 16
	secretAccessKeySize = 30 // bytes: 40 base64 characters, as AWS secrets
)

// upperBase32 is RFC 4648 base32 without padding: A–Z and 2–7, like AWS ids.
var upperBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// randomID returns prefix and 16 random base32 characters.
func randomID(prefix string, random io.Reader) (string, error) {
	b := make([]byte, 10) // 80 bits → 16 base32 characters
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("iam: random id: %w", err)
	}
	return prefix + upperBase32.EncodeToString(b), nil
}

// stableID derives prefix + 16 characters from name under key, so that a
// configured user or role keeps its id across restarts and instances.
func stableID(prefix string, key []byte, name string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(prefix + "\x00" + name))
	return prefix + upperBase32.EncodeToString(m.Sum(nil)[:10])
}

// newSecretAccessKey returns a 40-character secret access key.
func newSecretAccessKey(random io.Reader) (string, error) {
	b := make([]byte, secretAccessKeySize)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("iam: random secret: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

var (
	accessKeyPattern = regexp.MustCompile(`^A[KS]IA[A-Z0-9]{16}$`)
	namePattern      = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	sessionPattern   = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// ValidAccessKeyID reports whether id looks like an AKIA or ASIA key id.
func ValidAccessKeyID(id string) bool { return accessKeyPattern.MatchString(id) }

// ValidName reports whether name is a valid IAM user or role name.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// ValidSessionName reports whether name is a valid RoleSessionName.
func ValidSessionName(name string) bool { return sessionPattern.MatchString(name) }
