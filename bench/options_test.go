package bench

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseMix(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Mix
		wantErr string
	}{
		{name: "default spelled out", in: "valid=0.8,inactive=0.1,malformed=0.1", want: DefaultMix()},
		{name: "kinds left out are zero", in: "valid=1", want: Mix{Valid: 1}},
		{name: "spaces", in: " inactive = 0.5 , malformed=0.5 ", want: Mix{Inactive: 0.5, Malformed: 0.5}},
		{name: "shares not adding up to 1", in: "valid=0.8,inactive=0.1", wantErr: "add up to 0.9"},
		{name: "unknown kind", in: "valid=0.9,revoked=0.1", wantErr: `unknown kind "revoked": the kinds are valid, inactive, malformed`},
		{name: "no share", in: "valid", wantErr: "not kind=share"},
		{name: "negative share", in: "valid=1.1,malformed=-0.1", wantErr: "from 0 to 1"},
		{name: "not a number", in: "valid=NaN", wantErr: "from 0 to 1"},
		{name: "twice", in: "valid=0.5,valid=0.5", wantErr: "twice"},
		{name: "empty", in: "", wantErr: "add up to 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMix(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if again, err := ParseMix(got.String()); err != nil || again != got {
				t.Fatalf("String %q reads back as %+v, %v", got.String(), again, err)
			}
		})
	}
}

func FuzzParseMix(f *testing.F) {
	for _, s := range []string{"valid=0.8,inactive=0.1,malformed=0.1", "valid=1", "malformed=1e-1,valid=.9", "=,=", "valid=0x1p-1,inactive=0.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMix(s)
		if err != nil {
			return
		}
		if math.Abs(m.Valid+m.Inactive+m.Malformed-1) > 1e-6 {
			t.Fatalf("%q: shares %+v do not add up to 1", s, m)
		}
		for _, n := range []int{1, 7, 100000} {
			split := m.split(n)
			if split[KindValid]+split[KindInactive]+split[KindMalformed] != n ||
				split[KindValid] < 0 || split[KindInactive] < 0 || split[KindMalformed] < 0 {
				t.Fatalf("%q: %d tokens split as %v", s, n, split)
			}
		}
	})
}

func TestMixSplit(t *testing.T) {
	tests := []struct {
		name string
		mix  Mix
		n    int
		want [3]int // valid, inactive, malformed
	}{
		{"default", DefaultMix(), 100000, [3]int{80000, 10000, 10000}},
		{"default, few", DefaultMix(), 5, [3]int{4, 1, 0}},
		{"halves rounding up twice", Mix{Valid: 0.5, Inactive: 0.5}, 5, [3]int{3, 2, 0}},
		{"no malformed share gets no malformed", Mix{Valid: 0.3333333333, Inactive: 0.6666666667}, 10, [3]int{3, 7, 0}},
		{"all malformed", Mix{Malformed: 1}, 9, [3]int{0, 0, 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.mix.split(tc.n)
			if got := [3]int{s[KindValid], s[KindInactive], s[KindMalformed]}; got != tc.want {
				t.Fatalf("split %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Options{
		URL: "ftp://x", AdminURL: "", AdminToken: "", Scenario: "revoke",
		Concurrency: -1, Count: -2, Warmup: -time.Second, Tokens: -3,
		Mix: Mix{Valid: 2}, RedisURL: "http://:secret@redis", Region: "US East 1",
	}.Validate()
	if !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("error %v does not wrap ErrInvalidOptions", err)
	}
	for _, want := range []string{
		`url "ftp://x"`, "admin url", "admin token is required",
		`unknown scenario "revoke"; the scenarios are client-credentials, create-token-with-iam, introspect, refresh`,
		"concurrency", "count", "warm-up", "tokens", "mix", "redis url", `region "US East 1"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Error("the error shows the Redis password")
	}
}

func TestValidateAcceptsTheDefaults(t *testing.T) {
	o := Options{URL: "http://127.0.0.1:8080", AdminURL: "http://127.0.0.1:8081", AdminToken: "t", Scenario: ScenarioIntrospect}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	d := o.withDefaults()
	if d.Concurrency != 32 || d.Duration != 10*time.Second || d.Tokens != 100000 || d.Mix != DefaultMix() || d.Warmup != 0 ||
		d.Region != "us-east-1" {
		t.Fatalf("defaults %+v", d)
	}
	if err := (Options{URL: o.URL, AdminURL: o.AdminURL, AdminToken: "t"}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "no scenario given; the scenarios are client-credentials, create-token-with-iam, introspect, refresh") {
		t.Fatalf("no scenario: %v", err)
	}
}
