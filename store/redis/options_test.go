package redis_test

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/redis"
	"github.com/lineage-oss/lineage/store/redistest"
)

func TestNewClient(t *testing.T) {
	tests := []struct {
		name  string
		opts  redis.Options
		check func(t *testing.T, c goredis.UniversalClient)
	}{
		{
			name:  "URL",
			opts:  redis.Options{URL: "redis://lineage:s3cret@127.0.0.1:1234/3"},
			check: wantNode(goredis.Options{Addr: "127.0.0.1:1234", Username: "lineage", Password: "s3cret", DB: 3}, false),
		},
		{
			name:  "rediss URL",
			opts:  redis.Options{URL: "rediss://redis.example.com:6380"},
			check: wantNode(goredis.Options{Addr: "redis.example.com:6380"}, true),
		},
		{
			name:  "URL with credentials and db from options",
			opts:  redis.Options{URL: "redis://:old@127.0.0.1:1234/3", Username: "u", Password: "new", DB: 5, TLS: true},
			check: wantNode(goredis.Options{Addr: "127.0.0.1:1234", Username: "u", Password: "new", DB: 5}, true),
		},
		{
			name:  "one address",
			opts:  redis.Options{Addrs: []string{"127.0.0.1:1234"}, Password: "p", DB: 2},
			check: wantNode(goredis.Options{Addr: "127.0.0.1:1234", Password: "p", DB: 2}, false),
		},
		{
			name:  "one address over TLS",
			opts:  redis.Options{Addrs: []string{"127.0.0.1:1234"}, TLS: true},
			check: wantNode(goredis.Options{Addr: "127.0.0.1:1234"}, true),
		},
		{
			name: "several addresses: Cluster",
			opts: redis.Options{Addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}, Username: "u", Password: "p", TLS: true},
			check: func(t *testing.T, c goredis.UniversalClient) {
				cc, ok := c.(*goredis.ClusterClient)
				if !ok {
					t.Fatalf("client is a %T, want *goredis.ClusterClient", c)
				}
				o := cc.Options()
				if !slices.Equal(o.Addrs, []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}) || o.Username != "u" || o.Password != "p" {
					t.Errorf("cluster options = %q %q, want the addresses and credentials given", o.Addrs, o.Username)
				}
				if o.TLSConfig == nil || o.TLSConfig.MinVersion != tls.VersionTLS12 {
					t.Errorf("cluster TLS config = %+v, want TLS 1.2 at least", o.TLSConfig)
				}
			},
		},
		{
			name: "master name: Sentinel",
			opts: redis.Options{Addrs: []string{"10.0.0.1:26379", "10.0.0.2:26379"}, MasterName: "lineage", DB: 1},
			check: func(t *testing.T, c goredis.UniversalClient) {
				n, ok := c.(*goredis.Client)
				if !ok {
					t.Fatalf("client is a %T, want a failover *goredis.Client", c)
				}
				// go-redis names the address of a failover client so.
				if o := n.Options(); o.Addr != "FailoverClient" || o.DB != 1 {
					t.Errorf("options = addr %q db %d, want a failover client on db 1", o.Addr, o.DB)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := redis.NewClient(tt.opts)
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			t.Cleanup(func() { _ = c.Close() })
			tt.check(t, c)
		})
	}
}

// wantNode checks a one-node client's address, credentials, db and TLS.
func wantNode(want goredis.Options, tls12 bool) func(t *testing.T, c goredis.UniversalClient) {
	return func(t *testing.T, c goredis.UniversalClient) {
		t.Helper()
		n, ok := c.(*goredis.Client)
		if !ok {
			t.Fatalf("client is a %T, want *goredis.Client", c)
		}
		o := n.Options()
		if o.Addr != want.Addr || o.Username != want.Username || o.Password != want.Password || o.DB != want.DB {
			t.Errorf("options = addr %q user %q db %d (password set: %v), want addr %q user %q db %d (password set: %v)",
				o.Addr, o.Username, o.DB, o.Password == want.Password, want.Addr, want.Username, want.DB, true)
		}
		switch {
		case tls12 && (o.TLSConfig == nil || o.TLSConfig.MinVersion != tls.VersionTLS12):
			t.Errorf("TLS config = %+v, want TLS 1.2 at least", o.TLSConfig)
		case !tls12 && o.TLSConfig != nil:
			t.Errorf("TLS config = %+v, want plain TCP", o.TLSConfig)
		}
	}
}

func TestNewClientErrors(t *testing.T) {
	tests := []struct {
		name string
		opts redis.Options
		want []string // each must appear in the error
		// parsed: only parsing the URL finds the problem, not Validate.
		parsed bool
	}{
		{name: "nothing set", opts: redis.Options{}, want: []string{"set a URL or addrs"}},
		{name: "URL and addrs", opts: redis.Options{URL: "redis://127.0.0.1:1234", Addrs: []string{"127.0.0.1:1234"}}, want: []string{"not both"}},
		{name: "URL and master name", opts: redis.Options{URL: "redis://127.0.0.1:1234", MasterName: "m"}, want: []string{"master_name"}},
		{name: "empty address", opts: redis.Options{Addrs: []string{"127.0.0.1:1234", ""}}, want: []string{"empty address"}},
		{name: "Cluster with a db", opts: redis.Options{Addrs: []string{"a:1", "b:1", "c:1"}, DB: 2}, want: []string{"only has db 0"}},
		{name: "every problem at once", opts: redis.Options{DB: -1}, want: []string{"set a URL or addrs", "negative"}},
		{name: "not a Redis URL", opts: redis.Options{URL: "http://127.0.0.1:1234"}, want: []string{"invalid URL", "scheme"}, parsed: true},
		{name: "bad port", opts: redis.Options{URL: "redis://lineage:hunter2-secret@127.0.0.1:port/0"}, want: []string{"invalid URL"}, parsed: true},
		{name: "bad db", opts: redis.Options{URL: "redis://lineage:hunter2-secret@127.0.0.1:1234/db"}, want: []string{"invalid URL"}, parsed: true},
		{name: "unknown query option", opts: redis.Options{URL: "redis://lineage:hunter2-secret@127.0.0.1:1234/0?bogus=1"}, want: []string{"invalid URL", "bogus"}, parsed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := redis.NewClient(tt.opts)
			if err == nil {
				_ = c.Close()
				t.Fatal("NewClient accepted the options")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q reveals the password", err)
			}
			if err := tt.opts.Validate(); !tt.parsed && err == nil {
				t.Error("Validate accepted the options NewClient refused")
			}
		})
	}
}

// TestNewClientConnects builds a Store through NewClient on a real server,
// from a URL and from an address.
func TestNewClientConnects(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	for _, o := range []redis.Options{
		{URL: "redis://" + srv.Addr() + "/1"},
		{Addrs: []string{srv.Addr()}, DB: 2},
	} {
		s := newStore(t, o)
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping through %+v: %v", o, err)
		}
		if err := s.CreateClient(t.Context(), store.Client{ID: "web"}); err != nil {
			t.Fatalf("CreateClient through %+v: %v", o, err)
		}
	}
	// Each store wrote to its own database.
	for _, db := range []int{0, 1, 2} {
		c := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), DB: db})
		n, err := c.Exists(t.Context(), "clients").Result()
		_ = c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(min(db, 1)); n != want {
			t.Errorf("db %d holds %d clients sets, want %d", db, n, want)
		}
	}
}
