package main

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkClientCredentials runs the whole /token handler in process
// (no network): client authentication, fosite, signing, JSON response.
func BenchmarkClientCredentials(b *testing.B) {
	iss := startIssuer(b, "{}")
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("svc:"+svcSecret))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("grant_type=client_credentials&scope=read"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			rec := httptest.NewRecorder()
			iss.app.public.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
		}
	})
}
