package users

import (
	"crypto/rand"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	hash, err := HashPassword("correct horse battery", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=3,p=1$") || strings.Contains(hash, "correct horse") {
		t.Fatalf("hash %q", hash)
	}
	other, _ := HashPassword("correct horse battery", rand.Reader)
	if other == hash {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		name     string
		hash     string
		password string
		ok       bool
		wantErr  bool
	}{
		{name: "right", hash: hash, password: "correct horse battery", ok: true},
		{name: "wrong", hash: hash, password: "correct horse batterY"},
		{name: "empty", hash: hash, password: ""},
		{name: "not argon2id", hash: "$2a$10$abcdefghijklmnopqrstuv", password: "x", wantErr: true},
		{name: "absurd memory", hash: strings.Replace(hash, "m=65536", "m=99999999", 1), password: "x", wantErr: true},
		{name: "garbage", hash: "$argon2id$$$$", password: "x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := CheckPassword(tt.hash, tt.password)
			if ok != tt.ok || (err != nil) != tt.wantErr {
				t.Fatalf("CheckPassword = %v, %v", ok, err)
			}
		})
	}
}

func FuzzCheckPassword(f *testing.F) {
	hash, _ := HashPassword("correct horse battery", rand.Reader)
	f.Add(hash, "correct horse battery")
	f.Add("$argon2id$v=19$m=16,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "x")
	f.Fuzz(func(t *testing.T, h, password string) {
		ok, err := CheckPassword(h, password)
		if ok && err != nil {
			t.Fatal("ok with an error")
		}
		if h == hash && ok != (password == "correct horse battery") {
			t.Fatalf("CheckPassword(%q) = %v", password, ok)
		}
	})
}
