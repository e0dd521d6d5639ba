package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/lineage-oss/lineage/store"
)

// maxAuditLimit is the admin API's largest page of audit records.
const maxAuditLimit = 1000

// newAuditCommand returns `lineage audit`: the admin API's /admin/v1/audit.
func newAuditCommand(lookup env) *cobra.Command {
	var f adminFlags
	var limit int
	var before string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List the audit trail of administrative changes, newest first",
		Long: "List the audit trail of administrative changes, newest first: who (the admin token's\n" +
			"actor id, never the token), what, when, and the entry before and after. Page with\n" +
			"--before, giving the id printed as \"next\".",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("limit") && (limit < 1 || limit > maxAuditLimit) {
				return usageError{errors.New("--limit is 1 to 1000")}
			}
			c, err := f.client(cmd, lookup)
			if err != nil {
				return err
			}
			q := url.Values{}
			if cmd.Flags().Changed("limit") {
				q.Set("limit", strconv.Itoa(limit))
			}
			if before != "" {
				q.Set("before", before)
			}
			path := adminPath("audit")
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			raw, err := c.get(cmd.Context(), path)
			if err != nil {
				return fmt.Errorf("list the audit trail: %w", err)
			}
			return f.output(cmd).print(raw, func(w io.Writer) error {
				var out struct {
					Records []store.AuditRecord `json:"records"`
					Next    string              `json:"next"`
				}
				if err := decodeAnswer(raw, &out); err != nil {
					return err
				}
				row(w, "ID", "TIME", "ACTOR", "ACTION", "TARGET")
				for _, r := range out.Records {
					row(w, r.ID, when(r.Time), r.Actor, r.Action, r.Target)
				}
				if out.Next != "" {
					fmt.Fprintf(w, "\nnext: lineage audit --before %s\n", out.Next)
				}
				return nil
			})
		},
	}
	f.register(cmd)
	cmd.Flags().IntVar(&limit, "limit", 100, "how many records, 1 to 1000")
	cmd.Flags().StringVar(&before, "before", "", "list records older than this record id")
	return cmd
}
