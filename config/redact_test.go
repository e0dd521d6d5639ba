package config

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// secretsOf returns every non-empty secret held by c: the fields tagged
// redact and the password of store.redis_url.
func secretsOf(c Config) []string {
	var out []string
	c.mapSecrets(
		func(s string) string {
			if s != "" {
				out = append(out, s)
			}
			return s
		},
		func(p string) string {
			if p != "" {
				out = append(out, p)
			}
			return p
		},
	)
	return out
}

// marshalBoth renders c the two ways it gets logged.
func marshalBoth(t testing.TB, c Config) string {
	t.Helper()
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatalf("yaml.Marshal: %v", err)
	}
	return string(j) + "\n" + string(y)
}

func TestRedacted(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
	}{
		{"design example", "lineage.yaml", nil},
		{"every key", "full.yaml", nil},
		{"redis url with password", "lineage.yaml", map[string]string{
			"LINEAGE_STORE_REDIS_URL": "rediss://lineage:redis-url-password-0123@redis.example.com:6380/2",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(readFile(t, tt.file), env(tt.env), false)
			if err != nil {
				t.Fatal(err)
			}
			before := marshalBoth(t, cfg)
			secrets := secretsOf(cfg)
			if len(secrets) < 4 {
				t.Fatalf("only %d secrets found: %q", len(secrets), secrets)
			}
			r := cfg.Redacted()
			out := marshalBoth(t, r)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("Redacted output contains the secret %q", s)
				}
			}
			if !strings.Contains(out, Redaction) {
				t.Errorf("Redacted output lacks %q", Redaction)
			}
			if marshalBoth(t, cfg) != before {
				t.Error("Redacted changed the original")
			}
			// Everything else is kept.
			if r.Issuer != cfg.Issuer || r.Clients[0].ID != cfg.Clients[0].ID ||
				!reflect.DeepEqual(r.IAM.Roles, cfg.IAM.Roles) {
				t.Error("Redacted changed a value that is not secret")
			}
		})
	}
}

func TestRedactedFields(t *testing.T) {
	cfg := mustParse(t, "full.yaml")
	cfg.Store.RedisURL = "redis://user:pw-in-url@r:6379"
	r := cfg.Redacted()
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"admin token", r.HTTP.AdminToken, Redaction},
		{"system secrets", r.Secrets.System, []string{Redaction, Redaction}},
		{"redis password", r.Store.Redis.Password, Redaction},
		{"redis url password", r.Store.RedisURL, "redis://user:xxxxx@r:6379"},
		{"client secret hash", r.Clients[0].SecretHash, Redaction},
		{"empty client secret stays empty", r.Clients[0].Secret, ""},
		{"user password hash", r.Users[0].PasswordHash, Redaction},
		{"access key secret", r.IAM.Users[0].AccessKeys[1].Secret, Redaction},
		{"access key id kept", r.IAM.Users[0].AccessKeys[1].ID, "AKIAI44QH8DHBEXAMPLE"},
		{"redis username kept", r.Store.Redis.Username, "lineage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestRedactedIsADeepCopy(t *testing.T) {
	cfg := mustParse(t, "full.yaml")
	r := cfg.Redacted()
	r.HTTP.TrustedProxies[0] = "changed"
	r.Clients[0].Audiences[0] = "changed"
	r.Clients[1].Policies[0][0] = '['
	*r.Clients[1].TokenRevocation = true
	r.IAM.Users[0].AccessKeys[0].ID = "changed"
	if cfg.HTTP.TrustedProxies[0] == "changed" || cfg.Clients[0].Audiences[0] == "changed" ||
		cfg.Clients[1].Policies[0][0] != '{' || *cfg.Clients[1].TokenRevocation ||
		cfg.IAM.Users[0].AccessKeys[0].ID == "changed" {
		t.Error("changing the redacted copy changed the original")
	}
}

func TestRedactURL(t *testing.T) {
	m := secretMapper{secret: func(string) string { return Redaction }, urlPassword: func(string) string { return "xxxxx" }}
	tests := []struct {
		name, in, want string
	}{
		{"no user info", "redis://r:6379/0", "redis://r:6379/0"},
		{"user only", "redis://user@r:6379", "redis://user@r:6379"},
		{"password", "redis://:pw@r:6379", "redis://:xxxxx@r:6379"},
		{"does not parse", "redis://u:p w@r:port", Redaction},
		{"opaque", "redis:u:pw@r", Redaction},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.url(tt.in); got != tt.want {
				t.Errorf("url(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestSecretFieldsAreTagged finds string fields whose key names a secret
// but that Redacted would not hide.
func TestSecretFieldsAreTagged(t *testing.T) {
	secretName := regexp.MustCompile(`secret|password|token|credential|private|key$`)
	notSecret := map[string]bool{
		"secrets":               true, // the section
		"token_revocation":      true,
		"tokens":                true,
		"access_keys":           true,
		"trusted_token_issuers": true,
		"token_per_client":      true, // a rate limit
	}
	var walk func(t reflect.Type, path string)
	var found []string
	walk = func(typ reflect.Type, path string) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			p := path + "." + name
			ft := f.Type
			for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Tag.Get("redact") != "" {
				found = append(found, p)
				continue
			}
			if ft.Kind() == reflect.Struct {
				walk(ft, p)
				continue
			}
			if secretName.MatchString(name) && !notSecret[name] {
				t.Errorf("%s looks secret but is not tagged redact", p)
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	want := []string{
		".http.admin_token", ".store.redis_url", ".store.redis.password", ".secrets.system",
		".clients.secret", ".clients.secret_hash", ".users.password", ".users.password_hash",
		".iam.users.access_keys.secret",
	}
	if !reflect.DeepEqual(found, want) {
		t.Errorf("redacted fields = %q, want %q", found, want)
	}
}
