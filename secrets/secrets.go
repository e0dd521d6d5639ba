package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// Purposes of the subkeys derived from secrets.system. A purpose is part of
// the derivation: changing one changes every key derived for it.
const (
	PurposeAtRest       = "lineage/at-rest/v1"
	PurposeClientSecret = "lineage/client-secret/v1"
	PurposeFositeHMAC   = "lineage/fosite-hmac/v1"
	PurposeCSRF         = "lineage/csrf/v1"
	PurposeAdminActor   = "lineage/admin-actor/v1"
)

// MinRootLength is the shortest secrets.system entry accepted outside --dev.
const MinRootLength = 32

// ErrOpen reports that a sealed record could not be opened: it was altered,
// sealed for another record, or sealed under a root no longer configured.
var ErrOpen = errors.New("secrets: cannot open sealed record")

// Keyring holds the roots from secrets.system, newest first.
type Keyring struct {
	roots [][]byte
}

// NewKeyring returns a Keyring over roots; the first one is current.
func NewKeyring(roots []string) (*Keyring, error) {
	if len(roots) == 0 {
		return nil, errors.New("secrets: no system secret")
	}
	k := &Keyring{}
	for i, r := range roots {
		if r == "" {
			return nil, fmt.Errorf("secrets: system secret %d is empty", i)
		}
		k.roots = append(k.roots, []byte(r))
	}
	return k, nil
}

// Subkey returns the 32-byte key for purpose, derived from the current root.
func (k *Keyring) Subkey(purpose string) []byte {
	return derive(k.roots[0], purpose)
}

// Subkeys returns the keys for purpose from every root, current first, for
// verifying values made before a root rotation.
func (k *Keyring) Subkeys(purpose string) [][]byte {
	keys := make([][]byte, len(k.roots))
	for i, r := range k.roots {
		keys[i] = derive(r, purpose)
	}
	return keys
}

func derive(root []byte, purpose string) []byte {
	key := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, root, nil, []byte(purpose)), key); err != nil {
		// HKDF-SHA256 can produce 255*32 bytes; 32 never fails.
		panic(fmt.Sprintf("secrets: hkdf: %v", err))
	}
	return key
}

// Sealer encrypts records at rest with AES-256-GCM. The associated data
// binds a sealed value to its record (type and id), so a value copied onto
// another record does not open.
type Sealer struct {
	aeads []cipher.AEAD
	rand  io.Reader
}

// Sealer returns a Sealer for purpose that reads nonces from rand.
func (k *Keyring) Sealer(purpose string, rand io.Reader) (*Sealer, error) {
	s := &Sealer{rand: rand}
	for _, key := range k.Subkeys(purpose) {
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("secrets: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secrets: %w", err)
		}
		s.aeads = append(s.aeads, aead)
	}
	return s, nil
}

// Seal encrypts plaintext under the current root, bound to aad. The result
// is nonce || ciphertext || tag.
func (s *Sealer) Seal(plaintext, aad []byte) ([]byte, error) {
	aead := s.aeads[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, fmt.Errorf("secrets: nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plaintext, aad), nil
}

// Open decrypts a value made by Seal with the same aad, under any root.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	for _, aead := range s.aeads {
		if len(sealed) < aead.NonceSize()+aead.Overhead() {
			return nil, ErrOpen
		}
		nonce, ct := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
		if plain, err := aead.Open(nil, nonce, ct, aad); err == nil {
			return plain, nil
		}
	}
	return nil, ErrOpen
}

// MAC is HMAC-SHA256 under the keys of one purpose: it hashes values that
// must be checked but never recovered, such as client secrets.
type MAC struct {
	keys [][]byte
}

// MAC returns the MAC for purpose.
func (k *Keyring) MAC(purpose string) *MAC {
	return &MAC{keys: k.Subkeys(purpose)}
}

// Sum returns HMAC-SHA256(current key, value).
func (m *MAC) Sum(value []byte) []byte {
	return sum(m.keys[0], value)
}

// Equal reports in constant time whether mac is the MAC of value under the
// current or an older root.
func (m *MAC) Equal(mac, value []byte) bool {
	ok := false
	for _, key := range m.keys {
		if hmac.Equal(mac, sum(key, value)) {
			ok = true
		}
	}
	return ok
}

func sum(key, value []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(value)
	return h.Sum(nil)
}
