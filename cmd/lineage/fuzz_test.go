package main

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzTokenEndpoint sends arbitrary form bodies and Authorization headers
// to /token. Invariants: no panic, no 5xx, and never a token unless the
// request carried the client's real secret.
func FuzzTokenEndpoint(f *testing.F) {
	iss := startIssuer(f, "{}")
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	f.Add("grant_type=client_credentials", basic("svc", svcSecret))
	f.Add("grant_type=client_credentials", basic("svc", "wrong"))
	f.Add("grant_type=client_credentials&client_id=svc&client_secret="+url.QueryEscape(svcSecret), "")
	f.Add("grant_type=client_credentials&scope=read%20write&resource=https%3A%2F%2Fapi.example.com", basic("svc", svcSecret))
	f.Add("grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c", "")
	f.Add("grant_type=password&username=x&password=y", basic("svc", svcSecret))
	f.Add("%zz&&==;", "Basic %%%")
	f.Add("grant_type=client_credentials&client_id=spa", "")
	f.Add("grant_type=client_credentials", "Bearer x")
	f.Fuzz(func(t *testing.T, body, authorization string) {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		iss.app.public.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		if rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "access_token") {
			_, pass, _ := req.BasicAuth()
			form, _ := url.ParseQuery(body)
			if !strings.Contains(pass, svcSecret) && !strings.Contains(form.Get("client_secret"), svcSecret) {
				t.Fatalf("a token without the client's secret: body=%q auth=%q", body, authorization)
			}
		}
	})
}
