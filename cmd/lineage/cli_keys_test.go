package main

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/lineage-oss/lineage/jwks"
)

// tokenKID returns the kid in an access token's header.
func tokenKID(t *testing.T, token string) string {
	t.Helper()
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Headers[0].KeyID
}

// publishedKIDs returns the kids in the served JWK Set.
func publishedKIDs(t *testing.T, iss *testIssuer) []string {
	t.Helper()
	var kids []string
	for _, k := range fetchJWKS(t, iss.url).Keys {
		kids = append(kids, k.KeyID)
	}
	return kids
}

// TestCLIKeys drives `lineage keys` and checks the JWK Set and the tokens:
// a rotated key is published before it signs; a revoked key's tokens stop
// introspecting as active and its kid leaves the JWK Set.
func TestCLIKeys(t *testing.T) {
	iss := startIssuer(t, "{}")
	environ := cliEnv(iss)
	var (
		current, next string // kids before the rotation
		rotated       jwks.Status
		signedByIt    string // a token the rotated key signed
	)
	keyList := func(t *testing.T) []jwks.Status {
		t.Helper()
		r := lineageCLI(t, environ, "", "keys", "list", "--json")
		r.check(t, exitOK)
		var out struct {
			Keys []jwks.Status `json:"keys"`
		}
		r.decode(t, &out)
		return out.Keys
	}
	steps := []struct {
		name  string
		args  []string
		want  int
		check func(t *testing.T, r cliResult)
	}{
		{
			name: "list: a current and a next key",
			args: []string{"keys", "list", "--json"},
			check: func(t *testing.T, r cliResult) {
				var out struct {
					Keys []jwks.Status `json:"keys"`
				}
				r.decode(t, &out)
				for _, k := range out.Keys {
					switch k.State {
					case "current":
						current = k.KID
					case "next":
						next = k.KID
					}
				}
				if len(out.Keys) != 2 || current == "" || next == "" {
					t.Fatalf("keys %+v", out.Keys)
				}
				if tok := mustClientToken(t, iss, "svc", svcSecret); tokenKID(t, tok) != current {
					t.Fatalf("a token is signed by %s, want the current key %s", tokenKID(t, tok), current)
				}
			},
		},
		{
			name: "list as a table",
			args: []string{"keys", "list"},
			check: func(t *testing.T, r cliResult) {
				for _, want := range []string{`(?m)^KID +ALG +STATE +CREATED +SIGNS FROM`, `(?m)^` + next + ` +ES256 +next `, `(?m)^` + current + ` +ES256 +current `} {
					if !regexp.MustCompile(want).MatchString(r.stdout) {
						t.Fatalf("no %s in:\n%s", want, r.stdout)
					}
				}
			},
		},
		{
			name: "rotate: the next key is published before it signs",
			args: []string{"keys", "rotate", "--json"},
			check: func(t *testing.T, r cliResult) {
				var out struct {
					Key jwks.Status `json:"key"`
				}
				r.decode(t, &out)
				rotated = out.Key
				now := iss.clock.now()
				if rotated.KID != next || !rotated.SignsFrom.After(now) {
					t.Fatalf("rotate took %+v at %v, want %s signing in the future", rotated, now, next)
				}
				if kids := publishedKIDs(t, iss); !slices.Contains(kids, rotated.KID) || !slices.Contains(kids, current) {
					t.Fatalf("JWKS kids %v, want %s and %s", kids, rotated.KID, current)
				}
				if kid := tokenKID(t, mustClientToken(t, iss, "svc", svcSecret)); kid != current {
					t.Fatalf("a token minted right after the rotation is signed by %s, want still %s", kid, current)
				}
				if keys := keyList(t); len(keys) != 3 {
					t.Fatalf("keys after rotate: %+v, want a new next key behind the rotated one", keys)
				}
			},
		},
		{
			name: "once its time comes the rotated key signs",
			args: []string{"keys", "list"},
			check: func(t *testing.T, r cliResult) {
				iss.clock.add(rotated.SignsFrom.Sub(iss.clock.now()) + time.Second)
				signedByIt = mustClientToken(t, iss, "svc", svcSecret)
				if kid := tokenKID(t, signedByIt); kid != rotated.KID {
					t.Fatalf("token signed by %s, want %s", kid, rotated.KID)
				}
				verifyAccessToken(t, iss.url, signedByIt)
				wantActive(t, iss, "svc", svcSecret, signedByIt, true)
			},
		},
		{
			name: "revoke the current key",
			args: []string{"keys", "revoke", "--", "KID"}, // replaced below by the rotated kid; a kid may begin with "-"
			check: func(t *testing.T, r cliResult) {
				wantActive(t, iss, "svc", svcSecret, signedByIt, false)
				if kids := publishedKIDs(t, iss); slices.Contains(kids, rotated.KID) {
					t.Fatalf("JWKS kids %v still hold the revoked %s", kids, rotated.KID)
				}
				tok := mustClientToken(t, iss, "svc", svcSecret)
				if _, kid := verifyAccessToken(t, iss.url, tok); kid == rotated.KID {
					t.Fatal("the revoked key still signs")
				}
				wantActive(t, iss, "svc", svcSecret, tok, true)
				for _, k := range keyList(t) {
					if k.KID == rotated.KID {
						t.Fatalf("keys list still shows %s", rotated.KID)
					}
				}
			},
		},
		{name: "revoke it again: not found", args: []string{"keys", "revoke", "--", "KID"}, want: exitNotFound},
	}
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			args := slices.Clone(s.args)
			if args[len(args)-1] == "KID" {
				args[len(args)-1] = rotated.KID
			}
			r := lineageCLI(t, environ, "", args...)
			r.check(t, s.want)
			if s.check != nil {
				s.check(t, r)
			}
		})
		if !ok {
			break
		}
	}
}
