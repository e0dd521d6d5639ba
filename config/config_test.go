package config

import (
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// noEnv is a lookupEnv that finds nothing.
func noEnv(string) (string, bool) { return "", false }

// env returns a lookupEnv over m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustParse(t testing.TB, name string) Config {
	t.Helper()
	cfg, err := Parse(readFile(t, name), noEnv, false)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return cfg
}

func ptr[T any](v T) *T { return &v }

func TestParseDesignExample(t *testing.T) {
	got := mustParse(t, "lineage.yaml")

	want := Default()
	want.HTTP.AdminToken = "admin-token-0123456789abcdefghijklmnop"
	want.Secrets.System = []string{"system-secret-0123456789abcdefghijklmnop"}
	want.Clients = []Client{{
		ID:              "web",
		Secret:          "web-client-secret-0123456789abcdefghij",
		RedirectURIs:    []string{"http://127.0.0.1:5555/callback"},
		GrantTypes:      []string{"authorization_code", "refresh_token", "client_credentials"},
		Scopes:          []string{"openid", "profile", "email", "offline_access"},
		TokenRevocation: ptr(true),
		ActorPolicy:     Document(`{}`),
	}}
	want.Users = []User{{
		Username: "alice",
		Password: "alice-pass",
		Email:    "alice@example.com",
	}}
	want.IAM.Users = []IAMUser{{
		Name:       "deployer",
		AccessKeys: []AccessKey{{ID: "AKIAEXAMPLEDEPLOYER1", Secret: "deployer-secret-0123456789abcdefghijklmnopq"}},
		Policies:   []Document{Document(`{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`)},
	}}
	want.IAM.Roles = []IAMRole{{
		Name:               "ExampleAppClientRole",
		MaxSessionDuration: Duration(time.Hour),
		TrustPolicy:        Document(`{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/deployer"}}],"Version":"2012-10-17"}`),
		Policies:           []Document{Document(`{"Statement":[{"Action":"sso-oauth:*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`)},
	}}

	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(lineage.yaml) =\n%+v\nwant\n%+v", got, want)
	}
	if !got.Clients[0].TokenRevocationEnabled() {
		t.Error("token_revocation: true: TokenRevocationEnabled() = false")
	}
}

func TestParseFull(t *testing.T) {
	cfg := mustParse(t, "full.yaml")

	tests := []struct {
		name string
		got  any
		want any
	}{
		{"issuer with path", cfg.Issuer, "https://id.example.com/lineage"},
		{"max_body_bytes", cfg.HTTP.MaxBodyBytes, int64(131072)},
		{"trusted_proxies", cfg.HTTP.TrustedProxies, []string{"10.0.0.0/8", "192.168.1.10"}},
		{"secrets.system as a list, first encrypts", cfg.Secrets.System, []string{"new-system-secret-abcdefghijklmnopqrstuvwxyz", "old-system-secret-abcdefghijklmnopqrstuvwxyz"}},
		{"redis sentinel", cfg.Store.Redis, Redis{
			Addrs: []string{"sentinel-1:26379", "sentinel-2:26379", "sentinel-3:26379"}, MasterName: "lineage",
			Username: "lineage", Password: "redis-password-for-sentinel-tests", DB: 2, TLS: true,
		}},
		{"revocation_wait_replicas", cfg.Store.RevocationWaitReplicas, 1},
		{"tokens", cfg.Tokens, Tokens{
			AccessTTL: Duration(15 * time.Minute), IDTTL: Duration(10 * time.Minute),
			RefreshIdleTTL: Duration(168 * time.Hour), RefreshMaxTTL: Duration(720 * time.Hour),
			RefreshReuseGrace: Duration(2 * time.Second), SigningAlg: "EdDSA",
			DefaultAudience: "https://api.example.com", Leeway: Duration(time.Minute),
		}},
		{"keys", cfg.Keys, Keys{RotateEvery: Duration(168 * time.Hour), JWKSMaxAge: Duration(10 * time.Minute)}},
		{"log level", cfg.Log.Level, "debug"},
		{"telemetry", cfg.Telemetry, Telemetry{OTLPEndpoint: "http://otel-collector:4318", ServiceName: "lineage-eu", SampleRatio: 0.25}},
		{"rate limits", cfg.RateLimits, RateLimits{Enabled: true, TokenPerClient: "200/s", FailedClientAuth: "5/m",
			FailedClientAuthPerIP: "30/m", FailedSigV4: "10/m", FailedSigV4PerIP: "50/10s"}},
		{"default grant type without redirect_uris", cfg.Clients[0].GrantTypes, []string{"client_credentials"}},
		{"default grant types with redirect_uris", cfg.Clients[2].GrantTypes, []string{"authorization_code", "refresh_token"}},
		{"explicit grant types kept", cfg.Clients[3].GrantTypes, []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"}},
		{"client access_ttl", cfg.Clients[0].AccessTTL, Duration(5 * time.Minute)},
		{"token_revocation absent means enabled", cfg.Clients[0].TokenRevocationEnabled(), true},
		{"token_revocation false", cfg.Clients[1].TokenRevocationEnabled(), false},
		{"client jwks", cfg.Clients[1].JWKS.String(),
			`{"keys":[{"alg":"ES256","crv":"P-256","kid":"k1","kty":"EC","use":"sig","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}`},
		{"actor policy", cfg.Clients[1].ActorPolicy.String(),
			`{"Statement":[{"Action":["sso-oauth:CreateTokenWithIAM","sso-oauth:IntrospectTokenWithIAM"],"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ExampleAppClientRole"},"Resource":"*"}],"Version":"2012-10-17"}`},
		{"unquoted 2012-10-17 stays a string, anchored statement", cfg.Clients[1].Policies[0].String(),
			`{"Statement":[{"Action":"sso-oauth:CreateToken","Effect":"Deny","Resource":"*"}],"Version":"2012-10-17"}`},
		{"trusted token issuer", cfg.Clients[1].TrustedTokenIssuers, []TrustedTokenIssuer{{
			Issuer: "https://login.example.org", JWKSURI: "https://login.example.org/.well-known/jwks.json",
			Audience: "lineage", UserClaim: "email",
		}}},
		{"merge key, false stays a string", cfg.Users[0].Policies[0].String(),
			`{"Statement":[{"Action":"sso-oauth:CreateToken","Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny","Resource":"*"}],"Version":"2012-10-17"}`},
		{"password_hash", cfg.Users[0].PasswordHash, "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"},
		{"Version 5.0 stays \"5.0\"", cfg.IAM.Roles[0].TrustPolicy.String(),
			`{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":["arn:aws-cn:iam::111122223333:user/ci@example"]}}],"Version":"5.0"}`},
		{"unquoted account id and number stay strings", cfg.IAM.Roles[0].Policies[0].String(),
			`{"Statement":[{"Action":["iamToken::generatePkiToken"],"Condition":{"NumericLessThan":{"aws:EpochTime":"4102444800"},"StringEquals":{"g:DomainId":"111122223333"}},"Effect":"Allow"}],"Version":"5.0"}`},
		{"max_session_duration", cfg.IAM.Roles[0].MaxSessionDuration, Duration(12 * time.Hour)},
		{"max_session_duration default", cfg.IAM.Roles[1].MaxSessionDuration, Duration(time.Hour)},
		{"Statement as an object", cfg.IAM.Roles[1].TrustPolicy.String(),
			`{"Statement":{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"111122223333"}},"Version":"2012-10-17"}`},
		{"org policy, Null key, true stays a string", cfg.IAM.OrgPolicies[0].String(),
			`{"Statement":[{"Action":"sso-oauth:*","Condition":{"Null":{"aws:TokenIssueTime":"true"},"StringLike":{"lineage:Username":"intern-*"}},"Effect":"Deny","Resource":"*","Sid":"NoTokensForInterns"}],"Version":"2012-10-17"}`},
		{"iam partition and region", []string{cfg.IAM.Partition, cfg.IAM.Region}, []string{"aws-cn", "cn-north-1"}},
		{"access keys", cfg.IAM.Users[0].AccessKeys, []AccessKey{
			{ID: "AKIAIOSFODNN7EXAMPLE", Secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
			{ID: "AKIAI44QH8DHBEXAMPLE", Secret: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v\nwant %#v", tt.got, tt.want)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	d := Default()
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"issuer", d.Issuer, "http://127.0.0.1:8080"},
		{"http.public", d.HTTP.Public, "127.0.0.1:8080"},
		{"http.admin", d.HTTP.Admin, "127.0.0.1:8081"},
		{"http.max_body_bytes", d.HTTP.MaxBodyBytes, int64(65536)},
		{"tokens.access_ttl", d.Tokens.AccessTTL.D(), time.Hour},
		{"tokens.id_ttl", d.Tokens.IDTTL.D(), time.Hour},
		{"tokens.refresh_idle_ttl", d.Tokens.RefreshIdleTTL.D(), 720 * time.Hour},
		{"tokens.refresh_max_ttl", d.Tokens.RefreshMaxTTL.D(), 2160 * time.Hour},
		{"tokens.refresh_reuse_grace", d.Tokens.RefreshReuseGrace.D(), time.Duration(0)},
		{"tokens.signing_alg", d.Tokens.SigningAlg, "ES256"},
		{"tokens.default_audience", d.Tokens.DefaultAudience, ""},
		{"tokens.leeway", d.Tokens.Leeway.D(), 30 * time.Second},
		{"keys.rotate_every", d.Keys.RotateEvery.D(), 720 * time.Hour},
		{"keys.jwks_max_age", d.Keys.JWKSMaxAge.D(), 5 * time.Minute},
		{"log.level", d.Log.Level, "info"},
		{"telemetry is off", d.Telemetry, Telemetry{ServiceName: "lineage", SampleRatio: 1}},
		{"iam.account_id", d.IAM.AccountID, "111122223333"},
		{"iam.partition", d.IAM.Partition, "aws"},
		{"iam.region", d.IAM.Region, "us-east-1"},
		{"store is the embedded one", d.Store, Store{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestParseFillsDefaults(t *testing.T) {
	tests := []struct {
		name string
		yaml string
	}{
		{"empty file", ""},
		{"comments only", "# nothing\n"},
		{"empty document", "---\n"},
		{"null sections", "http:\ntokens: ~\nkeys:\n"},
		{"only a secret", "secrets: {system: short-is-fine-in-dev}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.yaml), env(map[string]string{"LINEAGE_SECRETS_SYSTEM": "short-is-fine-in-dev"}), true)
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			want.Secrets.System = []string{"short-is-fine-in-dev"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestEmptyFileOutsideDev(t *testing.T) {
	_, err := Parse(nil, noEnv, false)
	for _, want := range []string{"http.admin_token: must be at least 32 characters", "secrets.system: required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(empty, dev=false) error %v, want it to contain %q", err, want)
		}
	}
}

func TestInvalidFileReportsEveryProblem(t *testing.T) {
	data := readFile(t, "invalid.yaml")
	_, err := Parse(data, noEnv, false)
	if err == nil {
		t.Fatal("Parse(invalid.yaml) succeeded")
	}
	msg := err.Error()
	for _, want := range []string{
		"issuer: must use https",
		"issuer: must not end with a slash",
		"http.admin: must differ from http.public",
		"http.admin_token: must be replaced by a random token",
		"http.max_body_bytes: must be between 1024 and 10485760",
		"store.redis_url: set either store.redis_url or store.redis.addrs, not both",
		"store.redis_url: must be a redis:// or rediss:// URL",
		"store.redis.db: must be 0 or more",
		"store.revocation_wait_replicas: must be 0 or more",
		"secrets.system[0]: must be at least 32 characters",
		"tokens.access_ttl: must be positive",
		"tokens.refresh_max_ttl: must be at least tokens.refresh_idle_ttl",
		"tokens.refresh_reuse_grace: must be 0s or more",
		"tokens.signing_alg: must be ES256, RS256 or EdDSA",
		"tokens.leeway: must be between 0s and 5m",
		"keys.jwks_max_age: must be between 0s and 24h",
		"keys.rotate_every: must be at least 1h",
		"log.level: must be debug, info, warn or error",
		"clients[0]: set at most one of secret, secret_hash and jwks",
		"clients[0].secret: must be at least 32 characters (or use secret_hash)",
		`clients[0].grant_types[1]: unknown grant type "implicit"`,
		"clients[0].redirect_uris[0]: must not have a fragment",
		"clients[0].redirect_uris[1]: must be an absolute URL",
		"clients[1].id: duplicate of clients[0].id",
		"clients[1].grant_types: client_credentials requires a confidential client",
		"clients[1].policies[0]: must be a policy document",
		"clients[2].id: required",
		`clients[2].jwks: must have a "keys" list`,
		"clients[2].access_ttl: must be 0s (tokens.access_ttl) or more",
		"users[0]: set only one of password and password_hash",
		"users[1].username: duplicate of users[0].username",
		"users[1]: set one of password and password_hash",
		"iam.account_id: must be exactly 12 digits",
		"iam.users[0].access_keys[0].id: must be AKIA followed by 16",
		"iam.users[0].access_keys[0].secret: must be at least 40 characters",
		"iam.users[1].name: duplicate of iam.users[0].name",
		"iam.roles[0].max_session_duration: must be between 15m and 12h",
		"iam.roles[0].trust_policy: required",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q", want)
		}
	}
	for _, secret := range []string{
		"Change-Me", "hunter2-redis-pass", "hunter3-redis-pass", "tiny-system-secret", "tiny-client-secret",
		"tiny-user-password", "tiny-access-key-secret", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
	} {
		if strings.Contains(msg, secret) {
			t.Errorf("error contains the secret %q", secret)
		}
	}
	if t.Failed() {
		t.Logf("error:\n%s", msg)
	}

	// Each problem is a *Problem, reachable one by one.
	var p *Problem
	if !errors.As(err, &p) || p.Key == "" || p.Message == "" {
		t.Errorf("errors.As(*Problem) = %v, %+v", errors.As(err, &p), p)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n < 38 {
		t.Errorf("%d problems, want at least 38", n)
	}
}

func TestYAMLProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown top-level key", "isuer: https://x.example\n", []string{`line 1: unknown key "isuer"`}},
		{"unknown nested key", "tokens:\n  acess_ttl: 1h\n", []string{`line 2: unknown key "acess_ttl"`}},
		{"unknown client key", "clients:\n  - id: a\n    redirect_uri: https://a.example/cb\n", []string{`line 3: unknown key "redirect_uri"`}},
		{"unknown key in secrets", "secrets: {system: x, sytem: y}\n", []string{`line 1: unknown key "sytem"`}},
		{"unknown keys all reported", "a: 1\nb: 2\n", []string{`line 1: unknown key "a"`, `line 2: unknown key "b"`}},
		{"list expected", "clients: {id: web}\n", []string{"line 1: expected a list, got a mapping"}},
		{"integer expected", "store: {redis: {db: zero}}\n", []string{"line 1: expected an integer, got a string"}},
		{"boolean expected", "store: {redis: {tls: [x]}}\n", []string{"line 1: expected true or false, got a list"}},
		{"number expected", "telemetry: {sample_ratio: half}\n", []string{"line 1: expected a number, got a string"}},
		{"bad duration", "tokens: {access_ttl: 1 hour}\n", []string{`line 1: invalid duration "1 hour"`}},
		{"duration without unit", "tokens: {access_ttl: 3600}\n", []string{`line 1: invalid duration "3600"`}},
		{"type problems and validation together", "tokens: {access_ttl: abc, signing_alg: none}\n", []string{
			`line 1: invalid duration "abc"`, "tokens.signing_alg: must be ES256, RS256 or EdDSA",
		}},
		{"duplicate key", "issuer: a\nissuer: b\n", []string{`line 2: duplicate key "issuer" (first at line 1)`}},
		{"duplicate key in a document", "iam: {org_policies: [{Version: a, Version: b}]}\n", []string{`line 1: duplicate key "Version" in document`}},
		{"non-string key in a document", "iam: {org_policies: [{[a]: b}]}\n", []string{"line 1: document keys must be strings, got a list"}},
		{"syntax error", "issuer: [unclosed\n", []string{"line 1: did not find expected ',' or ']'"}},
		{"two documents", "issuer: https://a.example\n---\nissuer: https://b.example\n", []string{"line 2: only one YAML document is allowed"}},
		{"alias cycle", "iam: {org_policies: &a [*a]}\n", []string{"alias refers to a value that contains it"}},
		{"alias bomb", aliasBomb(), []string{"aliases expand to more than"}},
		{"secrets.system of mappings", "secrets: {system: [{a: b}]}\n", []string{"line 1: expected a string, got a mapping"}},
		{"not a mapping", "just a string\n", []string{"line 1: expected a mapping, got a string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), env(map[string]string{"LINEAGE_SECRETS_SYSTEM": "dev-secret"}), true)
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// aliasBomb is a billion-laughs document.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("iam:\n  org_policies:\n    - &a0 {k: v}\n")
	for i := 1; i <= 12; i++ {
		b.WriteString("    - &a" + strconv.Itoa(i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + strconv.Itoa(i-1))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestDocumentFromYAML(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"scalars are strings", "{a: 1, b: 1.50, c: true, d: 2024-01-01, e: 0x1F, f: .inf}", `{"a":"1","b":"1.50","c":"true","d":"2024-01-01","e":"0x1F","f":".inf"}`},
		{"nested null is JSON null", "{a: null, b: ~, c: }", `{"a":null,"b":null,"c":null}`},
		{"quoted null is a string", `{a: "null"}`, `{"a":"null"}`},
		{"keys sorted", "{b: 1, a: 2, c: {z: 1, y: 2}}", `{"a":"2","b":"1","c":{"y":"2","z":"1"}}`},
		{"no HTML escaping", `{a: "<&>"}`, `{"a":"<&>"}`},
		{"empty mapping", "{}", `{}`},
		{"list", "[a, 1]", `["a","1"]`},
		{"scalar", "text", `"text"`},
		{"merge keys: explicit wins", "{base: &b {x: 1, y: 2}, m: {<<: *b, y: 3}}", `{"base":{"x":"1","y":"2"},"m":{"x":"1","y":"3"}}`},
		{"merge list: first wins", "{a: &a {x: 1}, b: &b {x: 2, z: 3}, m: {<<: [*a, *b]}}", `{"a":{"x":"1"},"b":{"x":"2","z":"3"},"m":{"x":"1","z":"3"}}`},
		{"alias", "{a: &x [1, 2], b: *x}", `{"a":["1","2"],"b":["1","2"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Document
			if err := yaml.Unmarshal([]byte(tt.yaml), &d); err != nil {
				t.Fatal(err)
			}
			if got := d.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		dev    bool
		want   string // substring of the error; "" means valid
	}{
		{"design example", func(*Config) {}, false, ""},
		{"issuer https with path", func(c *Config) { c.Issuer = "https://id.example.com/tenant" }, false, ""},
		{"issuer http localhost", func(c *Config) { c.Issuer = "http://localhost:8080" }, false, ""},
		{"issuer http ipv6 loopback", func(c *Config) { c.Issuer = "http://[::1]:8080" }, false, ""},
		{"issuer http public host", func(c *Config) { c.Issuer = "http://id.example.com" }, false, "issuer: must use https"},
		{"issuer http public host in dev", func(c *Config) { c.Issuer = "http://id.example.com" }, true, ""},
		{"issuer empty", func(c *Config) { c.Issuer = "" }, false, "issuer: required"},
		{"issuer relative", func(c *Config) { c.Issuer = "/lineage" }, false, "issuer: must be an absolute http(s) URL"},
		{"issuer other scheme", func(c *Config) { c.Issuer = "ftp://id.example.com" }, false, "issuer: must be an absolute http(s) URL"},
		{"issuer upper-case scheme", func(c *Config) { c.Issuer = "HTTPS://id.example.com" }, false, "issuer: must be an absolute http(s) URL"},
		{"issuer query", func(c *Config) { c.Issuer = "https://id.example.com?x=1" }, false, "issuer: must not have a query or fragment"},
		{"issuer empty query", func(c *Config) { c.Issuer = "https://id.example.com?" }, false, "issuer: must not have a query or fragment"},
		{"issuer fragment", func(c *Config) { c.Issuer = "https://id.example.com#x" }, false, "issuer: must not have a query or fragment"},
		{"issuer trailing slash", func(c *Config) { c.Issuer = "https://id.example.com/" }, false, "issuer: must not end with a slash"},
		{"issuer user info", func(c *Config) { c.Issuer = "https://u:p@id.example.com" }, false, "issuer: must be an absolute"},

		{"public not host:port", func(c *Config) { c.HTTP.Public = "8080" }, false, "http.public: must be host:port"},
		{"admin port not numeric", func(c *Config) { c.HTTP.Admin = "127.0.0.1:http" }, false, "http.admin: must have a numeric port"},
		{"admin missing", func(c *Config) { c.HTTP.Admin = "" }, false, "http.admin: required"},
		{"listeners equal", func(c *Config) { c.HTTP.Admin = c.HTTP.Public }, false, "http.admin: must differ from http.public"},
		{"listeners overlap on wildcard", func(c *Config) { c.HTTP.Public, c.HTTP.Admin = ":8080", "127.0.0.1:8080" }, false, "http.admin: must differ from http.public"},
		{"listeners on different hosts", func(c *Config) { c.HTTP.Public, c.HTTP.Admin = "10.0.0.1:8080", "127.0.0.1:8080" }, false, ""},
		{"listeners on free ports", func(c *Config) { c.HTTP.Public, c.HTTP.Admin = "127.0.0.1:0", ":0" }, false, ""},
		{"trusted proxy not an IP", func(c *Config) { c.HTTP.TrustedProxies = []string{"10.0.0.0/8", "proxy.local"} }, false, "http.trusted_proxies[1]: must be an IP address or CIDR"},
		{"max body too small", func(c *Config) { c.HTTP.MaxBodyBytes = 1023 }, false, "http.max_body_bytes"},
		{"max body smallest", func(c *Config) { c.HTTP.MaxBodyBytes = 1024 }, false, ""},
		{"max body largest", func(c *Config) { c.HTTP.MaxBodyBytes = 10 << 20 }, false, ""},
		{"max body too large", func(c *Config) { c.HTTP.MaxBodyBytes = 10<<20 + 1 }, false, "http.max_body_bytes"},

		{"admin token short", func(c *Config) { c.HTTP.AdminToken = "short" }, false, "http.admin_token: must be at least 32 characters"},
		{"admin token short in dev", func(c *Config) { c.HTTP.AdminToken = "short" }, true, ""},
		{"admin token empty in dev", func(c *Config) { c.HTTP.AdminToken = "" }, true, ""},
		{"admin token placeholder", func(c *Config) { c.HTTP.AdminToken = "change-me" }, false, "http.admin_token: must be replaced"},
		{"admin token padded placeholder", func(c *Config) { c.HTTP.AdminToken = "  CHANGE-ME" + strings.Repeat(" ", 30) }, false, "http.admin_token: must be replaced"},
		{"admin token padded to length", func(c *Config) { c.HTTP.AdminToken = "   abc" + strings.Repeat(" ", 40) }, false, "http.admin_token: must be at least 32"},
		{"admin token 32 characters", func(c *Config) { c.HTTP.AdminToken = strings.Repeat("é", 32) }, false, ""},

		{"no system secret", func(c *Config) { c.Secrets.System = nil }, false, "secrets.system: required"},
		{"no system secret in dev", func(c *Config) { c.Secrets.System = nil }, true, "secrets.system: required"},
		{"short system secret", func(c *Config) { c.Secrets.System = []string{strings.Repeat("a", 31)} }, false, "secrets.system[0]: must be at least 32 characters"},
		{"short old system secret", func(c *Config) { c.Secrets.System = []string{strings.Repeat("a", 32), "old"} }, false, "secrets.system[1]: must be at least 32 characters"},
		{"short system secret in dev", func(c *Config) { c.Secrets.System = []string{"dev"} }, true, ""},
		{"empty system secret in dev", func(c *Config) { c.Secrets.System = []string{" "} }, true, "secrets.system[0]: must not be empty"},

		{"access ttl zero", func(c *Config) { c.Tokens.AccessTTL = 0 }, false, "tokens.access_ttl: must be positive"},
		{"id ttl negative", func(c *Config) { c.Tokens.IDTTL = Duration(-time.Second) }, false, "tokens.id_ttl: must be positive"},
		{"refresh idle zero", func(c *Config) { c.Tokens.RefreshIdleTTL = 0 }, false, "tokens.refresh_idle_ttl: must be positive"},
		{"refresh max below idle", func(c *Config) { c.Tokens.RefreshMaxTTL = c.Tokens.RefreshIdleTTL - 1 }, false, "tokens.refresh_max_ttl: must be at least tokens.refresh_idle_ttl"},
		{"refresh max equals idle", func(c *Config) { c.Tokens.RefreshMaxTTL = c.Tokens.RefreshIdleTTL }, false, ""},
		{"reuse grace negative", func(c *Config) { c.Tokens.RefreshReuseGrace = -1 }, false, "tokens.refresh_reuse_grace"},
		{"signing alg RS256", func(c *Config) { c.Tokens.SigningAlg = "RS256" }, false, ""},
		{"signing alg lower case", func(c *Config) { c.Tokens.SigningAlg = "es256" }, false, "tokens.signing_alg"},
		{"leeway 5m", func(c *Config) { c.Tokens.Leeway = Duration(5 * time.Minute) }, false, ""},
		{"leeway over 5m", func(c *Config) { c.Tokens.Leeway = Duration(5*time.Minute + 1) }, false, "tokens.leeway"},
		{"leeway negative", func(c *Config) { c.Tokens.Leeway = -1 }, false, "tokens.leeway"},

		{"rotate every under 1h", func(c *Config) { c.Keys.RotateEvery = Duration(59 * time.Minute) }, false, "keys.rotate_every: must be at least 1h"},
		{"rotate every twice max age", func(c *Config) { c.Keys.RotateEvery, c.Keys.JWKSMaxAge = Duration(2*time.Hour), Duration(time.Hour) }, false, "keys.rotate_every: must be more than twice keys.jwks_max_age"},
		{"rotate every just over twice max age", func(c *Config) { c.Keys.RotateEvery, c.Keys.JWKSMaxAge = Duration(2*time.Hour+1), Duration(time.Hour) }, false, ""},
		{"jwks max age zero", func(c *Config) { c.Keys.JWKSMaxAge = 0 }, false, ""},
		{"jwks max age over a day", func(c *Config) {
			c.Keys.JWKSMaxAge, c.Keys.RotateEvery = Duration(25*time.Hour), Duration(100*time.Hour)
		}, false, "keys.jwks_max_age"},
		{"log level", func(c *Config) { c.Log.Level = "trace" }, false, "log.level"},
		{"log level warn", func(c *Config) { c.Log.Level = "warn" }, false, ""},

		{"redis url", func(c *Config) { c.Store.RedisURL = "rediss://u:p@redis.example.com:6380/3?dial_timeout=3s" }, false, ""},
		{"redis url and addrs", func(c *Config) { c.Store.RedisURL, c.Store.Redis.Addrs = "redis://r:6379", []string{"r:6379"} }, false, "store.redis_url: set either"},
		{"redis url scheme", func(c *Config) { c.Store.RedisURL = "unix:///tmp/redis.sock" }, false, "store.redis_url: must be a redis:// or rediss:// URL"},
		{"redis url no host", func(c *Config) { c.Store.RedisURL = "redis://" }, false, "store.redis_url: must be a redis:// or rediss:// URL"},
		{"redis url bad db", func(c *Config) { c.Store.RedisURL = "redis://r:6379/x" }, false, "store.redis_url: invalid database number"},
		{"redis url unknown option", func(c *Config) { c.Store.RedisURL = "redis://r:6379?colour=blue" }, false, "store.redis_url: unexpected option: colour"},
		{"redis url does not parse", func(c *Config) { c.Store.RedisURL = "redis://u:p@r:port" }, false, "store.redis_url: must be a redis:// or rediss:// URL"},
		{"master name without addrs", func(c *Config) { c.Store.Redis.MasterName = "m" }, false, "store.redis.master_name: requires store.redis.addrs"},
		{"sentinel", func(c *Config) {
			c.Store.Redis.MasterName, c.Store.Redis.Addrs, c.Store.Redis.DB = "m", []string{"s1:26379", "s2:26379"}, 1
		}, false, ""},
		{"cluster db", func(c *Config) { c.Store.Redis.Addrs, c.Store.Redis.DB = []string{"c1:6379", "c2:6379"}, 1 }, false, "store.redis.db: must be 0 with Redis Cluster"},
		{"redis addr without port", func(c *Config) { c.Store.Redis.Addrs = []string{"redis"} }, false, "store.redis.addrs[0]: must be host:port"},
		{"redis db negative", func(c *Config) { c.Store.Redis.DB = -1 }, false, "store.redis.db: must be 0 or more"},
		{"wait replicas negative", func(c *Config) { c.Store.RevocationWaitReplicas = -1 }, false, "store.revocation_wait_replicas"},

		{"client public with code flow", func(c *Config) {
			c.Clients[0].Secret = ""
			c.Clients[0].GrantTypes = []string{"authorization_code", "refresh_token"}
		}, false, ""},
		{"client id empty", func(c *Config) { c.Clients[0].ID = "" }, false, "clients[0].id: required"},
		{"client id duplicate", func(c *Config) { c.Clients = append(c.Clients, c.Clients[0]) }, false, "clients[1].id: duplicate of clients[0].id"},
		{"client secret short", func(c *Config) { c.Clients[0].Secret = "abc" }, false, "clients[0].secret: must be at least 32 characters (or use secret_hash)"},
		{"client secret short in dev", func(c *Config) { c.Clients[0].Secret = "abc" }, true, ""},
		{"client secret and hash", func(c *Config) { c.Clients[0].SecretHash = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8" }, false, "clients[0]: set at most one of secret, secret_hash and jwks"},
		{"client secret hash", func(c *Config) {
			c.Clients[0].Secret, c.Clients[0].SecretHash = "", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
		}, false, ""},
		{"client secret hash padded", func(c *Config) {
			c.Clients[0].Secret, c.Clients[0].SecretHash = "", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
		}, false, "clients[0].secret_hash: must be the unpadded base64url encoding of 32 bytes"},
		{"client secret hash std alphabet", func(c *Config) {
			c.Clients[0].Secret, c.Clients[0].SecretHash = "", "+/ECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
		}, false, "clients[0].secret_hash"},
		{"client secret hash 31 bytes", func(c *Config) {
			c.Clients[0].Secret, c.Clients[0].SecretHash = "", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg"
		}, false, "clients[0].secret_hash"},
		{"client jwks", func(c *Config) { c.Clients[0].Secret, c.Clients[0].JWKS = "", Document(`{"keys":[]}`) }, false, ""},
		{"client jwks without keys", func(c *Config) { c.Clients[0].Secret, c.Clients[0].JWKS = "", Document(`{"key":[]}`) }, false, `clients[0].jwks: must have a "keys" list`},
		{"client jwks keys not a list", func(c *Config) { c.Clients[0].Secret, c.Clients[0].JWKS = "", Document(`{"keys":"a"}`) }, false, `clients[0].jwks: must have a "keys" list`},
		{"client jwks a list", func(c *Config) { c.Clients[0].Secret, c.Clients[0].JWKS = "", Document(`[]`) }, false, "clients[0].jwks: must be a JSON Web Key Set"},
		{"client unknown grant", func(c *Config) { c.Clients[0].GrantTypes = []string{"password"} }, false, `clients[0].grant_types[0]: unknown grant type "password"`},
		{"client duplicate grant", func(c *Config) { c.Clients[0].GrantTypes = []string{"refresh_token", "refresh_token"} }, false, "clients[0].grant_types[1]: duplicate grant type"},
		{"client every grant", func(c *Config) { c.Clients[0].GrantTypes = knownGrantTypes() }, false, ""},
		{"public client credentials", func(c *Config) { c.Clients[0].Secret = "" }, false, "clients[0].grant_types: client_credentials requires a confidential client"},
		{"code without redirect", func(c *Config) { c.Clients[0].RedirectURIs = nil }, false, "clients[0].redirect_uris: authorization_code requires at least one redirect URI"},
		{"redirect fragment", func(c *Config) { c.Clients[0].RedirectURIs = []string{"https://a.example/cb#x"} }, false, "clients[0].redirect_uris[0]: must not have a fragment"},
		{"redirect relative", func(c *Config) { c.Clients[0].RedirectURIs = []string{"/cb"} }, false, "clients[0].redirect_uris[0]: must be an absolute URL"},
		{"redirect javascript", func(c *Config) { c.Clients[0].RedirectURIs = []string{"javascript:alert(1)"} }, false, "clients[0].redirect_uris[0]: must not use the javascript scheme"},
		{"redirect private scheme", func(c *Config) { c.Clients[0].RedirectURIs = []string{"com.example.app:/cb"} }, false, ""},
		{"redirect https without host", func(c *Config) { c.Clients[0].RedirectURIs = []string{"https:///cb"} }, false, "clients[0].redirect_uris[0]: must have a host"},
		{"post logout relative", func(c *Config) { c.Clients[0].PostLogoutRedirectURIs = []string{"bye"} }, false, "clients[0].post_logout_redirect_uris[0]: must be an absolute URL"},
		{"scope with space", func(c *Config) { c.Clients[0].Scopes = []string{"openid profile"} }, false, "clients[0].scopes[0]: must be a scope token"},
		{"audience empty", func(c *Config) { c.Clients[0].Audiences = []string{""} }, false, "clients[0].audiences[0]: must not be empty"},
		{"client policy not an object", func(c *Config) { c.Clients[0].Policies = []Document{Document(`"Deny"`)} }, false, "clients[0].policies[0]: must be a policy document"},
		{"client policy absent", func(c *Config) { c.Clients[0].Policies = []Document{nil} }, false, "clients[0].policies[0]: must be a policy document"},
		{"actor policy list", func(c *Config) { c.Clients[0].ActorPolicy = Document(`[]`) }, false, "clients[0].actor_policy: must be a policy document"},
		{"actor policy absent", func(c *Config) { c.Clients[0].ActorPolicy = nil }, false, ""},
		{"introspect public", func(c *Config) {
			c.Clients[0].Secret, c.Clients[0].GrantTypes, c.Clients[0].Introspect = "", []string{"authorization_code"}, true
		}, false, "clients[0].introspect: requires a confidential client"},
		{"revocation events public", func(c *Config) {
			c.Clients[0].Secret, c.Clients[0].GrantTypes, c.Clients[0].RevocationEvents = "", []string{"authorization_code"}, true
		}, false, "clients[0].revocation_events: requires a confidential client"},
		{"client ttl negative", func(c *Config) { c.Clients[0].IDTTL = -1 }, false, "clients[0].id_ttl: must be 0s"},
		{"client refresh max below global idle", func(c *Config) { c.Clients[0].RefreshMaxTTL = Duration(time.Hour) }, false, "clients[0].refresh_max_ttl: must be at least the client's refresh idle TTL"},
		{"client refresh ttls", func(c *Config) {
			c.Clients[0].RefreshIdleTTL, c.Clients[0].RefreshMaxTTL = Duration(time.Hour), Duration(2*time.Hour)
		}, false, ""},
		{"trusted issuer", func(c *Config) {
			c.Clients[0].TrustedTokenIssuers = []TrustedTokenIssuer{{Issuer: "https://idp.example", JWKS: Document(`{"keys":[]}`), Audience: "lineage"}}
		}, false, ""},
		{"trusted issuer without audience", func(c *Config) {
			c.Clients[0].TrustedTokenIssuers = []TrustedTokenIssuer{{Issuer: "https://idp.example", JWKS: Document(`{"keys":[]}`)}}
		}, false, "clients[0].trusted_token_issuers[0].audience: required"},
		{"trusted issuer without keys", func(c *Config) {
			c.Clients[0].TrustedTokenIssuers = []TrustedTokenIssuer{{Issuer: "https://idp.example"}}
		}, false, "clients[0].trusted_token_issuers[0]: set one of jwks_uri and jwks"},
		{"trusted issuer with both keys", func(c *Config) {
			c.Clients[0].TrustedTokenIssuers = []TrustedTokenIssuer{{Issuer: "https://idp.example", JWKSURI: "https://idp.example/jwks", JWKS: Document(`{"keys":[]}`)}}
		}, false, "clients[0].trusted_token_issuers[0]: set only one of jwks_uri and jwks"},
		{"trusted issuer http jwks uri", func(c *Config) {
			c.Clients[0].TrustedTokenIssuers = []TrustedTokenIssuer{{Issuer: "https://idp.example", JWKSURI: "http://idp.example/jwks"}}
		}, false, "clients[0].trusted_token_issuers[0].jwks_uri: must use https"},
		{"trusted issuer missing issuer", func(c *Config) {
			c.Clients[0].TrustedTokenIssuers = []TrustedTokenIssuer{{JWKSURI: "https://idp.example/jwks"}}
		}, false, "clients[0].trusted_token_issuers[0].issuer: must be the issuer's absolute URL"},
		{"trusted issuer duplicate", func(c *Config) {
			tti := TrustedTokenIssuer{Issuer: "https://idp.example", JWKSURI: "https://idp.example/jwks"}
			c.Clients[0].TrustedTokenIssuers = []TrustedTokenIssuer{tti, tti}
		}, false, "clients[0].trusted_token_issuers[1].issuer: duplicate"},

		{"user without password", func(c *Config) { c.Users[0].Password = "" }, false, "users[0]: set one of password and password_hash"},
		{"user with both", func(c *Config) { c.Users[0].PasswordHash = "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA" }, false, "users[0]: set only one of password and password_hash"},
		{"user bcrypt hash", func(c *Config) { c.Users[0].Password, c.Users[0].PasswordHash = "", "$2a$10$abc" }, false, "users[0].password_hash: must be an argon2id hash"},
		{"user argon2id hash", func(c *Config) {
			c.Users[0].Password, c.Users[0].PasswordHash = "", "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"
		}, false, ""},
		{"user no username", func(c *Config) { c.Users[0].Username = "" }, false, "users[0].username: required"},
		{"user duplicate", func(c *Config) { c.Users = append(c.Users, c.Users[0]) }, false, "users[1].username: duplicate of users[0].username"},
		{"user bad email", func(c *Config) { c.Users[0].Email = "alice" }, false, "users[0].email"},
		{"user policy not an object", func(c *Config) { c.Users[0].Policies = []Document{Document(`[]`)} }, false, "users[0].policies[0]: must be a policy document"},

		{"account id short", func(c *Config) { c.IAM.AccountID = "11112222333" }, false, "iam.account_id: must be exactly 12 digits"},
		{"account id ignored without principals", func(c *Config) { c.IAM.AccountID, c.IAM.Users, c.IAM.Roles = "x", nil, nil }, false, ""},
		{"partition", func(c *Config) { c.IAM.Partition = "" }, false, "iam.partition"},
		{"region", func(c *Config) { c.IAM.Region = "US East" }, false, "iam.region"},
		{"iam user name", func(c *Config) { c.IAM.Users[0].Name = "a/b" }, false, "iam.users[0].name: must be 1 to 64"},
		{"iam user name empty", func(c *Config) { c.IAM.Users[0].Name = "" }, false, "iam.users[0].name: required"},
		{"iam user duplicate", func(c *Config) {
			c.IAM.Users = append(c.IAM.Users, IAMUser{Name: c.IAM.Users[0].Name})
		}, false, "iam.users[1].name: duplicate of iam.users[0].name"},
		{"access key id", func(c *Config) { c.IAM.Users[0].AccessKeys[0].ID = "ASIAEXAMPLEDEPLOYER1" }, false, "iam.users[0].access_keys[0].id: must be AKIA"},
		{"access key id lower case", func(c *Config) { c.IAM.Users[0].AccessKeys[0].ID = "AKIAexampledeployer1" }, false, "iam.users[0].access_keys[0].id"},
		{"access key duplicate across users", func(c *Config) {
			c.IAM.Users = append(c.IAM.Users, IAMUser{Name: "other", AccessKeys: c.IAM.Users[0].AccessKeys})
		}, false, "iam.users[1].access_keys[0].id: duplicate of iam.users[0].access_keys[0].id"},
		{"access key secret short", func(c *Config) { c.IAM.Users[0].AccessKeys[0].Secret = strings.Repeat("s", 39) }, false, "iam.users[0].access_keys[0].secret: must be at least 40 characters"},
		{"access key secret short in dev", func(c *Config) { c.IAM.Users[0].AccessKeys[0].Secret = "s" }, true, ""},
		{"access key secret empty in dev", func(c *Config) { c.IAM.Users[0].AccessKeys[0].Secret = "" }, true, "iam.users[0].access_keys[0].secret: required"},
		{"role name duplicate", func(c *Config) { c.IAM.Roles = append(c.IAM.Roles, c.IAM.Roles[0]) }, false, "iam.roles[1].name: duplicate of iam.roles[0].name"},
		{"role and user share a name", func(c *Config) { c.IAM.Roles[0].Name = c.IAM.Users[0].Name }, false, ""},
		{"role session 15m", func(c *Config) { c.IAM.Roles[0].MaxSessionDuration = Duration(15 * time.Minute) }, false, ""},
		{"role session under 15m", func(c *Config) { c.IAM.Roles[0].MaxSessionDuration = Duration(14 * time.Minute) }, false, "iam.roles[0].max_session_duration: must be between 15m and 12h"},
		{"role session over 12h", func(c *Config) { c.IAM.Roles[0].MaxSessionDuration = Duration(12*time.Hour + 1) }, false, "iam.roles[0].max_session_duration"},
		{"role trust policy missing", func(c *Config) { c.IAM.Roles[0].TrustPolicy = nil }, false, "iam.roles[0].trust_policy: required"},
		{"role trust policy a string", func(c *Config) { c.IAM.Roles[0].TrustPolicy = Document(`"x"`) }, false, "iam.roles[0].trust_policy: must be a policy document"},
		{"role policy a list", func(c *Config) { c.IAM.Roles[0].Policies = []Document{Document(`[{}]`)} }, false, "iam.roles[0].policies[0]: must be a policy document"},
		{"org policy a string", func(c *Config) { c.IAM.OrgPolicies = []Document{Document(`"x"`)} }, false, "iam.org_policies[0]: must be a policy document"},

		{"telemetry endpoint", func(c *Config) { c.Telemetry.OTLPEndpoint = "https://otel.example.com:4318" }, false, ""},
		{"telemetry endpoint with path", func(c *Config) { c.Telemetry.OTLPEndpoint = "http://collector:4318/custom/v1/traces" }, false, ""},
		{"telemetry endpoint without scheme", func(c *Config) { c.Telemetry.OTLPEndpoint = "collector:4318" }, false, "telemetry.otlp_endpoint: must be an http(s) URL"},
		{"telemetry endpoint grpc scheme", func(c *Config) { c.Telemetry.OTLPEndpoint = "grpc://collector:4317" }, false, "telemetry.otlp_endpoint: must be an http(s) URL"},
		{"telemetry endpoint credentials", func(c *Config) { c.Telemetry.OTLPEndpoint = "https://u:p@otel.example.com" }, false, "telemetry.otlp_endpoint: must not hold credentials"},
		{"telemetry endpoint query", func(c *Config) { c.Telemetry.OTLPEndpoint = "https://otel.example.com?k=v" }, false, "telemetry.otlp_endpoint: must not have a query"},
		{"telemetry service name", func(c *Config) {
			c.Telemetry.OTLPEndpoint, c.Telemetry.ServiceName = "http://collector:4318", " "
		}, false, "telemetry.service_name: required"},
		{"telemetry service name unused", func(c *Config) { c.Telemetry.ServiceName = "" }, false, ""},
		{"telemetry sample ratio 0", func(c *Config) { c.Telemetry.SampleRatio = 0 }, false, ""},
		{"telemetry sample ratio above 1", func(c *Config) { c.Telemetry.SampleRatio = 1.5 }, false, "telemetry.sample_ratio: must be between 0 and 1, got 1.5"},
		{"telemetry sample ratio negative", func(c *Config) { c.Telemetry.SampleRatio = -0.1 }, false, "telemetry.sample_ratio: must be between 0 and 1"},
		{"telemetry sample ratio NaN", func(c *Config) { c.Telemetry.SampleRatio = math.NaN() }, false, "telemetry.sample_ratio: must be between 0 and 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, "lineage.yaml")
			tt.mutate(&cfg)
			err := cfg.Validate(tt.dev)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate(%v) = %v, want nil", tt.dev, err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate(%v) = nil, want an error containing %q", tt.dev, tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("Validate(%v) = %v, want an error containing %q", tt.dev, err, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Run("valid file", func(t *testing.T) {
		cfg, err := Load(filepath.Join("testdata", "lineage.yaml"), noEnv, false)
		if err != nil || cfg.Clients[0].ID != "web" {
			t.Fatalf("Load = %+v, %v", cfg, err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"), noEnv, false)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Load = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("invalid file", func(t *testing.T) {
		path := filepath.Join("testdata", "invalid.yaml")
		_, err := Load(path, noEnv, false)
		var p *Problem
		if err == nil || !strings.HasPrefix(err.Error(), "config: invalid "+path+":\n") || !errors.As(err, &p) {
			t.Fatalf("Load = %v", err)
		}
	})
}

func TestDocumentJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"canonical", `{ "b": 1, "a": [true, null, "<&>"] }`, `{"a":[true,null,"<&>"],"b":1}`},
		{"numbers keep their text", `{"n": 1.50, "big": 12345678901234567890}`, `{"big":12345678901234567890,"n":1.50}`},
		{"null is absent", `null`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Document
			if err := json.Unmarshal([]byte(tt.in), &d); err != nil {
				t.Fatal(err)
			}
			if d.String() != tt.want {
				t.Errorf("UnmarshalJSON(%s) = %s, want %s", tt.in, d, tt.want)
			}
			out, err := d.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == "" {
				want = "null"
			}
			if string(out) != want {
				t.Errorf("MarshalJSON = %s, want %s", out, want)
			}
		})
	}
	if err := json.Unmarshal([]byte(`{"D": {]`), &struct{ D Document }{}); err == nil {
		t.Error("UnmarshalJSON accepted malformed JSON")
	}
}

func TestDocumentYAMLRoundTrip(t *testing.T) {
	cfg := mustParse(t, "full.yaml")
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(out, noEnv, false)
	if err != nil {
		t.Fatalf("Parse(yaml.Marshal(cfg)): %v\n%s", err, out)
	}
	if !reflect.DeepEqual(again, cfg) {
		t.Errorf("round trip changed the config:\n%s", out)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{30 * time.Second, "30s"},
		{5 * time.Minute, "5m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{720 * time.Hour, "720h"},
		{time.Hour + time.Second, "1h0m1s"},
		{1500 * time.Millisecond, "1.5s"},
		{-time.Minute, "-1m"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			d := Duration(tt.in)
			if d.String() != tt.want {
				t.Errorf("String() = %q, want %q", d, tt.want)
			}
			var back Duration
			if err := back.UnmarshalText([]byte(d.String())); err != nil || back != d {
				t.Errorf("UnmarshalText(%q) = %v, %v", d, back, err)
			}
		})
	}
	var d Duration
	if err := d.UnmarshalText([]byte("1 hour")); err == nil {
		t.Error("UnmarshalText accepted \"1 hour\"")
	}
}
