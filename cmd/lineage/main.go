// Command lineage is the lineage OAuth 2.0 / OpenID Connect issuer: the
// composition root that reads the configuration, builds every package and
// serves.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// env looks up an environment variable (os.LookupEnv in production).
type env func(string) (string, bool)

// run executes the CLI with the process's stdin and returns the exit code
// (see exitCodes): 0 success, 1 a failure at run time, 2 bad usage or an
// invalid configuration, 3 to 6 the admin API's 404, 409, 401 and 400.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup env) int {
	return runWithStdin(ctx, args, os.Stdin, stdout, stderr, lookup)
}

// runWithStdin is run reading stdin from in (the passwords of `users`).
func runWithStdin(ctx context.Context, args []string, in io.Reader, stdout, stderr io.Writer, lookup env) int {
	root := newRootCommand(lookup)
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "lineage: %v\n", err)
		return exitCode(err)
	}
	return exitOK
}

// newRootCommand returns the lineage command with every subcommand.
func newRootCommand(lookup env) *cobra.Command {
	root := &cobra.Command{
		Use:   "lineage",
		Short: "OAuth 2.0 / OpenID Connect issuer whose revocation is real",
		Long: "lineage is an OAuth 2.0 / OpenID Connect issuer whose revocation is real.\n\n" +
			"`lineage serve` runs it; the other commands administer a running issuer through its\n" +
			"admin API (docs/admin-api.md). They read the admin listener URL from --admin-url or\n" +
			"$" + envAdminURL + " (default " + defaultAdminURL + ") and the admin token from\n" +
			"$" + envAdminToken + " (or --admin-token, which shows in process lists). They print\n" +
			"tables for people, or the API's JSON with --json for scripts.\n\n" + exitCodeHelp(),
		Args:          cobra.NoArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newServeCommand(lookup),
		newClientsCommand(lookup),
		newUsersCommand(lookup),
		newKeysCommand(lookup),
		newAuditCommand(lookup),
		newRevokeCommand(lookup),
		newBenchCommand(lookup),
		newPolicyCommand(),
	)
	markUsageErrors(root)
	return root
}
