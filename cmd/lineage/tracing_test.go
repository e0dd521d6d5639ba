package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lineage-oss/lineage/config"
	"github.com/lineage-oss/lineage/iam"
	"github.com/lineage-oss/lineage/jwks"
	"github.com/lineage-oss/lineage/store/redistest"
)

// redisotelScope is the instrumentation scope of go-redis's spans.
const redisotelScope = "github.com/redis/go-redis/extra/redisotel"

// otlpCollector is an in-process OTLP/HTTP collector: it accepts
// protobuf ExportTraceServiceRequests on POST /v1/traces and keeps their
// spans.
type otlpCollector struct {
	url   string
	mu    sync.Mutex
	posts int
	spans []exportedSpan
	bad   []string
}

// exportedSpan is a span as the collector received it.
type exportedSpan struct {
	service string
	scope   string
	*tracepb.Span
}

func (s exportedSpan) traceID() string { return hex.EncodeToString(s.TraceId) }
func (s exportedSpan) spanID() string  { return hex.EncodeToString(s.SpanId) }
func (s exportedSpan) parentID() string {
	return hex.EncodeToString(s.ParentSpanId)
}

// attr returns the string form of the attribute key ("" if absent).
func (s exportedSpan) attr(key string) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return anyValueString(kv.Value)
		}
	}
	return ""
}

func anyValueString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	}
	return v.String()
}

func startCollector(t *testing.T) *otlpCollector {
	t.Helper()
	c := &otlpCollector{}
	srv := httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

func (c *otlpCollector) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.posts++
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		c.bad = append(c.bad, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		http.Error(w, "not an OTLP/HTTP protobuf export", http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	raw, err := io.ReadAll(body)
	var req coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(raw, &req)
	}
	if err != nil {
		c.bad = append(c.bad, "undecodable export: "+err.Error())
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, rs := range req.ResourceSpans {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				service = anyValueString(kv.Value)
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				c.spans = append(c.spans, exportedSpan{service: service, scope: ss.GetScope().GetName(), Span: s})
			}
		}
	}
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// received returns the spans and exports received so far.
func (c *otlpCollector) received() ([]exportedSpan, int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]exportedSpan(nil), c.spans...), c.posts, append([]string(nil), c.bad...)
}

// lockedBuffer collects log lines written from the servers' goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log records written so far.
func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, rec)
	}
	return out
}

// startTracedIssuer is startIssuer with a telemetry section and the
// production JSON logger writing to logs.
func startTracedIssuer(t *testing.T, storeYAML, telemetryYAML string, logs io.Writer) *testIssuer {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	yaml := testConfig(issuer, string(set), storeYAML) + "telemetry: " + telemetryYAML + "\n"
	cfg, err := config.Parse([]byte(yaml), func(string) (string, bool) { return "", false }, false)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	clk := &testClock{t: time.Now()}
	a, err := newApp(context.Background(), cfg, deps{now: clk.now, rand: rand.Reader, logger: newLogger(logs, "info")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	srv.Config.Handler = a.public
	srv.Start()
	t.Cleanup(srv.Close)
	adminSrv := httptest.NewServer(a.admin)
	t.Cleanup(adminSrv.Close)
	return &testIssuer{url: issuer, admin: adminSrv.URL, app: a, clock: clk, key: key}
}

// postTokenWithQuery is postToken to /token?query.
func postTokenWithQuery(t *testing.T, issuer, query string, form url.Values, user, pass string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, issuer+"/token?"+query, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %s", resp.StatusCode, raw)
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.AccessToken == "" {
		t.Fatalf("token response %s", raw)
	}
	return resp.StatusCode
}

// TestTokenRequestTrace: with telemetry.otlp_endpoint set, one
// client_credentials /token request for a client stored in Redis is one
// trace at the collector — the server span named by the route, the Redis
// commands that read the client, the CreateToken policy decision and the
// signing of the access token, each the child of a span of the request —
// and the access log line of the request carries its trace and span ids.
// Nothing exported holds the query, the secret or a Redis argument.
func TestTokenRequestTrace(t *testing.T) {
	redis := redistest.Start(t)
	collector := startCollector(t)
	logs := &lockedBuffer{}
	iss := startTracedIssuer(t, fmt.Sprintf("{redis_url: %q}", "redis://"+redis.Addr()+"/0"),
		fmt.Sprintf("{otlp_endpoint: %q, service_name: lineage-test}", collector.url), logs)

	created := adminJSON(t, iss, "POST", "/admin/v1/clients", `{"id":"traced-batch","grant_types":["client_credentials"],"scopes":["read"]}`, 201)
	secret := created["secret"].(string)
	const query = "probe=query-never-exported"
	postTokenWithQuery(t, iss.url, query, cc("scope", "read"), "traced-batch", secret)

	// The server span ends once the response is written: wait for it.
	var spans []exportedSpan
	var server exportedSpan
	deadline := time.Now().Add(10 * time.Second)
	for server.Span == nil {
		if err := iss.app.tracing.ForceFlush(context.Background()); err != nil {
			t.Fatalf("flush: %v", err)
		}
		spans, _, _ = collector.received()
		for _, s := range spans {
			if s.Name == "POST /token" {
				server = s
			}
		}
		if server.Span == nil && time.Now().After(deadline) {
			t.Fatalf("no POST /token span exported; got %d spans", len(spans))
		}
		if server.Span == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if _, _, bad := collector.received(); len(bad) > 0 {
		t.Fatalf("the collector refused exports: %v", bad)
	}

	if server.Kind != tracepb.Span_SPAN_KIND_SERVER || server.service != "lineage-test" || server.attr("http.route") != "/token" ||
		server.attr("http.response.status_code") != "200" || server.attr("url.path") != "/token" {
		t.Errorf("server span: kind %v service %q attributes %v", server.Kind, server.service, server.Attributes)
	}
	inTrace := map[string]exportedSpan{}
	for _, s := range spans {
		if s.traceID() == server.traceID() {
			inTrace[s.spanID()] = s
		}
	}
	// Every span of the request descends from the server span.
	descends := func(s exportedSpan) bool {
		for range len(inTrace) {
			if s.spanID() == server.spanID() {
				return true
			}
			p, ok := inTrace[s.parentID()]
			if !ok {
				return false
			}
			s = p
		}
		return false
	}
	var redisSpans, signSpans, policySpans []exportedSpan
	for _, s := range inTrace {
		if !descends(s) {
			t.Errorf("span %q is in the trace but not under the server span", s.Name)
		}
		switch {
		case s.scope == redisotelScope:
			redisSpans = append(redisSpans, s)
		case s.Name == jwks.SpanSign:
			signSpans = append(signSpans, s)
		case s.Name == iam.SpanDecideCreateToken:
			policySpans = append(policySpans, s)
		}
	}
	if len(redisSpans) == 0 {
		t.Errorf("no Redis span in the trace of /token; spans: %v", spanNames(inTrace))
	}
	for _, s := range redisSpans {
		if s.Kind != tracepb.Span_SPAN_KIND_CLIENT || s.attr("db.system") != "redis" || s.attr("db.statement") != "" {
			t.Errorf("redis span %q: kind %v attributes %v", s.Name, s.Kind, s.Attributes)
		}
	}
	if len(signSpans) != 1 || signSpans[0].attr("jwt.typ") != "at+jwt" || signSpans[0].attr("jwt.kid") == "" {
		t.Errorf("signing spans %v; spans: %v", signSpans, spanNames(inTrace))
	}
	if len(policySpans) != 1 || policySpans[0].attr("iam.allowed") != "true" || policySpans[0].attr("iam.action") != "sso-oauth:CreateToken" {
		t.Errorf("policy spans %v; spans: %v", policySpans, spanNames(inTrace))
	}
	for _, s := range spans {
		dump := fmt.Sprint(s.Name, s.Attributes, s.Events)
		for _, never := range []string{"query-never-exported", secret} {
			if strings.Contains(dump, never) {
				t.Errorf("span %q exports %q: %s", s.Name, never, dump)
			}
		}
	}

	var logged bool
	for _, rec := range logs.lines(t) {
		if rec["msg"] == "request" && rec["path"] == "/token" {
			logged = true
			if rec["trace_id"] != server.traceID() || rec["span_id"] != server.spanID() {
				t.Errorf("access log %v, want trace_id %s span_id %s", rec, server.traceID(), server.spanID())
			}
		}
	}
	if !logged {
		t.Error("no access log line for /token")
	}
}

func spanNames(spans map[string]exportedSpan) []string {
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	return names
}

// TestNoTelemetryWithoutEndpoint: without telemetry.otlp_endpoint nothing
// is traced — not even toward OTEL_EXPORTER_OTLP_ENDPOINT, which the SDK
// would otherwise read — requests are served as usual, a caller's
// traceparent adds no ids to the logs, and closing flushes nothing.
func TestNoTelemetryWithoutEndpoint(t *testing.T) {
	collector := startCollector(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", collector.url+"/v1/traces")
	logs := &lockedBuffer{}
	iss := startTracedIssuer(t, "{}", `{otlp_endpoint: ""}`, logs)
	if iss.app.tracing != nil {
		t.Fatal("a tracer provider is installed without an endpoint")
	}

	req, _ := http.NewRequest(http.MethodPost, iss.url+"/token", strings.NewReader(cc().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	req.SetBasicAuth("svc", svcSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d", resp.StatusCode)
	}
	if err := shutdownTracing(context.Background(), iss.app.tracing); err != nil {
		t.Fatal(err)
	}
	if _, posts, _ := collector.received(); posts != 0 {
		t.Fatalf("%d exports without an endpoint", posts)
	}
	for _, rec := range logs.lines(t) {
		if _, ok := rec["trace_id"]; ok {
			t.Errorf("log line with a trace id while telemetry is off: %v", rec)
		}
	}
}

// TestTelemetrySampleRatioZero: with sample_ratio 0 the issuer starts no
// trace of its own, yet follows a caller's sampled traceparent: the
// request's spans join the caller's trace.
func TestTelemetrySampleRatioZero(t *testing.T) {
	collector := startCollector(t)
	logs := &lockedBuffer{}
	iss := startTracedIssuer(t, "{}", fmt.Sprintf("{otlp_endpoint: %q, sample_ratio: 0}", collector.url+"/"), logs)

	post := func(traceparent string) {
		req, _ := http.NewRequest(http.MethodPost, iss.url+"/token", strings.NewReader(cc().Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if traceparent != "" {
			req.Header.Set("Traceparent", traceparent)
		}
		req.SetBasicAuth("svc", svcSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("token: %d", resp.StatusCode)
		}
	}
	post("")
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	post("00-" + callerTrace + "-00f067aa0ba902b7-01")
	if err := shutdownTracing(context.Background(), iss.app.tracing); err != nil {
		t.Fatal(err)
	}

	spans, _, bad := collector.received()
	if len(bad) > 0 {
		t.Fatalf("the collector refused exports: %v", bad)
	}
	var server, sign int
	for _, s := range spans {
		if s.traceID() != callerTrace {
			t.Errorf("span %q of trace %s exported with sample_ratio 0", s.Name, s.traceID())
			continue
		}
		switch s.Name {
		case "POST /token":
			server++
			if s.parentID() != "00f067aa0ba902b7" {
				t.Errorf("server span's parent %s, want the caller's span", s.parentID())
			}
		case jwks.SpanSign:
			sign++
		}
	}
	if server != 1 || sign != 1 {
		t.Errorf("caller's trace: %d server and %d signing spans, want 1 and 1", server, sign)
	}
	var withTrace int
	for _, rec := range logs.lines(t) {
		if rec["msg"] == "request" && rec["trace_id"] == callerTrace {
			withTrace++
		}
	}
	if withTrace != 1 {
		t.Errorf("%d access log lines with the caller's trace id, want 1", withTrace)
	}
}
