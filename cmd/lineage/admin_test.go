package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// adminRoutes are the admin API's routes, with paths that exist in the
// test issuer ("api-client" is created by the fuzz seed corpus).
var adminRoutes = []struct{ method, path string }{
	{"GET", "/admin/v1/clients"},
	{"POST", "/admin/v1/clients"},
	{"GET", "/admin/v1/clients/svc"},
	{"PUT", "/admin/v1/clients/api-client"},
	{"PUT", "/admin/v1/clients/svc"},
	{"DELETE", "/admin/v1/clients/api-client"},
	{"POST", "/admin/v1/clients/api-client/disable"},
	{"POST", "/admin/v1/clients/api-client/enable"},
	{"POST", "/admin/v1/clients/api-client/rotate-secret"},
	{"GET", "/admin/v1/users"},
	{"POST", "/admin/v1/users"},
	{"PUT", "/admin/v1/users/bob/password"},
	{"DELETE", "/admin/v1/users/bob"},
	{"GET", "/admin/v1/keys"},
	{"GET", "/admin/v1/audit"},
	{"GET", "/admin/v1/revocations"},
	{"POST", "/admin/v1/revocations"},
}

func adminDo(t testing.TB, h http.Handler, method, path, body, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// adminState is what the admin API can change, read back through it.
func adminState(t testing.TB, iss *testIssuer) map[string]any {
	state := map[string]any{}
	for _, path := range []string{"/admin/v1/clients", "/admin/v1/users", "/admin/v1/audit?limit=1000"} {
		rec := adminDo(t, iss.app.admin, "GET", path, "", adminToken)
		var v any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || rec.Code != 200 {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
		}
		state[path] = v
	}
	return state
}

func TestAdminRequiresTheToken(t *testing.T) {
	iss := startIssuer(t, "{}")
	before := adminState(t, iss)
	for _, r := range adminRoutes {
		for _, token := range []string{"", "wrong-token", adminToken + "x", strings.ToUpper(adminToken)} {
			rec := adminDo(t, iss.app.admin, r.method, r.path, `{"id":"x","username":"bob","password":"long-enough-password"}`, token)
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("%s %s with token %q: %d, want 401", r.method, r.path, token, rec.Code)
			}
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		}
	}
	req := httptest.NewRequest("GET", "/admin/v1/clients", nil)
	req.Header.Set("Authorization", "Basic "+adminToken)
	rec := httptest.NewRecorder()
	iss.app.admin.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("Basic scheme admitted: %d", rec.Code)
	}
	if after := adminState(t, iss); !reflect.DeepEqual(before, after) {
		t.Fatal("unauthenticated requests changed the state")
	}
}

func TestPublicListenerServesNoAdminRoute(t *testing.T) {
	iss := startIssuer(t, "{}")
	for _, r := range adminRoutes {
		req, _ := http.NewRequest(r.method, iss.url+r.path, strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("public %s %s: %d, want 404", r.method, r.path, resp.StatusCode)
		}
	}
}

// FuzzAdminAPI sends arbitrary JSON bodies to every admin route with the
// right token. Invariants: never a 5xx, and a request that fails changes
// nothing (no partial write).
func FuzzAdminAPI(f *testing.F) {
	iss := startIssuer(f, "{}")
	seed := []string{
		`{"id":"api-client","grant_types":["client_credentials"],"scopes":["read"]}`,
		`{"id":"api-client","token_endpoint_auth_method":"none","redirect_uris":["https://app.example.com/cb"]}`,
		`{"id":"x","token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{"kty":"EC"}]}}`,
		`{"id":"y","access_ttl":"-5m"}`,
		`{"id":"y","grant_types":["client_credentials"],"access_ttl":"100000h"}`,
		`{"kind":"before","scope":"client","id":"api-client"}`,
		`{"kind":"jti","id":"x","before":"2020-01-01T00:00:00Z"}`,
		`{"id":"z","grant_types":["magic"]}`,
		`{"username":"bob","password":"a-long-enough-password"}`,
		`{"password":"short"}`,
		`{"id":"a"} trailing`,
		`{"unknown":1}`,
		`[]`,
		`null`,
		``,
		`{"id":"arn:aws:iam::111122223333:role/x","scopes":["a b"]}`,
	}
	for i := range adminRoutes {
		for _, s := range seed {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		r := adminRoutes[int(route)%len(adminRoutes)]
		before := adminState(t, iss)
		rec := adminDo(t, iss.app.admin, r.method, r.path, body, adminToken)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, rec.Code, rec.Body.String())
		}
		if rec.Code >= 300 {
			if after := adminState(t, iss); !reflect.DeepEqual(before, after) {
				t.Fatalf("%s %s %q failed with %d but changed the state", r.method, r.path, body, rec.Code)
			}
		}
		var v map[string]any
		if rec.Code != http.StatusNoContent && json.Unmarshal(rec.Body.Bytes(), &v) != nil {
			t.Fatalf("%s %s: a body that is not a JSON object: %q", r.method, r.path, rec.Body.String())
		}
	})
}
