package bench

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/admin"
)

// fakeIssuer is a small stand-in for lineage whose answers a test can make
// wrong, slow or failing, to see that the report tells.
type fakeIssuer struct {
	// lies answers active for a token it cannot verify.
	lies bool
	// failEvery answers 503 to every n-th introspection (after the
	// first two, which set-up sends).
	failEvery int64
	// slowEvery answers every n-th introspection (after the first two)
	// after slowFor.
	slowEvery int64
	slowFor   time.Duration

	mu      sync.Mutex
	clients map[string]*fakeClient
	minted  atomic.Int64
	calls   atomic.Int64
}

type fakeClient struct {
	secret     string
	introspect bool
	disabled   bool
}

// fakeKey signs the fake's tokens.
const fakeKey = "fake-issuer-key"

func (f *fakeIssuer) sign(payload string) string {
	m := hmac.New(sha256.New, []byte(fakeKey))
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// owner returns the client of a token the fake signed, "" for any other.
func (f *fakeIssuer) owner(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || !hmac.Equal([]byte(parts[2]), []byte(f.sign(parts[1]))) {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		ClientID string `json:"client_id"`
	}
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return ""
	}
	return c.ClientID
}

func (f *fakeIssuer) authenticate(r *http.Request) (string, *fakeClient) {
	id, secret, ok := r.BasicAuth()
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.clients[id]
	if !ok || c == nil || c.disabled || c.secret != secret {
		return "", nil
	}
	return id, c
}

func (f *fakeIssuer) public() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		id, c := f.authenticate(r)
		if c == nil {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		p, _ := json.Marshal(map[string]any{"client_id": id, "n": f.minted.Add(1)})
		payload := base64.RawURLEncoding.EncodeToString(p)
		token := "eyJhbGciOiJIUzI1NiJ9." + payload + "." + f.sign(payload)
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": token, "token_type": "bearer", "expires_in": 3600})
	})
	mux.HandleFunc("POST /introspect", func(w http.ResponseWriter, r *http.Request) {
		n := f.calls.Add(1)
		// Read the body first: only then does the server notice a client
		// that gives up.
		_ = r.ParseForm()
		if f.slowEvery > 0 && n > 2 && n%f.slowEvery == 0 {
			select {
			case <-time.After(f.slowFor):
			case <-r.Context().Done():
				return
			}
		}
		if f.failEvery > 0 && n > 2 && n%f.failEvery == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"temporarily_unavailable","error_description":"The store is unavailable; retry."}`))
			return
		}
		self, caller := f.authenticate(r)
		if caller == nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		owner := f.owner(r.PostFormValue("token"))
		if owner == "" {
			_ = json.NewEncoder(w).Encode(map[string]any{"active": f.lies})
			return
		}
		f.mu.Lock()
		c := f.clients[owner]
		active := c != nil && !c.disabled && (owner == self || caller.introspect)
		f.mu.Unlock()
		if !active {
			_, _ = w.Write([]byte(`{"active":false}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"active": true, "client_id": owner, "jti": "x"})
	})
	return mux
}

func (f *fakeIssuer) admin() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/v1/clients", func(w http.ResponseWriter, r *http.Request) {
		var in admin.ClientInput
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.ID == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.clients[in.ID] = &fakeClient{secret: "s-" + in.ID, introspect: in.Introspect}
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(admin.ClientSecret{Client: admin.Client{ID: in.ID}, Secret: "s-" + in.ID})
	})
	mux.HandleFunc("POST /admin/v1/clients/{id}/disable", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if c := f.clients[r.PathValue("id")]; c != nil {
			c.disabled = true
			_, _ = w.Write([]byte(`{}`))
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})
	mux.HandleFunc("DELETE /admin/v1/clients/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.clients, r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func TestTheReportTellsWhatWentWrong(t *testing.T) {
	tests := []struct {
		name    string
		fake    *fakeIssuer
		timeout time.Duration
		check   func(t *testing.T, r Report)
	}{
		{
			name: "right answers",
			fake: &fakeIssuer{},
			check: func(t *testing.T, r Report) {
				if r.Failed != 0 || r.Checked[KindMalformed] == 0 {
					t.Errorf("errors %v, checked %v", r.Errors, r.Checked)
				}
			},
		},
		{
			name: "malformed tokens introspect as active",
			fake: &fakeIssuer{lies: true},
			check: func(t *testing.T, r Report) {
				if r.Errors[ErrWrongAnswer] == 0 || r.Errors[ErrWrongAnswer] != r.Failed || r.Checked[KindMalformed] != 0 {
					t.Errorf("errors %v, checked %v", r.Errors, r.Checked)
				}
				if !strings.Contains(r.ErrorSamples[ErrWrongAnswer], "malformed token introspected as active=true") {
					t.Errorf("sample %q", r.ErrorSamples[ErrWrongAnswer])
				}
				if r.Checked[KindValid] == 0 || r.Checked[KindInactive] == 0 {
					t.Errorf("the right answers are not counted: %v", r.Checked)
				}
			},
		},
		{
			name: "store unavailable",
			fake: &fakeIssuer{failEvery: 5},
			check: func(t *testing.T, r Report) {
				const kind = "http_503:temporarily_unavailable"
				if r.Errors[kind] == 0 || r.Errors[kind] != r.Failed || r.ErrorSamples[kind] != "The store is unavailable; retry." {
					t.Errorf("errors %v %v", r.Errors, r.ErrorSamples)
				}
				if r.Requests != r.Failed+r.Checked[KindValid]+r.Checked[KindInactive]+r.Checked[KindMalformed] {
					t.Errorf("%d requests, %d failed, checked %v", r.Requests, r.Failed, r.Checked)
				}
			},
		},
		{
			name:    "slow answers",
			fake:    &fakeIssuer{slowEvery: 7, slowFor: 5 * time.Second},
			timeout: 100 * time.Millisecond,
			check: func(t *testing.T, r Report) {
				if r.Errors[ErrTimeout] == 0 || r.Errors[ErrTimeout] != r.Failed {
					t.Errorf("errors %v", r.Errors)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fake.clients = map[string]*fakeClient{}
			pub, adm := httptest.NewServer(tc.fake.public()), httptest.NewServer(tc.fake.admin())
			defer pub.Close()
			defer adm.Close()
			r, err := Run(context.Background(), Options{
				URL: pub.URL, AdminURL: adm.URL, AdminToken: "t", Scenario: ScenarioIntrospect,
				Concurrency: 4, Count: 400, Tokens: 200, Timeout: tc.timeout,
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Requests != 400 {
				t.Errorf("%d requests, want 400", r.Requests)
			}
			tc.check(t, r)
			if len(tc.fake.clients) != 0 {
				t.Errorf("clients left behind: %v", tc.fake.clients)
			}
		})
	}
}
