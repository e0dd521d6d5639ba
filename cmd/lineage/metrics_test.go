package main

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// scrape reads the admin listener's /metrics with the admin token.
func scrape(t *testing.T, iss *testIssuer) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, iss.admin+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	return string(body)
}

// metric returns the value of the sample name whose labels include every
// pair of labels (k="v"), or -1 when there is none.
func metric(body, name string, labels ...string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if !strings.Contains(series, labels[i]+`="`+labels[i+1]+`"`) {
				match = false
			}
		}
		if match {
			v, err := strconv.ParseFloat(value, 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// TestMetrics: after a short load /metrics on the admin listener shows
// every metric with the values that load implies; without the admin token
// it is refused.
func TestMetrics(t *testing.T) {
	iss := startIssuer(t, "{}")
	for range 3 {
		clientCredentialsToken(t, iss, "svc")
	}
	svc := clientCredentialsToken(t, iss, "svc")
	wantActive(t, iss, "rs", svcSecret, svc, true)
	if status, _ := revoke(t, iss, "svc", svcSecret, svc); status != 200 {
		t.Fatal("revoke")
	}
	wantActive(t, iss, "rs", svcSecret, svc, false)
	tok := lineageTokens(t, iss)
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
	postToken(t, iss.url, refresh, "web", svcSecret)
	if r := postToken(t, iss.url, refresh, "web", svcSecret); r.body["error"] != "invalid_grant" {
		t.Fatalf("reuse: %s", r.raw)
	}
	postToken(t, iss.url, url.Values{"grant_type": {"magic"}}, "svc", svcSecret)
	adminJSON(t, iss, "GET", "/admin/v1/clients", "", 200)

	body := scrape(t, iss)
	for _, tt := range []struct {
		name    string
		labels  []string
		atLeast float64
	}{
		{"lineage_http_requests_total", []string{"listener", "public", "endpoint", "/token", "grant", "client_credentials", "code", "200"}, 4},
		{"lineage_http_requests_total", []string{"listener", "public", "endpoint", "/token", "grant", "refresh_token", "code", "400"}, 1},
		{"lineage_http_requests_total", []string{"listener", "public", "endpoint", "/token", "grant", "other", "code", "400"}, 1},
		{"lineage_http_requests_total", []string{"listener", "public", "endpoint", "/introspect", "code", "200"}, 2},
		{"lineage_http_requests_total", []string{"listener", "admin", "endpoint", "/admin/v1/clients", "code", "200"}, 1},
		{"lineage_http_request_duration_seconds_count", []string{"listener", "public", "endpoint", "/token"}, 6},
		{"lineage_tokens_issued_total", []string{"grant", "client_credentials"}, 4},
		{"lineage_tokens_issued_total", []string{"grant", "authorization_code"}, 1},
		{"lineage_tokens_issued_total", []string{"grant", "refresh_token"}, 1},
		{"lineage_revocations_total", []string{"kind", "jti"}, 1},
		{"lineage_revocations_total", []string{"kind", "origin_jti"}, 1},
		{"lineage_revocation_checks_total", []string{"result", "revoked"}, 1},
		{"lineage_revocation_checks_total", []string{"result", "not_revoked"}, 1},
		{"lineage_reuse_detections_total", []string{"token", "refresh_token"}, 1},
		{"lineage_signing_key_age_seconds", nil, 0},
		{"lineage_revocation_stream_lag_seconds", nil, 0},
		{"lineage_revocation_stream_subscribers", nil, 0},
	} {
		if got := metric(body, tt.name, tt.labels...); got < tt.atLeast {
			t.Errorf("%s%v = %v, want at least %v", tt.name, tt.labels, got, tt.atLeast)
		}
	}
	if got := metric(body, "lineage_tokens_issued_total", "grant", "client_credentials"); got != 4 {
		t.Errorf("client_credentials tokens issued = %v, want exactly 4", got)
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", body)
	}

	req, _ := http.NewRequest(http.MethodGet, iss.admin+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/metrics without the token: %d", resp.StatusCode)
	}
}
