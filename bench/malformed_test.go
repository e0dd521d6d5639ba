package bench

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestMalformedTokensAreDistinctAndNeverValid(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	bases := []string{
		"eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9." + randomString(r, 300) + "." + randomString(r, 86),
		"eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9." + randomString(r, 300) + "." + randomString(r, 86),
	}
	for _, tc := range []struct {
		name  string
		bases []string
	}{{"from real tokens", bases}, {"without real tokens", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			got := malformedTokens(r, tc.bases, 5000)
			if len(got) != 5000 {
				t.Fatalf("%d tokens, want 5000", len(got))
			}
			seen := map[string]bool{}
			shapes := map[int]int{}
			for _, tok := range got {
				if seen[tok] || slices.Contains(bases, tok) {
					t.Fatalf("%q is repeated or a real token", tok)
				}
				seen[tok] = true
				shapes[strings.Count(tok, ".")]++
			}
			if shapes[0] == 0 || shapes[2] == 0 {
				t.Errorf("dots per token: %v; want random strings and JWT-shaped ones", shapes)
			}
		})
	}
}
