package bench

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of the zero Options fields.
const (
	DefaultConcurrency = 32
	// MaxConcurrency bounds the number of workers.
	MaxConcurrency  = 10000
	DefaultDuration = 10 * time.Second
	DefaultTimeout  = 10 * time.Second
	// DefaultTokens is how many distinct tokens introspect walks: enough
	// that no cache in front of the store could hold them all.
	DefaultTokens = 100000
	// DefaultRegion is the SigV4 region create-token-with-iam signs for:
	// the issuer's default iam.region.
	DefaultRegion = "us-east-1"
)

// ErrInvalidOptions reports Options that Run refuses; the message lists
// every problem.
var ErrInvalidOptions = errors.New("bench: invalid options")

// Options configure one run of one scenario.
type Options struct {
	// URL is the issuer's public URL: /token, /introspect, /authorize and
	// the login form are under it.
	URL string
	// AdminURL and AdminToken reach the admin API (Bearer token, RFC 6750
	// §2.1), through which the scenario creates its clients and users and
	// deletes them afterwards.
	AdminURL   string
	AdminToken string
	// Scenario is the workload's name: one of Scenarios().
	Scenario string
	// Concurrency is the number of workers, each sending one request at a
	// time (default 32).
	Concurrency int
	// Duration is how long the measured phase lasts (default 10s) unless
	// Count is set.
	Duration time.Duration
	// Count, when positive, ends the measured phase after this many
	// requests instead of after Duration.
	Count int
	// Warmup is how long requests run unmeasured before the measured phase
	// (0: none).
	Warmup time.Duration
	// Timeout bounds each request (default 10s); a request that takes
	// longer counts as a "timeout" error.
	Timeout time.Duration
	// Tokens is how many distinct tokens introspect walks (default
	// 100,000), split by Mix.
	Tokens int
	// Mix is the share of each kind of token introspect sends (default
	// valid 0.8, inactive 0.1, malformed 0.1).
	Mix Mix
	// Region is the issuer's iam.region, the region of the SigV4
	// credential scope create-token-with-iam signs for (default
	// us-east-1).
	Region string
	// RedisURL, when set, is the issuer's Redis (redis:// or rediss://):
	// the report then gives INFO commandstats deltas over the measured
	// phase and the persistence mode.
	RedisURL string
}

// withDefaults fills the zero fields that have a default.
func (o Options) withDefaults() Options {
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Duration == 0 && o.Count == 0 {
		o.Duration = DefaultDuration
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Tokens == 0 {
		o.Tokens = DefaultTokens
	}
	if o.Mix == (Mix{}) {
		o.Mix = DefaultMix()
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	o.Scenario = strings.TrimSpace(o.Scenario)
	return o
}

// Validate reports every problem of o (after defaults) at once, each
// wrapping ErrInvalidOptions.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...))
	}
	if !httpURL(o.URL) {
		add("url %q is not an http(s) URL such as http://127.0.0.1:8080", redacted(o.URL))
	}
	if !httpURL(o.AdminURL) {
		add("admin url %q is not an http(s) URL such as http://127.0.0.1:8081", redacted(o.AdminURL))
	}
	if o.AdminToken == "" {
		add("the admin token is required")
	} else if strings.ContainsAny(o.AdminToken, "\r\n") {
		add("the admin token contains a line break")
	}
	if _, err := newScenario(o.Scenario); err != nil {
		errs = append(errs, err)
	}
	if o.Concurrency < 1 || o.Concurrency > MaxConcurrency {
		add("concurrency is 1 to %d, got %d", MaxConcurrency, o.Concurrency)
	}
	if o.Count < 0 {
		add("count is not negative, got %d", o.Count)
	}
	if o.Count == 0 && o.Duration < 0 {
		add("duration is positive, got %v", o.Duration)
	}
	if o.Warmup < 0 {
		add("warm-up is not negative, got %v", o.Warmup)
	}
	if o.Timeout < 0 {
		add("timeout is positive, got %v", o.Timeout)
	}
	if o.Tokens < 1 {
		add("tokens is at least 1, got %d", o.Tokens)
	}
	if err := o.Mix.validate(); err != nil {
		add("mix: %v", err)
	}
	if !validRegion(o.Region) {
		add("region %q is not 1 to 64 characters of a-z, 0-9 and '-' (the issuer's iam.region, such as us-east-1)", o.Region)
	}
	if o.RedisURL != "" {
		if u, err := url.Parse(o.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			add("redis url %q is not a redis:// or rediss:// URL", redacted(o.RedisURL))
		}
	}
	return errors.Join(errs...)
}

// validRegion reports whether r can be the region of a SigV4 credential
// scope.
func validRegion(r string) bool {
	if r == "" || len(r) > 64 {
		return false
	}
	for _, c := range r {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

func httpURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}

// redacted hides a password in a URL shown to the user.
func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// Kinds of token the introspect scenario sends.
const (
	// KindValid is a token of the introspecting client: active.
	KindValid = "valid"
	// KindInactive is a well-signed token of a client disabled during
	// set-up: inactive because the issuer checked the client at once.
	KindInactive = "inactive"
	// KindMalformed is a random string or a token whose signature, payload
	// or algorithm was tampered with: inactive.
	KindMalformed = "malformed"
)

// mixKinds lists the kinds a Mix names, in order.
func mixKinds() []string { return []string{KindValid, KindInactive, KindMalformed} }

// Mix is the share of each kind of token among those introspect sends;
// the shares add up to 1. It is a flag value: "valid=0.8,inactive=0.1,
// malformed=0.1", kinds left out being 0.
type Mix struct {
	Valid     float64 `json:"valid"`
	Inactive  float64 `json:"inactive"`
	Malformed float64 `json:"malformed"`
}

// DefaultMix is 80 % valid, 10 % inactive, 10 % malformed tokens.
func DefaultMix() Mix { return Mix{Valid: 0.8, Inactive: 0.1, Malformed: 0.1} }

// ParseMix reads "kind=share,…" (kinds: valid, inactive, malformed).
func ParseMix(s string) (Mix, error) {
	var m Mix
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kind, share, ok := strings.Cut(part, "=")
		kind = strings.TrimSpace(kind)
		if !ok {
			return Mix{}, fmt.Errorf("%q is not kind=share", part)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(share), 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
			return Mix{}, fmt.Errorf("the share of %q is a number from 0 to 1", kind)
		}
		if seen[kind] {
			return Mix{}, fmt.Errorf("%q is given twice", kind)
		}
		seen[kind] = true
		switch kind {
		case KindValid:
			m.Valid = v
		case KindInactive:
			m.Inactive = v
		case KindMalformed:
			m.Malformed = v
		default:
			return Mix{}, fmt.Errorf("unknown kind %q: the kinds are %s", kind, strings.Join(mixKinds(), ", "))
		}
	}
	if err := m.validate(); err != nil {
		return Mix{}, err
	}
	return m, nil
}

func (m Mix) validate() error {
	for _, v := range []float64{m.Valid, m.Inactive, m.Malformed} {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return errors.New("each share is a number from 0 to 1")
		}
	}
	if sum := m.Valid + m.Inactive + m.Malformed; math.Abs(sum-1) > 1e-6 {
		return fmt.Errorf("the shares add up to %g, not 1", sum)
	}
	return nil
}

// String writes m as ParseMix reads it.
func (m Mix) String() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return fmt.Sprintf("%s=%s,%s=%s,%s=%s", KindValid, f(m.Valid), KindInactive, f(m.Inactive), KindMalformed, f(m.Malformed))
}

// Set implements pflag.Value.
func (m *Mix) Set(s string) error {
	v, err := ParseMix(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Type implements pflag.Value.
func (m *Mix) Type() string { return "mix" }

// split divides n tokens among the kinds: rounded shares, the remainder
// going to malformed (and never below zero).
func (m Mix) split(n int) map[string]int {
	valid := int(math.Round(float64(n) * m.Valid))
	inactive := int(math.Round(float64(n) * m.Inactive))
	valid = min(valid, n)
	inactive = min(inactive, n-valid)
	out := map[string]int{KindValid: valid, KindInactive: inactive, KindMalformed: n - valid - inactive}
	if m.Malformed == 0 && out[KindMalformed] > 0 {
		// Rounding left a token over: give it to the largest other share.
		if m.Valid >= m.Inactive {
			out[KindValid] += out[KindMalformed]
		} else {
			out[KindInactive] += out[KindMalformed]
		}
		out[KindMalformed] = 0
	}
	return out
}
