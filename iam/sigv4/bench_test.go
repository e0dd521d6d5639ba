package sigv4

import (
	"context"
	"testing"
)

// BenchmarkVerify measures one SigV4 verification of a CreateTokenWithIAM
// request (parse, checks, a fresh SDK signer recomputing the signature,
// constant-time compare), in parallel on every core.
func BenchmarkVerify(b *testing.B) {
	v := newTestVerifier(b, nil)
	keys := newKeyring()
	r, body := sign(b, defaultSpec())
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req := r.Clone(ctx)
		for pb.Next() {
			if _, err := v.Verify(ctx, req, body, keys.lookup); err != nil {
				b.Fatal(err)
			}
		}
	})
}
