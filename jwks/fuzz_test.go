package jwks

import (
	"context"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store/memory"
)

// FuzzVerify feeds arbitrary tokens to Verify. Invariants: it never
// panics, and it accepts nothing but the one token the set signed.
func FuzzVerify(f *testing.F) {
	clk := &clock{t: time.Now()}
	st := memory.New(memory.Options{Now: clk.now})
	s := newSet(f, st, clk, ES256, root, "a")
	if err := s.Tick(context.Background()); err != nil {
		f.Fatal(err)
	}
	good, err := s.Sign("at+jwt", []byte(`{"sub":"x"}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add("a.b.c")
	f.Add(good + ".")
	f.Fuzz(func(t *testing.T, token string) {
		v, err := s.Verify(token, "at+jwt")
		if err == nil && (token != good || string(v.Payload) != `{"sub":"x"}`) {
			t.Fatalf("Verify accepted a token the set did not sign: %q", token)
		}
	})
}
