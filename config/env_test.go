package config

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnvOverrides(t *testing.T) {
	base := readFile(t, "lineage.yaml")
	tests := []struct {
		name string
		env  map[string]string
		got  func(Config) any
		want any
	}{
		{"string", map[string]string{"LINEAGE_ISSUER": "https://id.example.com"},
			func(c Config) any { return c.Issuer }, "https://id.example.com"},
		{"string with _ in the key name", map[string]string{"LINEAGE_STORE_REDIS_URL": "redis://redis:6379/1"},
			func(c Config) any { return c.Store.RedisURL }, "redis://redis:6379/1"},
		{"string three levels deep", map[string]string{"LINEAGE_STORE_REDIS_USERNAME": "lineage"},
			func(c Config) any { return c.Store.Redis.Username }, "lineage"},
		{"secret string", map[string]string{"LINEAGE_HTTP_ADMIN_TOKEN": strings.Repeat("t", 32)},
			func(c Config) any { return c.HTTP.AdminToken }, strings.Repeat("t", 32)},
		{"empty string clears", map[string]string{"LINEAGE_TOKENS_DEFAULT_AUDIENCE": ""},
			func(c Config) any { return c.Tokens.DefaultAudience }, ""},
		{"int", map[string]string{"LINEAGE_STORE_REDIS_DB": "3"},
			func(c Config) any { return c.Store.Redis.DB }, 3},
		{"int64", map[string]string{"LINEAGE_HTTP_MAX_BODY_BYTES": " 2048 "},
			func(c Config) any { return c.HTTP.MaxBodyBytes }, int64(2048)},
		{"bool", map[string]string{"LINEAGE_STORE_REDIS_TLS": "true"},
			func(c Config) any { return c.Store.Redis.TLS }, true},
		{"bool as 1", map[string]string{"LINEAGE_STORE_REDIS_TLS": "1"},
			func(c Config) any { return c.Store.Redis.TLS }, true},
		{"duration", map[string]string{"LINEAGE_TOKENS_ACCESS_TTL": "15m"},
			func(c Config) any { return c.Tokens.AccessTTL.D() }, 15 * time.Minute},
		{"extension duration", map[string]string{"LINEAGE_KEYS_JWKS_MAX_AGE": "1m"},
			func(c Config) any { return c.Keys.JWKSMaxAge.D() }, time.Minute},
		{"extension string", map[string]string{"LINEAGE_LOG_LEVEL": "warn"},
			func(c Config) any { return c.Log.Level }, "warn"},
		{"telemetry endpoint", map[string]string{"LINEAGE_TELEMETRY_OTLP_ENDPOINT": "http://otel-collector:4318"},
			func(c Config) any { return c.Telemetry.OTLPEndpoint }, "http://otel-collector:4318"},
		{"float", map[string]string{"LINEAGE_TELEMETRY_SAMPLE_RATIO": " 0.1 "},
			func(c Config) any { return c.Telemetry.SampleRatio }, 0.1},
		{"secrets.system replaces the file's list", map[string]string{"LINEAGE_SECRETS_SYSTEM": strings.Repeat("s", 40)},
			func(c Config) any { return c.Secrets.System }, []string{strings.Repeat("s", 40)}},
		{"iam", map[string]string{"LINEAGE_IAM_ACCOUNT_ID": "999988887777", "LINEAGE_IAM_REGION": "eu-west-1"},
			func(c Config) any { return []string{c.IAM.AccountID, c.IAM.Region} }, []string{"999988887777", "eu-west-1"}},
		{"unset variables change nothing", map[string]string{"LINEAGE_TOKENS_ACCESS_TTL_X": "1s", "LINEAGE_CLIENTS": "x"},
			func(c Config) any { return c.Tokens.AccessTTL.D() }, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(base, env(tt.env), false)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.got(cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestEnvOverrideIsValidated(t *testing.T) {
	// The override comes after the file and before Validate: a sentinel
	// master name from the environment needs the file's addrs.
	_, err := Parse(readFile(t, "lineage.yaml"), env(map[string]string{"LINEAGE_STORE_REDIS_MASTER_NAME": "mymaster"}), false)
	if err == nil || !strings.Contains(err.Error(), "store.redis.master_name: requires store.redis.addrs") {
		t.Fatalf("Parse = %v", err)
	}
	cfg, err := Parse([]byte("store: {redis: {addrs: [s1:26379]}}\n"), env(map[string]string{
		"LINEAGE_STORE_REDIS_MASTER_NAME": "mymaster",
		"LINEAGE_SECRETS_SYSTEM":          "dev",
	}), true)
	if err != nil || cfg.Store.Redis.MasterName != "mymaster" {
		t.Fatalf("Parse = %+v, %v", cfg.Store.Redis, err)
	}
}

func TestEnvBadValues(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		want  []string
		never []string
	}{
		{"duration", map[string]string{"LINEAGE_TOKENS_ACCESS_TTL": "abc"},
			[]string{`LINEAGE_TOKENS_ACCESS_TTL: invalid duration: use Go syntax such as 30s, 15m or 720h, got "abc"`}, nil},
		{"int", map[string]string{"LINEAGE_STORE_REDIS_DB": "one"},
			[]string{`LINEAGE_STORE_REDIS_DB: invalid integer, got "one"`}, nil},
		{"int overflow", map[string]string{"LINEAGE_STORE_REVOCATION_WAIT_REPLICAS": "99999999999999999999"},
			[]string{"LINEAGE_STORE_REVOCATION_WAIT_REPLICAS: invalid integer"}, nil},
		{"float", map[string]string{"LINEAGE_TELEMETRY_SAMPLE_RATIO": "half"},
			[]string{`LINEAGE_TELEMETRY_SAMPLE_RATIO: invalid number, got "half"`}, nil},
		{"bool", map[string]string{"LINEAGE_STORE_REDIS_TLS": "maybe"},
			[]string{`LINEAGE_STORE_REDIS_TLS: invalid boolean: use true or false, got "maybe"`}, nil},
		{"several at once, with the file's problems", map[string]string{
			"LINEAGE_TOKENS_ID_TTL": "1 hour", "LINEAGE_HTTP_MAX_BODY_BYTES": "1e6", "LINEAGE_TOKENS_SIGNING_ALG": "none",
		}, []string{"LINEAGE_TOKENS_ID_TTL: invalid duration", "LINEAGE_HTTP_MAX_BODY_BYTES: invalid integer", "tokens.signing_alg: must be"}, nil},
		{"secrets are not echoed", map[string]string{
			"LINEAGE_HTTP_ADMIN_TOKEN":     "short-admin-token",
			"LINEAGE_SECRETS_SYSTEM":       "short-system-secret",
			"LINEAGE_STORE_REDIS_PASSWORD": "redis-password",
			"LINEAGE_STORE_REDIS_URL":      "ftp://u:redis-url-password@r:1",
		}, []string{
			"http.admin_token: must be at least 32", "secrets.system[0]: must be at least 32", "store.redis_url: must be a redis://",
		}, []string{"short-admin-token", "short-system-secret", "redis-password", "redis-url-password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(readFile(t, "lineage.yaml"), env(tt.env), false)
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			for _, never := range tt.never {
				if strings.Contains(err.Error(), never) {
					t.Errorf("error %q contains the secret %q", err, never)
				}
			}
		})
	}
}

func TestSecretEnvValueNeverEchoed(t *testing.T) {
	// Whatever a secret variable holds, no message repeats it.
	for _, k := range envKeys() {
		if !k.secret {
			continue
		}
		_, err := Parse(readFile(t, "lineage.yaml"), env(map[string]string{k.name: "\x00s3cr3t-value\x00"}), false)
		if err != nil && strings.Contains(err.Error(), "s3cr3t-value") {
			t.Errorf("%s: error %q contains the value", k.name, err)
		}
	}
}

func TestEnvVars(t *testing.T) {
	want := map[string]string{
		"LINEAGE_ISSUER":                                "issuer",
		"LINEAGE_HTTP_PUBLIC":                           "http.public",
		"LINEAGE_HTTP_ADMIN":                            "http.admin",
		"LINEAGE_HTTP_ADMIN_TOKEN":                      "http.admin_token",
		"LINEAGE_HTTP_MAX_BODY_BYTES":                   "http.max_body_bytes",
		"LINEAGE_STORE_REDIS_URL":                       "store.redis_url",
		"LINEAGE_STORE_REDIS_MASTER_NAME":               "store.redis.master_name",
		"LINEAGE_STORE_REDIS_USERNAME":                  "store.redis.username",
		"LINEAGE_STORE_REDIS_PASSWORD":                  "store.redis.password",
		"LINEAGE_STORE_REDIS_DB":                        "store.redis.db",
		"LINEAGE_STORE_REDIS_TLS":                       "store.redis.tls",
		"LINEAGE_STORE_REVOCATION_WAIT_REPLICAS":        "store.revocation_wait_replicas",
		"LINEAGE_SECRETS_SYSTEM":                        "secrets.system",
		"LINEAGE_TOKENS_ACCESS_TTL":                     "tokens.access_ttl",
		"LINEAGE_TOKENS_ID_TTL":                         "tokens.id_ttl",
		"LINEAGE_TOKENS_REFRESH_IDLE_TTL":               "tokens.refresh_idle_ttl",
		"LINEAGE_TOKENS_REFRESH_MAX_TTL":                "tokens.refresh_max_ttl",
		"LINEAGE_TOKENS_REFRESH_REUSE_GRACE":            "tokens.refresh_reuse_grace",
		"LINEAGE_TOKENS_SIGNING_ALG":                    "tokens.signing_alg",
		"LINEAGE_TOKENS_DEFAULT_AUDIENCE":               "tokens.default_audience",
		"LINEAGE_TOKENS_LEEWAY":                         "tokens.leeway",
		"LINEAGE_KEYS_ROTATE_EVERY":                     "keys.rotate_every",
		"LINEAGE_KEYS_JWKS_MAX_AGE":                     "keys.jwks_max_age",
		"LINEAGE_LOG_LEVEL":                             "log.level",
		"LINEAGE_TELEMETRY_OTLP_ENDPOINT":               "telemetry.otlp_endpoint",
		"LINEAGE_TELEMETRY_SERVICE_NAME":                "telemetry.service_name",
		"LINEAGE_TELEMETRY_SAMPLE_RATIO":                "telemetry.sample_ratio",
		"LINEAGE_RATE_LIMITS_ENABLED":                   "rate_limits.enabled",
		"LINEAGE_RATE_LIMITS_TOKEN_PER_CLIENT":          "rate_limits.token_per_client",
		"LINEAGE_RATE_LIMITS_FAILED_CLIENT_AUTH":        "rate_limits.failed_client_auth",
		"LINEAGE_RATE_LIMITS_FAILED_CLIENT_AUTH_PER_IP": "rate_limits.failed_client_auth_per_ip",
		"LINEAGE_RATE_LIMITS_FAILED_SIGV4":              "rate_limits.failed_sigv4",
		"LINEAGE_RATE_LIMITS_FAILED_SIGV4_PER_IP":       "rate_limits.failed_sigv4_per_ip",
		"LINEAGE_IAM_ACCOUNT_ID":                        "iam.account_id",
		"LINEAGE_IAM_PARTITION":                         "iam.partition",
		"LINEAGE_IAM_REGION":                            "iam.region",
	}
	got := EnvVars()
	if !maps.Equal(got, want) {
		for k, v := range got {
			if want[k] != v {
				t.Errorf("unexpected %s → %s", k, v)
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("missing %s → %s", k, v)
			}
		}
	}
	// Names must not collide, however keys are added.
	keys := envKeys()
	names := map[string]string{}
	for _, k := range keys {
		if prev, dup := names[k.name]; dup {
			t.Errorf("%s overrides both %s and %s", k.name, prev, k.path)
		}
		names[k.name] = k.path
	}
}

func TestListsComeFromTheFileOnly(t *testing.T) {
	var asked []string
	lookup := func(name string) (string, bool) {
		asked = append(asked, name)
		return "", false
	}
	if _, err := Parse(readFile(t, "lineage.yaml"), lookup, false); err != nil {
		t.Fatal(err)
	}
	for _, list := range []string{"LINEAGE_CLIENTS", "LINEAGE_USERS", "LINEAGE_IAM_USERS", "LINEAGE_IAM_ROLES",
		"LINEAGE_IAM_ORG_POLICIES", "LINEAGE_STORE_REDIS_ADDRS", "LINEAGE_HTTP_TRUSTED_PROXIES"} {
		if slices.Contains(asked, list) {
			t.Errorf("Parse looked up %s", list)
		}
	}
	if !slices.Contains(asked, "LINEAGE_SECRETS_SYSTEM") {
		t.Error("Parse did not look up LINEAGE_SECRETS_SYSTEM")
	}
}

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{
		"PATH=/bin",
		"LINEAGE_TOKENS_ACCESS_TTL=1h",
		"LINEAGE_TOKEN_ACCESS_TTL=1h",
		"LINEAGE_STORE_REDIS_ADDRS=a:1",
		"LINEAGE_TOKEN_ACCESS_TTL=2h",
		"LINEAGE_NOVALUE",
	})
	want := []string{"LINEAGE_NOVALUE", "LINEAGE_STORE_REDIS_ADDRS", "LINEAGE_TOKEN_ACCESS_TTL"}
	if !slices.Equal(got, want) {
		t.Errorf("UnknownEnv = %q, want %q", got, want)
	}
}
