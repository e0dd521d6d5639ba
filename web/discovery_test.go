package web

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestDiscoveryGolden pins the metadata document (RFC 8414 §2): clients
// and outside suites read it, so any change must be deliberate
// (go test ./web -update).
func TestDiscoveryGolden(t *testing.T) {
	d := newDiscovery(Options{Issuer: "https://id.example.com", SigningAlgs: []string{"ES256"}})
	golden := filepath.Join("testdata", "discovery.json")
	if *update {
		if err := os.WriteFile(golden, append(d.body, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(d.body)+"\n" {
		t.Fatalf("discovery document changed:\n%s\nwant:\n%s", d.body, want)
	}
}
