package verify_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/internal/issuertest"
	"github.com/lineage-oss/lineage/sdk/verify"
	"github.com/lineage-oss/lineage/store/redistest"
)

// BenchmarkRevocationPropagation measures how long a revocation takes to
// reach a resource server that verifies tokens locally, under realistic
// conditions: two issuer instances on one Redis, the revocation made
// through instance A, the verifier following instance B's event stream
// while it serves a load of other tokens. It reports the p50 and p99, over
// 1,000 revocations, of the time from /revoke's 200 to the first refusal.
//
//	go test -run '^$' -bench RevocationPropagation -benchtime 1x ./sdk/verify
func BenchmarkRevocationPropagation(b *testing.B) {
	const revocations = 1000
	redis := redistest.Start(b)
	addrA, adminA, addrB, adminB := issuertest.FreeAddr(b), issuertest.FreeAddr(b), issuertest.FreeAddr(b), issuertest.FreeAddr(b)
	issuerURL := "http://" + addrA // both instances are one issuer behind a load balancer
	start := func(public, admin string) {
		cfg := filepath.Join(b.TempDir(), "lineage.yaml")
		body := fmt.Sprintf(issuerConfig, issuerURL, public, admin, adminToken, systemSecret, clientSecret, apiAudience, userPassword)
		body = strings.Replace(body, "store: {}", "store: {redis_url: \"redis://"+redis.Addr()+"/0\"}", 1)
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			b.Fatal(err)
		}
		issuertest.Start(b, nil, "serve", "--config", cfg).WaitReady(b, "http://"+public)
	}
	start(addrA, adminA)
	start(addrB, adminB)
	a := &issuer{url: issuerURL, admin: "http://" + adminA}

	// The verifier talks to instance B only: every connection to the
	// issuer's address goes to B.
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	toB := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == addrA {
			addr = addrB
		}
		return dialer.DialContext(ctx, network, addr)
	}}}
	v, err := verify.New(context.Background(), verify.Options{
		Issuer: issuerURL, Audience: apiAudience, ClientID: "rs", ClientSecret: clientSecret, HTTPClient: toB,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()

	tokens := make([]string, revocations)
	for i := range tokens {
		tokens[i] = a.token(b, "svc")
	}
	load := []string{a.token(b, "batch"), a.token(b, "batch"), a.token(b, "batch")}
	ctx := context.Background()
	for _, tok := range slices.Concat(tokens, load) {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatalf("a fresh token: %v", err)
		}
	}

	// The load: other requests verified all along.
	stop := make(chan struct{})
	var served atomic.Int64
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := v.Verify(ctx, load[i%len(load)]); err != nil {
					b.Errorf("a valid token refused under load: %v", err)
					return
				}
				served.Add(1)
			}
		})
	}

	b.ResetTimer()
	lags := make([]time.Duration, 0, revocations)
	began := time.Now()
	for _, tok := range tokens {
		a.revoke(b, "svc", tok)
		acked := time.Now()
		for {
			_, err := v.Verify(ctx, tok)
			if errors.Is(err, verify.ErrRevoked) {
				break
			}
			if err != nil {
				b.Fatalf("verify: %v", err)
			}
			if time.Since(acked) > 30*time.Second {
				b.Fatal("a revocation did not arrive within 30 s")
			}
			time.Sleep(100 * time.Microsecond)
		}
		lags = append(lags, time.Since(acked))
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	slices.Sort(lags)
	p := func(q float64) time.Duration { return lags[int(q*float64(len(lags)-1))] }
	b.ReportMetric(float64(p(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(served.Load())/time.Since(began).Seconds(), "load-verifications/s")
	b.Logf("%d revocations through A, verifier on B: p50 %v, p99 %v, max %v", len(lags), p(0.50), p(0.99), lags[len(lags)-1])
}
