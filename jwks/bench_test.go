package jwks

import (
	"context"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store/memory"
)

// BenchmarkSign and BenchmarkVerify give the signing and verification
// limit per algorithm that docs/benchmarks.md compares the HTTP figures to.
func BenchmarkSign(b *testing.B) {
	for _, alg := range []string{ES256, RS256, EdDSA} {
		b.Run(alg, func(b *testing.B) {
			s := benchSet(b, alg)
			payload := []byte(`{"iss":"http://127.0.0.1:8080","sub":"svc","aud":"http://127.0.0.1:8080","exp":1795308548,"iat":1795304948,"nbf":1795304948,"jti":"2elK-LnXMcD8dtiENhXZZw","client_id":"svc","scope":"read write","origin_jti":"2elK-LnXMcD8dtiENhXZZw"}`)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Sign("at+jwt", payload); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{ES256, RS256, EdDSA} {
		b.Run(alg, func(b *testing.B) {
			s := benchSet(b, alg)
			tok, err := s.Sign("at+jwt", []byte(`{"sub":"svc","jti":"2elK-LnXMcD8dtiENhXZZw"}`))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Verify(tok, "at+jwt"); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func benchSet(b *testing.B, alg string) *Set {
	clk := &clock{t: time.Now()}
	st := memory.New(memory.Options{Now: clk.now})
	s := newSet(b, st, clk, alg, root, "bench")
	if err := s.Tick(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}
