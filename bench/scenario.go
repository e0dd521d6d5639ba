package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
)

// Scenario is one workload lineage bench measures. Set-up provisions what
// it needs (clients, users, IAM users and roles through the admin API,
// which Run deletes afterwards; tokens minted and roles assumed at the
// public endpoints); then each worker sends requests that are each
// distinct, and checks each answer.
//
// Workers may carry state — a refresh worker walks its own lineages, a
// create-token-with-iam worker keeps its own SigV4 signer — which is why
// each gets its own Worker. The scenarios to come (revoke, mixed)
// implement it too.
type Scenario interface {
	// Name is the name Options.Scenario selects.
	Name() string
	// Setup provisions the scenario, once, before any Worker is made.
	Setup(ctx context.Context, env *Env) (Setup, error)
	// Worker returns worker i's request loop (0 ≤ i < Concurrency). A
	// Worker is used by one goroutine only, in the warm-up and then in the
	// measured phase.
	Worker(i int) Worker
}

// Worker sends one request per call to Do.
type Worker interface {
	// Do sends one request and checks the answer. ctx carries the
	// per-request timeout.
	Do(ctx context.Context) Result
}

// Result is the outcome of one request.
type Result struct {
	// Kind labels the request within its scenario (introspect: "valid",
	// "inactive", "malformed"); "" when the scenario has one kind.
	Kind string
	// Err is why the request failed, nil when the answer was right: a
	// *Failure, or any error (counted as a transport error).
	Err error
}

// Setup describes what a scenario provisioned, for the report.
type Setup struct {
	// Summary says it in one line.
	Summary string `json:"summary"`
	// Pool counts the pre-minted credentials by kind.
	Pool map[string]int `json:"pool,omitempty"`
}

// Env is what Setup may use.
type Env struct {
	// Options are the run's, with defaults applied.
	Options Options
	// Public sends requests to the issuer's public endpoints.
	Public *Public
	// Admin calls the admin API; the clients, users, IAM users and IAM
	// roles it creates are deleted when the run ends.
	Admin *Admin
	// Rand is the run's randomness for everything that need not be secret
	// (malformed tokens, shuffling).
	Rand *rand.Rand
	// Progress receives a line per set-up step.
	Progress io.Writer
}

// progressf writes one progress line.
func (e *Env) progressf(format string, args ...any) {
	fmt.Fprintf(e.Progress, "bench: "+format+"\n", args...)
}

// Scenario names.
const (
	ScenarioClientCredentials  = "client-credentials"
	ScenarioCreateTokenWithIAM = "create-token-with-iam"
	ScenarioIntrospect         = "introspect"
	ScenarioRefresh            = "refresh"
)

// catalogue lists every scenario, by name.
func catalogue() map[string]func() Scenario {
	return map[string]func() Scenario{
		ScenarioClientCredentials:  func() Scenario { return &clientCredentials{} },
		ScenarioCreateTokenWithIAM: func() Scenario { return &createTokenWithIAM{} },
		ScenarioIntrospect:         func() Scenario { return &introspect{} },
		ScenarioRefresh:            func() Scenario { return &refresh{} },
	}
}

// Scenarios returns the names Options.Scenario accepts, sorted.
func Scenarios() []string {
	names := make([]string, 0, len(catalogue()))
	for name := range catalogue() {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// newScenario returns a new scenario called name.
func newScenario(name string) (Scenario, error) {
	build, ok := catalogue()[name]
	if !ok {
		if name == "" {
			return nil, fmt.Errorf("%w: no scenario given; the scenarios are %s", ErrInvalidOptions, strings.Join(Scenarios(), ", "))
		}
		return nil, fmt.Errorf("%w: unknown scenario %q; the scenarios are %s", ErrInvalidOptions, name, strings.Join(Scenarios(), ", "))
	}
	return build(), nil
}
