package bench

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// cleanupTimeout bounds clean-up, which runs even after ctx has ended.
const cleanupTimeout = 30 * time.Second

// Run runs one scenario: set-up, warm-up, the measured phase, clean-up.
// It writes a line per step to progress. The clients, users, IAM users and
// IAM roles it created are deleted even when it fails or ctx ends
// (Ctrl-C); when ctx ends it returns ctx's error, not a partial report.
func Run(ctx context.Context, opts Options, progress io.Writer) (rep Report, err error) {
	if err := opts.Validate(); err != nil {
		return Report{}, err
	}
	opts = opts.withDefaults()
	if progress == nil {
		progress = io.Discard
	}
	sc, err := newScenario(opts.Scenario)
	if err != nil {
		return Report{}, err
	}
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		return Report{}, fmt.Errorf("bench: randomness: %w", err)
	}
	runID := hex.EncodeToString(seed[:4])

	var redis *redisProbe
	var rs *RedisStats
	if opts.RedisURL != "" {
		if redis, err = dialRedis(ctx, opts.RedisURL); err != nil {
			return Report{}, err
		}
		defer redis.close()
		rs = &RedisStats{URL: redis.url, Version: redis.version(ctx), Persistence: redis.persistence(ctx)}
	}

	transport := newTransport(opts.Concurrency)
	defer transport.CloseIdleConnections()
	env := &Env{
		Options:  opts,
		Public:   newPublic(opts.URL, transport, opts.Concurrency),
		Admin:    newAdmin(opts.AdminURL, opts.AdminToken, runID),
		Rand:     rand.New(rand.NewChaCha8(seed)),
		Progress: progress,
	}
	report := Report{
		Scenario: sc.Name(), URL: redacted(opts.URL), StartedAt: time.Now().UTC(), Concurrency: opts.Concurrency,
		Count: opts.Count, TimeoutSeconds: opts.Timeout.Seconds(), Host: thisHost(),
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		left, cerr := env.Admin.deleteCreated(ctx)
		switch {
		case cerr != nil && err != nil:
			err = errors.Join(err, fmt.Errorf("bench: clean-up: %w", cerr))
		case cerr != nil:
			env.progressf("warning: clean-up: %v", cerr)
			rep.LeftoverClients, rep.LeftoverUsers = left.clients, left.users
			rep.LeftoverIAMUsers, rep.LeftoverIAMRoles = left.iamUsers, left.roles
		default:
			env.progressf("deleted what the run created")
		}
	}()

	env.progressf("setting up %s (run %s)", sc.Name(), runID)
	if report.Setup, err = sc.Setup(ctx, env); err != nil {
		if ctx.Err() != nil {
			return Report{}, interrupted(ctx)
		}
		return Report{}, fmt.Errorf("bench: set up %s: %w", sc.Name(), err)
	}
	workers := make([]Worker, opts.Concurrency)
	for i := range workers {
		workers[i] = sc.Worker(i)
	}
	if opts.Warmup > 0 {
		env.progressf("warming up for %v", opts.Warmup)
		runPhase(ctx, workers, phase{until: time.Now().Add(opts.Warmup), timeout: opts.Timeout})
		if ctx.Err() != nil {
			return Report{}, interrupted(ctx)
		}
	}
	var before map[string]int64
	if redis != nil {
		if before, err = redis.commandStats(ctx); err != nil {
			return Report{}, err
		}
	}
	if opts.Count > 0 {
		env.progressf("measuring %d requests with %d workers", opts.Count, opts.Concurrency)
	} else {
		env.progressf("measuring for %v with %d workers", opts.Duration, opts.Concurrency)
	}
	p := phase{until: time.Now().Add(opts.Duration), count: int64(opts.Count), timeout: opts.Timeout}
	t := runPhase(ctx, workers, p)
	if redis != nil && ctx.Err() == nil {
		after, err := redis.commandStats(ctx)
		if err != nil {
			return Report{}, err
		}
		rs.Commands = commandDeltas(before, after)
		report.Redis = rs
	}
	if ctx.Err() != nil {
		return Report{}, interrupted(ctx)
	}
	report.WarmupSeconds = opts.Warmup.Seconds()
	report.DurationSeconds = t.elapsed.Seconds()
	report.Requests, report.Failed = t.requests, t.failed
	if t.elapsed > 0 {
		report.RequestsPerSecond = math.Round(float64(t.requests)/t.elapsed.Seconds()*10) / 10
	}
	report.Latency = latencyOf(&t.hist)
	report.Errors, report.ErrorSamples, report.Checked = t.errors, t.samples, t.checked
	if len(report.ErrorSamples) == 0 {
		report.ErrorSamples = nil
	}
	return report, nil
}

// interrupted is the error of a run whose ctx ended: it wraps ctx.Err()
// and says why (a signal, with signal.NotifyContext).
func interrupted(ctx context.Context) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, ctx.Err()) {
		return fmt.Errorf("bench: interrupted (%v): %w", cause, ctx.Err())
	}
	return fmt.Errorf("bench: interrupted: %w", ctx.Err())
}

// phase is how long workers run: until a time, or for count requests in
// all when count > 0.
type phase struct {
	until   time.Time
	count   int64
	timeout time.Duration
}

// tally is what one phase, or one shard of its workers, saw.
type tally struct {
	hist             histogram // latencies of the requests that succeeded
	requests, failed int64
	errors           map[string]int64
	samples          map[string]string
	checked          map[string]int64
	elapsed          time.Duration
}

func newTally() *tally {
	return &tally{errors: map[string]int64{}, samples: map[string]string{}, checked: map[string]int64{}}
}

func (t *tally) add(res Result, latency time.Duration) {
	t.requests++
	if res.Err == nil {
		t.hist.record(latency)
		if res.Kind != "" {
			t.checked[res.Kind]++
		}
		return
	}
	f := failureOf(res.Err)
	t.failed++
	t.errors[f.Kind]++
	if _, ok := t.samples[f.Kind]; !ok {
		t.samples[f.Kind] = f.Detail
	}
}

func (t *tally) merge(o *tally) {
	t.hist.merge(&o.hist)
	t.requests += o.requests
	t.failed += o.failed
	for k, v := range o.errors {
		t.errors[k] += v
	}
	for k, v := range o.samples {
		if _, ok := t.samples[k]; !ok {
			t.samples[k] = v
		}
	}
	for k, v := range o.checked {
		t.checked[k] += v
	}
}

// maxShards bounds how many tallies a phase keeps: workers share them
// (a histogram is 58 KiB), each shard behind its own lock.
const maxShards = 64

// shard is a tally that several workers record into.
type shard struct {
	mu sync.Mutex
	t  *tally
}

// runPhase runs every worker, one goroutine each, until the phase ends or
// ctx does. A worker starts no request after the end; the phase lasts
// until the last request in flight has finished. Requests cut short by
// ctx's end are not counted.
func runPhase(ctx context.Context, workers []Worker, p phase) *tally {
	var (
		issued atomic.Int64
		wg     sync.WaitGroup
		shards = make([]shard, min(len(workers), maxShards))
	)
	for i := range shards {
		shards[i].t = newTally()
	}
	start := time.Now()
	for i, w := range workers {
		sh := &shards[i%len(shards)]
		wg.Go(func() {
			for ctx.Err() == nil {
				if p.count > 0 {
					if issued.Add(1) > p.count {
						return
					}
				} else if !time.Now().Before(p.until) {
					return
				}
				rctx, cancel := context.WithTimeout(ctx, p.timeout)
				began := time.Now()
				res := w.Do(rctx)
				latency := time.Since(began)
				cancel()
				if ctx.Err() != nil {
					return
				}
				sh.mu.Lock()
				sh.t.add(res, latency)
				sh.mu.Unlock()
			}
		})
	}
	wg.Wait()
	all := newTally()
	all.elapsed = time.Since(start)
	for i := range shards {
		all.merge(shards[i].t)
	}
	return all
}
