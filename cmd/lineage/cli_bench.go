package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lineage-oss/lineage/bench"
)

// defaultPublicURL is the public listener of `lineage serve --dev`.
const defaultPublicURL = "http://127.0.0.1:8080"

// newBenchCommand returns `lineage bench`: the load tool (package bench).
func newBenchCommand(lookup env) *cobra.Command {
	var (
		opts    = bench.Options{Mix: bench.DefaultMix()}
		jsonOut bool
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the issuer under load: requests per second, latency percentiles, errors",
		Long: "Measure one hot path of a running issuer the way clients use it: every request is\n" +
			"distinct and every answer is checked. The scenario creates the clients, users, IAM users\n" +
			"and IAM roles it needs through the admin API (ids and names starting with " + bench.ClientIDPrefix + ")\n" +
			"and deletes them at the end, even on error or Ctrl-C. It prints requests per second, latency\n" +
			"percentiles and errors by kind; with --redis-url, the Redis commands the issuer sent during\n" +
			"the measured phase and Redis's persistence mode.\n\n" +
			"Scenarios:\n" +
			"  client-credentials  POST /token, client_credentials grant, client_secret_basic\n" +
			"  introspect          POST /introspect over --tokens distinct pre-minted tokens: valid,\n" +
			"                      inactive (their client is disabled during set-up) and malformed\n" +
			"                      (random, tampered signature or payload, alg none), as --mix says\n" +
			"  refresh             POST /token, refresh_token grant with rotation: each worker walks its\n" +
			"                      own lineage, begun by signing a bench user in through /authorize and\n" +
			"                      the hosted login form (code + PKCE); it presents its current refresh\n" +
			"                      token and goes on with the rotated one. A worker whose refresh fails\n" +
			"                      signs in again (counted as a lineage_restart error)\n" +
			"  create-token-with-iam\n" +
			"                      POST /token?aws_iam=t (CreateTokenWithIAM, client_credentials): an IAM\n" +
			"                      role session, assumed once at /sts/ by a bench IAM user, asks for a\n" +
			"                      token of a bench application whose ActorPolicy allows the role; every\n" +
			"                      request carries its own SigV4 signature (sso-oauth, --region)\n\n" +
			"Progress goes to stderr, the report to stdout. Requests that fail do not stop the run;\n" +
			"they are counted by kind, and the exit code stays 0.",
		Example: "  lineage bench --scenario introspect -c 64 -d 30s\n" +
			"  lineage bench --scenario client-credentials -n 100000 --json\n" +
			"  lineage bench --scenario refresh -c 32 -d 15s --redis-url redis://127.0.0.1:6379/0\n" +
			"  lineage bench --scenario create-token-with-iam -c 32 -d 30s --region eu-west-3\n" +
			"  lineage bench --scenario introspect --mix valid=0.5,inactive=0.25,malformed=0.25 --redis-url redis://127.0.0.1:6379/0",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.AdminURL == "" {
				opts.AdminURL, _ = lookup(envAdminURL)
			}
			if opts.AdminURL == "" {
				opts.AdminURL = defaultAdminURL
			}
			if opts.AdminToken == "" {
				opts.AdminToken, _ = lookup(envAdminToken)
			}
			if c, err := newAdminClient(opts.AdminURL, opts.AdminToken); err != nil {
				return err
			} else if c.plainToRemote() {
				fmt.Fprintf(cmd.ErrOrStderr(), "lineage: warning: the admin token goes unencrypted to %s; use https\n", redactedURL(opts.AdminURL))
			}
			if err := opts.Validate(); err != nil {
				return usageError{err}
			}
			report, err := bench.Run(cmd.Context(), opts, cmd.ErrOrStderr())
			if err != nil {
				if errors.Is(err, bench.ErrInvalidOptions) {
					return usageError{err}
				}
				return err
			}
			if jsonOut {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(report)
			}
			return report.Format(cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.URL, "url", defaultPublicURL, "the issuer's public URL")
	fl.StringVar(&opts.AdminURL, "admin-url", "", "admin listener URL (default $"+envAdminURL+", else "+defaultAdminURL+")")
	fl.StringVar(&opts.AdminToken, "admin-token", "", "admin bearer token (default $"+envAdminToken+"; prefer the variable: a flag shows in process lists)")
	fl.StringVar(&opts.Scenario, "scenario", "", "workload: "+strings.Join(bench.Scenarios(), ", "))
	fl.IntVarP(&opts.Concurrency, "concurrency", "c", bench.DefaultConcurrency, "workers, each with one request in flight")
	fl.DurationVarP(&opts.Duration, "duration", "d", bench.DefaultDuration, "length of the measured phase (ignored with --count)")
	fl.IntVarP(&opts.Count, "count", "n", 0, "measure this many requests instead of a duration")
	fl.DurationVar(&opts.Warmup, "warmup", 2*time.Second, "unmeasured requests first, for this long (0: none)")
	fl.DurationVar(&opts.Timeout, "timeout", bench.DefaultTimeout, "per-request timeout; a slower request counts as a timeout error")
	fl.IntVar(&opts.Tokens, "tokens", bench.DefaultTokens, "introspect: distinct tokens, minted during set-up and split by --mix")
	fl.Var(&opts.Mix, "mix", "introspect: share of each kind of token (valid, inactive, malformed)")
	fl.StringVar(&opts.Region, "region", bench.DefaultRegion, "create-token-with-iam: the issuer's iam.region, which SigV4 signatures are scoped to")
	fl.StringVar(&opts.RedisURL, "redis-url", "", "the issuer's Redis (redis:// or rediss://), to report its command counts and persistence mode")
	fl.BoolVar(&jsonOut, "json", false, "print the report as JSON")
	return cmd
}
