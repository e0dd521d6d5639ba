package bench

import (
	"context"
	"maps"
	"testing"

	"github.com/lineage-oss/lineage/store/redistest"
)

func TestParseCommandStats(t *testing.T) {
	in := "# Commandstats\r\n" +
		"cmdstat_get:calls=1234,usec=5678,usec_per_call=4.60,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_client|setinfo:calls=2,usec=3,usec_per_call=1.50,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_info:calls=7,usec=300,usec_per_call=42.86\r\n" +
		"cmdstat_bad:calls=x\r\n" +
		"garbage\r\n"
	want := map[string]int64{"get": 1234, "client|setinfo": 2, "info": 7}
	if got := parseCommandStats(in); !maps.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	deltas := commandDeltas(map[string]int64{"get": 1000, "info": 3, "set": 5}, map[string]int64{"get": 1234, "info": 4, "set": 5, "sadd": 1})
	if want := map[string]int64{"get": 234, "sadd": 1}; !maps.Equal(deltas, want) {
		t.Fatalf("deltas %v, want %v", deltas, want)
	}
}

func TestRedisPersistence(t *testing.T) {
	tests := []struct {
		name string
		srv  func(t *testing.T) *redistest.Server
		want Persistence
	}{
		{"none", func(t *testing.T) *redistest.Server { return redistest.Start(t) },
			Persistence{Mode: "none", AppendOnly: "no", AppendFsync: "everysec"}},
		{"aof, fsync always", func(t *testing.T) *redistest.Server { return redistest.Start(t, redistest.WithAppendFsyncAlways()) },
			Persistence{Mode: "aof", AppendOnly: "yes", AppendFsync: "always"}},
		{"rdb", func(t *testing.T) *redistest.Server {
			return redistest.Start(t, redistest.WithArgs("--save", "60 1000"))
		},
			Persistence{Mode: "rdb", AppendOnly: "no", AppendFsync: "everysec", Save: "60 1000"}},
		{"config refused", func(t *testing.T) *redistest.Server {
			return redistest.Start(t, redistest.WithArgs("--rename-command", "CONFIG", ""))
		}, Persistence{Mode: PersistenceUnknown}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.srv(t)
			p, err := dialRedis(context.Background(), "redis://"+srv.Addr()+"/0")
			if err != nil {
				t.Fatal(err)
			}
			defer p.close()
			if got := p.persistence(context.Background()); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
