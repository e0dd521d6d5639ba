package bench

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// redisTimeout bounds each question to Redis.
const redisTimeout = 10 * time.Second

// RedisStats is what Redis did during the measured phase.
type RedisStats struct {
	// URL is the Redis asked, its password hidden.
	URL     string `json:"url"`
	Version string `json:"version,omitempty"`
	// Persistence is how Redis keeps its data.
	Persistence Persistence `json:"persistence"`
	// Commands maps each command Redis ran during the measured phase to
	// how often (INFO commandstats after minus before; the bench's own
	// INFO left out). Other clients of the same Redis count too.
	Commands map[string]int64 `json:"commands"`
}

// Persistence is Redis's persistence configuration (CONFIG GET
// appendonly, appendfsync, save).
type Persistence struct {
	// Mode is "none", "rdb", "aof", "aof+rdb", or "unknown" when Redis
	// refused CONFIG (managed services often do).
	Mode        string `json:"mode"`
	AppendOnly  string `json:"appendonly,omitempty"`
	AppendFsync string `json:"appendfsync,omitempty"`
	Save        string `json:"save,omitempty"`
}

// PersistenceUnknown is Persistence.Mode when Redis refused CONFIG GET.
const PersistenceUnknown = "unknown"

// redisProbe asks the issuer's Redis about itself over one connection.
type redisProbe struct {
	c   *goredis.Client
	url string
}

// dialRedis connects to the Redis at raw and checks that it answers.
func dialRedis(ctx context.Context, raw string) (*redisProbe, error) {
	opt, err := goredis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("bench: redis url %s: %w", redacted(raw), err)
	}
	// One connection, opened before the first snapshot: its handshake
	// (HELLO, CLIENT SETINFO) is not counted in the deltas.
	opt.PoolSize, opt.MinIdleConns, opt.MaxRetries = 1, 0, 2
	p := &redisProbe{c: goredis.NewClient(opt), url: redacted(raw)}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	if err := p.c.Ping(ctx).Err(); err != nil {
		_ = p.c.Close()
		return nil, fmt.Errorf("bench: redis %s does not answer: %w", p.url, err)
	}
	return p, nil
}

func (p *redisProbe) close() { _ = p.c.Close() }

// commandStats returns INFO commandstats: calls by command.
func (p *redisProbe) commandStats(ctx context.Context) (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	s, err := p.c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, fmt.Errorf("bench: redis INFO commandstats: %w", err)
	}
	return parseCommandStats(s), nil
}

// parseCommandStats reads INFO commandstats lines such as
// "cmdstat_get:calls=3,usec=10,usec_per_call=3.33,rejected_calls=0,failed_calls=0"
// (Redis 7 names subcommands "cmdstat_client|setname").
func parseCommandStats(s string) map[string]int64 {
	out := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		name, fields, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		name, isCmd := strings.CutPrefix(name, "cmdstat_")
		if !ok || !isCmd || name == "" {
			continue
		}
		for f := range strings.SplitSeq(fields, ",") {
			if v, ok := strings.CutPrefix(f, "calls="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
					out[name] = n
				}
			}
		}
	}
	return out
}

// commandDeltas returns after − before for each command that ran, less the
// one INFO commandstats of the first snapshot.
func commandDeltas(before, after map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for name, n := range after {
		d := n - before[name]
		if name == "info" {
			d--
		}
		if d > 0 {
			out[name] = d
		}
	}
	return out
}

// persistence asks CONFIG GET appendonly, appendfsync and save.
func (p *redisProbe) persistence(ctx context.Context) Persistence {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	values := map[string]string{}
	for _, key := range []string{"appendonly", "appendfsync", "save"} {
		m, err := p.c.ConfigGet(ctx, key).Result()
		v, ok := m[key]
		if err != nil || !ok {
			return Persistence{Mode: PersistenceUnknown}
		}
		values[key] = v
	}
	return persistenceOf(values["appendonly"], values["appendfsync"], values["save"])
}

func persistenceOf(appendOnly, fsync, save string) Persistence {
	aof := appendOnly == "yes"
	rdb := strings.TrimSpace(save) != ""
	mode := "none"
	switch {
	case aof && rdb:
		mode = "aof+rdb"
	case aof:
		mode = "aof"
	case rdb:
		mode = "rdb"
	}
	return Persistence{Mode: mode, AppendOnly: appendOnly, AppendFsync: fsync, Save: save}
}

// version returns INFO server's redis_version, "" if Redis does not say.
func (p *redisProbe) version(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	s, err := p.c.Info(ctx, "server").Result()
	if err != nil {
		return ""
	}
	for line := range strings.Lines(s) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v
		}
	}
	return ""
}
