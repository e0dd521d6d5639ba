package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store/redistest"
)

// TestSentinelFailover: revocations are written through the admin API
// while the Sentinel-managed primary is killed. With
// revocation_wait_replicas: 1, every revocation answered 201 is on the new
// master after the failover; while no replica can acknowledge, writes are
// refused (never a 201 for an unacknowledged write); once the old primary
// is back as a replica, writes succeed again — all without restarting the
// issuer.
func TestSentinelFailover(t *testing.T) {
	g := redistest.StartSentinel(t)
	iss := startIssuer(t, fmt.Sprintf(`{redis: {addrs: ["%s"], master_name: %s}, revocation_wait_replicas: 1}`,
		strings.Join(g.Addrs(), `", "`), redistest.SentinelMaster))

	var (
		mu      sync.Mutex
		acked   []string
		refused int
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range 4 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("failover-%d-%d", w, n)
				req, _ := http.NewRequest(http.MethodPost, iss.admin+"/admin/v1/revocations", strings.NewReader(`{"kind":"jti","id":"`+id+`"}`))
				req.Header.Set("Authorization", "Bearer "+adminToken)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("revocation %s: %v", id, err)
					return
				}
				resp.Body.Close()
				mu.Lock()
				switch resp.StatusCode {
				case http.StatusCreated:
					acked = append(acked, id)
				case http.StatusServiceUnavailable:
					refused++
				default:
					t.Errorf("revocation %s: %d", id, resp.StatusCode)
				}
				mu.Unlock()
				if resp.StatusCode != http.StatusCreated {
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	ackedNow := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitAcked := func(n int, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for ackedNow() < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d revocations acknowledged, want %d", ackedNow(), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	waitAcked(50, 10*time.Second)
	old := g.Primary.Addr()
	g.Primary.Kill()
	before := ackedNow()
	newMaster := g.WaitFailover(t, old, 30*time.Second)
	// The old primary comes back; the Sentinels make it the new master's
	// replica, and acknowledged writes resume.
	g.Primary.Restart(t)
	waitAcked(before+50, 30*time.Second)
	close(stop)
	wg.Wait()

	rdb := goredis.NewClient(&goredis.Options{Addr: newMaster})
	defer rdb.Close()
	ctx := context.Background()
	mu.Lock()
	defer mu.Unlock()
	var lost []string
	for _, id := range acked {
		if n, err := rdb.Exists(ctx, "rev:jti:"+id).Result(); err != nil || n != 1 {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Fatalf("%d of %d acknowledged revocations lost in the failover: %v", len(lost), len(acked), lost[:min(len(lost), 10)])
	}
	t.Logf("%d revocations acknowledged (%d before the kill), %d refused while no replica could acknowledge; failover %s → %s",
		len(acked), before, refused, old, newMaster)
}
