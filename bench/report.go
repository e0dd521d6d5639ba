package bench

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the result of one run: JSON for machines, Format for people.
type Report struct {
	Scenario  string    `json:"scenario"`
	URL       string    `json:"url"`
	StartedAt time.Time `json:"started_at"`
	// Concurrency is the number of workers, each with one request in
	// flight.
	Concurrency int `json:"concurrency"`
	// WarmupSeconds is how long requests ran unmeasured first.
	WarmupSeconds float64 `json:"warmup_s"`
	// DurationSeconds is the measured phase's wall-clock length, from its
	// first request to the end of its last.
	DurationSeconds float64 `json:"duration_s"`
	// Count is the request count asked for, 0 when the phase was timed.
	Count int `json:"count,omitempty"`
	// TimeoutSeconds bounds each request.
	TimeoutSeconds float64 `json:"timeout_s"`
	// Requests counts the measured requests, failed ones included.
	Requests int64 `json:"requests"`
	// Failed counts those that failed (the sum of Errors).
	Failed int64 `json:"failed"`
	// RequestsPerSecond is Requests / DurationSeconds.
	RequestsPerSecond float64 `json:"req_per_s"`
	// Latency is over the requests that succeeded.
	Latency Latency `json:"latency_ms"`
	// Errors counts failed requests by kind: "http_<status>[:<error>]"
	// (create-token-with-iam: the AWS exception type, such as
	// "http_400:AccessDeniedException"), "transport", "timeout",
	// "unexpected_body", "wrong_answer"; refresh adds "lineage_restart"
	// and "sign_in_failed".
	Errors map[string]int64 `json:"errors"`
	// ErrorSamples gives the first message of each kind of error.
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	// Checked counts the requests answered right, by kind of request
	// (introspect: valid, inactive, malformed).
	Checked map[string]int64 `json:"checked,omitempty"`
	// Setup is what the scenario provisioned.
	Setup Setup `json:"setup"`
	// Redis is what the issuer's Redis did, when Options.RedisURL was set.
	Redis *RedisStats `json:"redis,omitempty"`
	// Host is the machine that generated the load.
	Host Host `json:"host"`
	// LeftoverClients are the clients clean-up could not delete.
	LeftoverClients []string `json:"leftover_clients,omitempty"`
	// LeftoverUsers are the users clean-up could not delete.
	LeftoverUsers []string `json:"leftover_users,omitempty"`
	// LeftoverIAMUsers are the IAM users clean-up could not delete.
	LeftoverIAMUsers []string `json:"leftover_iam_users,omitempty"`
	// LeftoverIAMRoles are the IAM roles clean-up could not delete.
	LeftoverIAMRoles []string `json:"leftover_iam_roles,omitempty"`
}

// Latency gives percentiles in milliseconds (within 0.8 %).
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99.9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func latencyOf(h *histogram) Latency {
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 } // µs precision
	return Latency{
		P50: ms(h.quantile(0.50)), P90: ms(h.quantile(0.90)), P99: ms(h.quantile(0.99)),
		P999: ms(h.quantile(0.999)), Max: ms(time.Duration(h.max)), Mean: ms(h.mean()),
	}
}

// Host describes the machine that ran lineage bench.
type Host struct {
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	// CPUModel is /proc/cpuinfo's "model name", "" where there is none.
	CPUModel string `json:"cpu_model,omitempty"`
}

func thisHost() Host {
	return Host{
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), CPUModel: cpuModel("/proc/cpuinfo"),
	}
}

// cpuModel returns the first "model name" of a /proc/cpuinfo file.
func cpuModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

// Format writes the report as a table for people.
func (r Report) Format(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	line := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	phase := fmt.Sprintf("%s measured", seconds(r.DurationSeconds))
	if r.Count > 0 {
		phase = fmt.Sprintf("%d requests in %s", r.Count, seconds(r.DurationSeconds))
	}
	line("lineage bench %s against %s", r.Scenario, r.URL)
	line("  %d workers, %s after %s of warm-up, request timeout %s", r.Concurrency, phase, seconds(r.WarmupSeconds), seconds(r.TimeoutSeconds))
	line("  setup: %s", r.Setup.Summary)
	line("")
	line("requests\t%d\t%.1f req/s", r.Requests, r.RequestsPerSecond)
	ok := r.Requests - r.Failed
	line("succeeded\t%d\t%s", ok, percent(ok, r.Requests))
	line("failed\t%d\t%s", r.Failed, percent(r.Failed, r.Requests))
	for _, kind := range sortedKeys(r.Errors) {
		line("  %s\t%d\t%s", kind, r.Errors[kind], r.ErrorSamples[kind])
	}
	if len(r.Checked) > 0 {
		var parts []string
		for _, kind := range sortedKeys(r.Checked) {
			parts = append(parts, fmt.Sprintf("%s %d", kind, r.Checked[kind]))
		}
		line("answered right\t%s", strings.Join(parts, ", "))
	}
	line("")
	line("latency (ms, succeeded requests)")
	line("  p50\t%.3f", r.Latency.P50)
	line("  p90\t%.3f", r.Latency.P90)
	line("  p99\t%.3f", r.Latency.P99)
	line("  p99.9\t%.3f", r.Latency.P999)
	line("  max\t%.3f", r.Latency.Max)
	line("  mean\t%.3f", r.Latency.Mean)
	if r.Redis != nil {
		line("")
		p := r.Redis.Persistence
		mode := p.Mode
		if p.Mode != PersistenceUnknown {
			mode = fmt.Sprintf("%s (appendonly %s, appendfsync %s, save %q)", p.Mode, p.AppendOnly, p.AppendFsync, p.Save)
		}
		version := ""
		if r.Redis.Version != "" {
			version = " " + r.Redis.Version
		}
		line("redis%s at %s, persistence %s", version, r.Redis.URL, mode)
		line("  command\tcalls\tper request")
		names := sortedKeys(r.Redis.Commands)
		slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(r.Redis.Commands[b], r.Redis.Commands[a]) })
		for _, name := range names {
			per := "-"
			if r.Requests > 0 {
				per = fmt.Sprintf("%.2f", float64(r.Redis.Commands[name])/float64(r.Requests))
			}
			line("  %s\t%d\t%s", name, r.Redis.Commands[name], per)
		}
		if len(names) == 0 {
			line("  (no command)")
		}
	}
	line("")
	h := r.Host
	cpu := h.CPUModel
	if cpu == "" {
		cpu = "CPU model unknown"
	}
	line("load generator: %s %s/%s, GOMAXPROCS %d, %d CPUs: %s", h.GoVersion, h.OS, h.Arch, h.GOMAXPROCS, h.NumCPU, cpu)
	if len(r.LeftoverClients) > 0 {
		line("")
		line("clean-up could not delete these clients: %s", strings.Join(r.LeftoverClients, ", "))
	}
	if len(r.LeftoverUsers) > 0 {
		line("")
		line("clean-up could not delete these users: %s", strings.Join(r.LeftoverUsers, ", "))
	}
	if len(r.LeftoverIAMRoles) > 0 {
		line("")
		line("clean-up could not delete these IAM roles: %s", strings.Join(r.LeftoverIAMRoles, ", "))
	}
	if len(r.LeftoverIAMUsers) > 0 {
		line("")
		line("clean-up could not delete these IAM users: %s", strings.Join(r.LeftoverIAMUsers, ", "))
	}
	return tw.Flush()
}

func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

func percent(n, of int64) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f %%", 100*float64(n)/float64(of))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
