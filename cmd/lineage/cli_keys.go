package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lineage-oss/lineage/jwks"
)

// newKeysCommand returns `lineage keys`: the admin API's /admin/v1/keys.
func newKeysCommand(lookup env) *cobra.Command {
	var f adminFlags
	cmd := groupCommand("keys", "List, rotate and revoke the issuer's signing keys through the admin API")
	f.register(cmd)
	cmd.AddCommand(
		&cobra.Command{
			Use:   "list",
			Short: "List the published signing keys (next, current, retired), newest first",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := f.client(cmd, lookup)
				if err != nil {
					return err
				}
				raw, err := c.get(cmd.Context(), adminPath("keys"))
				if err != nil {
					return fmt.Errorf("list keys: %w", err)
				}
				return f.output(cmd).print(raw, func(w io.Writer) error {
					var out struct {
						Keys []jwks.Status `json:"keys"`
					}
					if err := decodeAnswer(raw, &out); err != nil {
						return err
					}
					row(w, "KID", "ALG", "STATE", "CREATED", "SIGNS FROM", "RETIRED", "LEAVES JWKS")
					for _, k := range out.Keys {
						row(w, k.KID, k.Alg, k.State, when(k.CreatedAt), when(k.SignsFrom), when(k.RetiredAt), when(k.ExpiresAt))
					}
					return nil
				})
			},
		},
		&cobra.Command{
			Use:   "rotate",
			Short: "Move the next key forward; it signs once it has been published long enough",
			Long: "Move the next key forward. It is already in the JWK Set; it signs once it has been\n" +
				"published for the publish-ahead time (twice the JWKS max-age), so that no verifier\n" +
				"meets a kid it has not fetched. A new next key is published behind it.",
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := f.client(cmd, lookup)
				if err != nil {
					return err
				}
				raw, err := c.post(cmd.Context(), adminPath("keys", "rotate"), nil)
				if err != nil {
					return fmt.Errorf("rotate keys: %w", err)
				}
				return f.output(cmd).print(raw, func(w io.Writer) error {
					var out struct {
						Key jwks.Status `json:"key"`
					}
					if err := decodeAnswer(raw, &out); err != nil {
						return err
					}
					_, err := fmt.Fprintf(w, "key %s (%s) signs from %s\n", out.Key.KID, out.Key.Alg, when(out.Key.SignsFrom))
					return err
				})
			},
		},
		&cobra.Command{
			Use:   "revoke [--] KID",
			Short: "Emergency: delete a key at once; every token it signed stops verifying",
			Long: "Delete a signing key at once — an emergency revocation. Every token it signed stops\n" +
				"verifying and introspects as inactive; the kid leaves the JWK Set. If it was the\n" +
				"signing key, the next key signs at once. A kid (base64url) may begin with \"-\":\n" +
				"put \"--\" before it, as in: lineage keys revoke -- -J6syUVvwG…",
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := f.client(cmd, lookup)
				if err != nil {
					return err
				}
				raw, err := c.del(cmd.Context(), adminPath("keys", args[0]))
				if err != nil {
					return fmt.Errorf("revoke key %q: %w", args[0], err)
				}
				return f.output(cmd).print(raw, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "key %s revoked: the tokens it signed no longer verify\n", args[0])
					return err
				})
			},
		},
	)
	return cmd
}
