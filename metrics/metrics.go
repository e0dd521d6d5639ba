package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the issuer's Prometheus metrics. All names carry the
// lineage_ prefix and base units (seconds), counters end in _total.
type Metrics struct {
	registry *prometheus.Registry

	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	tokens          *prometheus.CounterVec
	revocations     *prometheus.CounterVec
	checks          *prometheus.CounterVec
	reuse           *prometheus.CounterVec
	streamLag       prometheus.Gauge
	streamListeners prometheus.Gauge
}

// New registers the metrics on a new registry, with the Go runtime and
// process collectors beside them.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		registry: r,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lineage_http_requests_total",
			Help: "HTTP requests by listener, endpoint (route), grant type (for /token) and status code.",
		}, []string{"listener", "endpoint", "grant", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lineage_http_request_duration_seconds",
			Help:    "HTTP request latency by listener and endpoint (route).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"listener", "endpoint"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lineage_tokens_issued_total",
			Help: "Access tokens issued, by grant type.",
		}, []string{"grant"}),
		revocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lineage_revocations_total",
			Help: "Revocations written, by kind (jti, origin_jti, before, policy).",
		}, []string{"kind"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lineage_revocation_checks_total",
			Help: "Reads of the revocation set, by result: not_revoked, revoked, or store_error (the caller failed closed).",
		}, []string{"result"}),
		reuse: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lineage_reuse_detections_total",
			Help: "Reuse of a rotated refresh token or of an authorization code, which revokes the lineage, by what was reused.",
		}, []string{"token"}),
		streamLag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lineage_revocation_stream_lag_seconds",
			Help: "How long after it was appended this instance read the newest event of the revocation stream.",
		}),
		streamListeners: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "lineage_revocation_stream_subscribers",
			Help: "Open GET /revocations streams on this instance.",
		}),
	}
	r.MustRegister(m.requests, m.latency, m.tokens, m.revocations, m.checks, m.reuse, m.streamLag, m.streamListeners,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is what /metrics serves.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Request records one HTTP request.
func (m *Metrics) Request(listener, endpoint, grant string, code int, took time.Duration) {
	m.requests.WithLabelValues(listener, endpoint, grant, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(listener, endpoint).Observe(took.Seconds())
}

// TokenIssued counts an access token issued by grant.
func (m *Metrics) TokenIssued(grant string) { m.tokens.WithLabelValues(grant).Inc() }

// Revoked counts a revocation written, by kind.
func (m *Metrics) Revoked(kind string) { m.revocations.WithLabelValues(kind).Inc() }

// Checked counts a read of the revocation set: revoked, or err (the store
// failed).
func (m *Metrics) Checked(revoked bool, err error) {
	switch {
	case err != nil:
		m.checks.WithLabelValues("store_error").Inc()
	case revoked:
		m.checks.WithLabelValues("revoked").Inc()
	default:
		m.checks.WithLabelValues("not_revoked").Inc()
	}
}

// Reused counts a reuse detection: token is "refresh_token" or
// "authorization_code".
func (m *Metrics) Reused(token string) { m.reuse.WithLabelValues(token).Inc() }

// StreamRead records the lag of the newest event the instance read.
func (m *Metrics) StreamRead(lag time.Duration) { m.streamLag.Set(lag.Seconds()) }

// StreamSubscribers adds delta to the open streams.
func (m *Metrics) StreamSubscribers(delta int) { m.streamListeners.Add(float64(delta)) }

// KeyAge registers the age of the current signing key, read when scraped.
func (m *Metrics) KeyAge(age func() (time.Duration, bool)) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "lineage_signing_key_age_seconds",
		Help: "How long the current signing key has been signing.",
	}, func() float64 {
		d, ok := age()
		if !ok {
			return 0
		}
		return d.Seconds()
	}))
}
