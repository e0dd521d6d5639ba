package users

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: RFC 9106 §4's second recommended option (64 MiB,
// 3 passes), with one lane per request so that logins do not starve the
// token endpoint.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// MinPasswordLength is the shortest password accepted through the admin API.
const MinPasswordLength = 12

// maxPasswordLength bounds the work one request can ask of argon2id.
const maxPasswordLength = 1024

// ErrPasswordPolicy reports a password that is too short or too long.
var ErrPasswordPolicy = fmt.Errorf("users: a password has %d to %d characters", MinPasswordLength, maxPasswordLength)

// HashPassword returns the argon2id PHC string of password.
func HashPassword(password string, random io.Reader) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("users: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errHash reports a stored hash that is not an argon2id PHC string.
var errHash = errors.New("users: not an argon2id hash")

// CheckPassword reports in constant time whether password matches the
// argon2id PHC string hash, with the parameters stored in it.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errHash
	}
	var version int
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil ||
		memory < 8 || memory > 256*1024 || time == 0 || time > 10 || threads == 0 {
		return false, errHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(want) < 16 || len(want) > 64 {
		return false, errHash
	}
	if len(password) > maxPasswordLength {
		return false, nil
	}
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// checkPolicy enforces the length rules on a new password.
func checkPolicy(password string) error {
	if n := len([]rune(password)); n < MinPasswordLength || len(password) > maxPasswordLength {
		return ErrPasswordPolicy
	}
	return nil
}
