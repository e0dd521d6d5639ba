package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes of the lineage command, which scripts can rely on.
const (
	exitOK           = 0
	exitFailure      = 1 // a failure at run time: network, 5xx, anything else
	exitUsage        = 2 // bad usage or an invalid configuration
	exitNotFound     = 3 // 404
	exitConflict     = 4 // 409: already exists, or read-only (configuration file)
	exitUnauthorized = 5 // 401: admin token missing or wrong
	exitRejected     = 6 // 400: the server rejected the request as invalid
)

// exitCodes documents the exit codes in `lineage --help`; docs/admin-api.md
// lists the same (a test checks it).
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "success"},
	{exitFailure, "failure: network error, server error (5xx), timeout"},
	{exitUsage, "usage error or invalid configuration (bad flags or arguments, no admin token)"},
	{exitNotFound, "not found (HTTP 404)"},
	{exitConflict, "conflict (HTTP 409): the id exists already, or the entry comes from the configuration file and is read-only"},
	{exitUnauthorized, "unauthorized (HTTP 401): the admin token is missing or wrong"},
	{exitRejected, "rejected request (HTTP 400): the server refused the values given; the message says why"},
}

func exitCodeHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, c := range exitCodes {
		fmt.Fprintf(&b, "  %d  %s\n", c.code, c.meaning)
	}
	return b.String()
}

// usageError marks bad usage — flags, arguments, a missing admin token:
// exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// markUsageErrors makes the argument validators of cmd and its
// subcommands return a usageError, so that bad arguments exit with 2.
func markUsageErrors(cmd *cobra.Command) {
	if v := cmd.Args; v != nil {
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			if err := v(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		markUsageErrors(sub)
	}
}

// groupCommand returns a command that only holds subcommands: alone it
// prints its help; with an unknown subcommand it is a usage error.
func groupCommand(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
}

// Environment variables the admin commands read.
const (
	envAdminURL     = "LINEAGE_ADMIN_URL"
	envAdminToken   = "LINEAGE_ADMIN_TOKEN"
	defaultAdminURL = "http://127.0.0.1:8081"
)

// adminFlags are the flags every admin command shares.
type adminFlags struct {
	url   string
	token string
	json  bool
}

// register adds the flags to cmd as persistent flags. Their defaults come
// from the environment when the command runs, so that `--help` never shows
// the token.
func (f *adminFlags) register(cmd *cobra.Command) {
	fs := cmd.PersistentFlags()
	fs.StringVar(&f.url, "admin-url", "", "admin listener URL (default $"+envAdminURL+", else "+defaultAdminURL+")")
	fs.StringVar(&f.token, "admin-token", "", "admin bearer token (default $"+envAdminToken+"; prefer the variable: a flag shows in process lists)")
	fs.BoolVar(&f.json, "json", false, "print the API's JSON (indented) instead of a table")
}

// client returns a client of the admin API that the flags, else the
// environment, point at.
func (f *adminFlags) client(cmd *cobra.Command, lookup env) (*adminClient, error) {
	rawURL, token := f.url, f.token
	if rawURL == "" {
		rawURL, _ = lookup(envAdminURL)
	}
	if rawURL == "" {
		rawURL = defaultAdminURL
	}
	if token == "" {
		token, _ = lookup(envAdminToken)
	}
	c, err := newAdminClient(rawURL, token)
	if err != nil {
		return nil, err
	}
	if c.plainToRemote() {
		fmt.Fprintf(cmd.ErrOrStderr(), "lineage: warning: the admin token goes unencrypted to %s; use https\n", redactedURL(rawURL))
	}
	return c, nil
}

// output prints either the API's JSON or the table that table writes.
type output struct {
	w    io.Writer
	json bool
}

func (f *adminFlags) output(cmd *cobra.Command) output {
	return output{w: cmd.OutOrStdout(), json: f.json}
}

// print writes raw indented with --json, else calls table with an aligned
// writer (text/tabwriter: columns separated by "\t").
func (o output) print(raw []byte, table func(w io.Writer) error) error {
	if o.json {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			return nil // 204 No Content: the exit code says it all
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return fmt.Errorf("the admin API answered something other than JSON: %w", err)
		}
		buf.WriteByte('\n')
		_, err := o.w.Write(buf.Bytes())
		return err
	}
	tw := tabwriter.NewWriter(o.w, 0, 8, 2, ' ', 0)
	if err := table(tw); err != nil {
		return err
	}
	return tw.Flush()
}

// decodeAnswer reads an admin API answer into v.
func decodeAnswer(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("unexpected answer from the admin API: %w", err)
	}
	return nil
}

// row writes one tab-separated line.
func row(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// list renders a list cell: "-" when empty.
func list(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// when renders a time cell: "-" when zero.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// orDash renders a text cell: "-" when empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// readPassword reads a password from the first line of stdin; an empty one
// is refused. There is no --password flag: a flag would show in process
// lists and shell history.
func readPassword(cmd *cobra.Command) (string, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(cmd.ErrOrStderr(), "Password (first line of stdin; it is echoed — pipe it in to avoid that): ")
		}
	}
	line, err := bufio.NewReaderSize(in, 4096).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", usageError{errors.New("no password: give it on the first line of stdin, e.g. printf '%s\\n' \"$PASSWORD\" | lineage users …")}
	}
	return line, nil
}
