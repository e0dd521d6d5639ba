package config

import (
	"strings"
	"testing"
	"time"
)

func TestRateParse(t *testing.T) {
	tests := []struct {
		name   string
		rate   Rate
		count  int
		period time.Duration
		err    string // substring; "" means valid
	}{
		{"per second", "100/s", 100, time.Second, ""},
		{"per minute", "10/m", 10, time.Minute, ""},
		{"per hour", "500/h", 500, time.Hour, ""},
		{"go duration", "30/10s", 30, 10 * time.Second, ""},
		{"spaces", " 5 / m ", 5, time.Minute, ""},
		{"zero is off", "0", 0, 0, ""},
		{"empty is off", "", 0, 0, ""},
		{"zero count is off", "0/s", 0, 0, ""},
		{"a million a second", "1000000/s", 1000000, time.Second, ""},
		{"no period", "100", 0, 0, "must be <count>/<period>"},
		{"negative count", "-1/s", 0, 0, "must be a whole number"},
		{"fraction", "1.5/s", 0, 0, "must be a whole number"},
		{"unknown unit", "10/d", 0, 0, "must be s, m, h or a Go duration"},
		{"zero period", "10/0s", 0, 0, "must be positive"},
		{"period over a day", "10/25h", 0, 0, "at most 24h"},
		{"too fast", "2000000/s", 0, 0, "more than one event per microsecond"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count, period, err := tt.rate.Parse()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse(%q) error = %v, want %q", tt.rate, err, tt.err)
				}
				return
			}
			if err != nil || count != tt.count || period != tt.period {
				t.Fatalf("Parse(%q) = %d, %v, %v; want %d, %v", tt.rate, count, period, err, tt.count, tt.period)
			}
		})
	}
}

func TestRateLimitsConfig(t *testing.T) {
	base := string(readFile(t, "lineage.yaml"))
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want RateLimits
		err  string
	}{
		{name: "defaults", want: defaultRateLimits()},
		{
			name: "from the file",
			yaml: "rate_limits: {enabled: false, token_per_client: 100/s, failed_client_auth: 0, failed_sigv4: 5/m}\n",
			want: RateLimits{TokenPerClient: "100/s", FailedClientAuth: "0", FailedClientAuthPerIP: "60/m", FailedSigV4: "5/m", FailedSigV4PerIP: "100/m"},
		},
		{
			name: "from the environment",
			env:  map[string]string{"LINEAGE_RATE_LIMITS_TOKEN_PER_CLIENT": "2/s", "LINEAGE_RATE_LIMITS_FAILED_SIGV4_PER_IP": "0", "LINEAGE_RATE_LIMITS_ENABLED": "false"},
			want: RateLimits{TokenPerClient: "2/s", FailedClientAuth: "10/m", FailedClientAuthPerIP: "60/m", FailedSigV4: "20/m", FailedSigV4PerIP: "0"},
		},
		{
			name: "every bad limit reported",
			yaml: "rate_limits: {token_per_client: fast, failed_sigv4_per_ip: 10/d}\n",
			err:  "rate_limits.token_per_client: must be <count>/<period>",
		},
		{
			name: "bad limit from the environment",
			env:  map[string]string{"LINEAGE_RATE_LIMITS_FAILED_CLIENT_AUTH": "10/0s"},
			err:  "rate_limits.failed_client_auth: the period",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(base+tt.yaml), env(tt.env), false)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse error = %v, want %q", err, tt.err)
				}
				if strings.Contains(tt.yaml, "10/d") && !strings.Contains(err.Error(), "rate_limits.failed_sigv4_per_ip") {
					t.Errorf("Parse error = %v, want every bad limit", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.RateLimits != tt.want {
				t.Errorf("rate_limits = %+v, want %+v", cfg.RateLimits, tt.want)
			}
		})
	}
}
