package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/lineage-oss/lineage/admin"
	"github.com/lineage-oss/lineage/revocation"
	"github.com/lineage-oss/lineage/store"
)

// newRevokeCommand returns `lineage revoke`: the admin API's
// /admin/v1/revocations.
func newRevokeCommand(lookup env) *cobra.Command {
	var f adminFlags
	cmd := groupCommand("revoke", "Revoke tokens through the admin API: one token, a lineage, or everything of a subject, client or principal")
	f.register(cmd)
	write := func(cmd *cobra.Command, in admin.RevocationInput) error {
		c, err := f.client(cmd, lookup)
		if err != nil {
			return err
		}
		raw, err := c.post(cmd.Context(), adminPath("revocations"), in)
		if err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		return f.output(cmd).print(raw, func(w io.Writer) error {
			var out admin.Revocation
			if err := decodeAnswer(raw, &out); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, "revoked %s; the entry lasts until %s (event %s)\n",
				describe(out.Revocation), when(time.Unix(out.Until, 0)), out.EventID)
			return err
		})
	}
	var before string
	beforeCommand := func(scope, what string) *cobra.Command {
		c := &cobra.Command{
			Use:   scope + " [--before RFC3339] [--] ID",
			Short: "Revoke every token of a " + what + " issued at or before a time (default: now)",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return write(cmd, admin.RevocationInput{Kind: store.RevokeBefore, Scope: scope, ID: args[0], Before: before})
			},
		}
		c.Flags().StringVar(&before, "before", "", "RFC 3339 time T: tokens with iat <= T are revoked (default now; never in the future)")
		return c
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "jti [--] JTI",
			Short: "Revoke one access or ID token by its jti",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return write(cmd, admin.RevocationInput{Kind: store.RevokeJTI, ID: args[0]})
			},
		},
		&cobra.Command{
			Use:   "family [--] ORIGIN_JTI",
			Short: "Revoke a lineage: every access, ID and refresh token sharing the origin_jti",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return write(cmd, admin.RevocationInput{Kind: store.RevokeOrigin, ID: args[0]})
			},
		},
		beforeCommand(store.ScopeSubject, "subject (a user, or a client for its client_credentials tokens)"),
		beforeCommand(store.ScopeClient, "client"),
		beforeCommand(store.ScopePrincipal, "IAM principal (its ARN)"),
		&cobra.Command{
			Use:   "list",
			Short: "List the live entries of the revocation set",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := f.client(cmd, lookup)
				if err != nil {
					return err
				}
				raw, err := c.get(cmd.Context(), adminPath("revocations"))
				if err != nil {
					return fmt.Errorf("list revocations: %w", err)
				}
				return f.output(cmd).print(raw, func(w io.Writer) error {
					var out revocation.Snapshot
					if err := decodeAnswer(raw, &out); err != nil {
						return err
					}
					row(w, "KIND", "SCOPE", "ID", "BEFORE", "UNTIL")
					for _, r := range out.Revocations {
						b := "-"
						if r.Before > 0 {
							b = when(time.Unix(r.Before, 0))
						}
						row(w, r.Kind, orDash(r.Scope), r.ID, b, when(time.Unix(r.Until, 0)))
					}
					return nil
				})
			},
		},
	)
	return cmd
}

// describe says what a revocation covers, for people.
func describe(r store.Revocation) string {
	switch r.Kind {
	case store.RevokeJTI:
		return "token " + strconv.Quote(r.ID)
	case store.RevokeOrigin:
		return "lineage " + strconv.Quote(r.ID)
	default:
		return fmt.Sprintf("every token of %s %q issued at or before %s", r.Scope, r.ID, when(time.Unix(r.Before, 0)))
	}
}
