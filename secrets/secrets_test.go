package secrets

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

func TestSubkeysDifferByPurposeAndRoot(t *testing.T) {
	a, _ := NewKeyring([]string{"root-one-0123456789-0123456789-01"})
	b, _ := NewKeyring([]string{"root-two-0123456789-0123456789-01"})
	if bytes.Equal(a.Subkey(PurposeAtRest), a.Subkey(PurposeClientSecret)) {
		t.Fatal("two purposes derived the same key")
	}
	if bytes.Equal(a.Subkey(PurposeAtRest), b.Subkey(PurposeAtRest)) {
		t.Fatal("two roots derived the same key")
	}
	if !bytes.Equal(a.Subkey(PurposeAtRest), a.Subkey(PurposeAtRest)) {
		t.Fatal("derivation is not deterministic")
	}
}

func TestSealOpen(t *testing.T) {
	old, _ := NewKeyring([]string{"old-root-0123456789-0123456789-01"})
	rotated, _ := NewKeyring([]string{"new-root-0123456789-0123456789-01", "old-root-0123456789-0123456789-01"})
	oldSealer, _ := old.Sealer(PurposeAtRest, rand.Reader)
	sealer, _ := rotated.Sealer(PurposeAtRest, rand.Reader)
	sealedOld, err := oldSealer.Seal([]byte("private key"), []byte("signing_key:k1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		sealer  *Sealer
		sealed  []byte
		aad     string
		wantErr bool
	}{
		{name: "old root opens with rotated keyring", sealer: sealer, sealed: sealedOld, aad: "signing_key:k1"},
		{name: "other record's aad", sealer: sealer, sealed: sealedOld, aad: "signing_key:k2", wantErr: true},
		{name: "truncated", sealer: sealer, sealed: sealedOld[:10], aad: "signing_key:k1", wantErr: true},
		{name: "empty", sealer: sealer, sealed: nil, aad: "signing_key:k1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, err := tt.sealer.Open(tt.sealed, []byte(tt.aad))
			if tt.wantErr {
				if !errors.Is(err, ErrOpen) {
					t.Fatalf("Open = %q, %v; want ErrOpen", plain, err)
				}
				return
			}
			if err != nil || string(plain) != "private key" {
				t.Fatalf("Open = %q, %v", plain, err)
			}
		})
	}
	sealedNew, _ := sealer.Seal([]byte("x"), nil)
	if _, err := oldSealer.Open(sealedNew, nil); !errors.Is(err, ErrOpen) {
		t.Fatal("a keyring without the new root opened a value sealed under it")
	}
}

func TestMAC(t *testing.T) {
	old, _ := NewKeyring([]string{"old-root-0123456789-0123456789-01"})
	rotated, _ := NewKeyring([]string{"new-root-0123456789-0123456789-01", "old-root-0123456789-0123456789-01"})
	mac := old.MAC(PurposeClientSecret).Sum([]byte("s3cret"))
	if !rotated.MAC(PurposeClientSecret).Equal(mac, []byte("s3cret")) {
		t.Fatal("MAC under the old root no longer verifies after rotation")
	}
	if rotated.MAC(PurposeClientSecret).Equal(mac, []byte("s3creT")) {
		t.Fatal("MAC verified the wrong value")
	}
	if rotated.MAC(PurposeCSRF).Equal(mac, []byte("s3cret")) {
		t.Fatal("MAC of one purpose verified under another")
	}
}
