package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/lineage-oss/lineage/admin"
)

// newClientsCommand returns `lineage clients`: the admin API's
// /admin/v1/clients.
func newClientsCommand(lookup env) *cobra.Command {
	var f adminFlags
	cmd := groupCommand("clients", "Manage OAuth clients through the admin API")
	f.register(cmd)
	cmd.AddCommand(
		newClientsCreateCommand(&f, lookup),
		&cobra.Command{
			Use:   "list",
			Short: "List every client, from the configuration file and the API",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := f.client(cmd, lookup)
				if err != nil {
					return err
				}
				raw, err := c.get(cmd.Context(), adminPath("clients"))
				if err != nil {
					return fmt.Errorf("list clients: %w", err)
				}
				return f.output(cmd).print(raw, func(w io.Writer) error {
					var out struct {
						Clients []admin.Client `json:"clients"`
					}
					if err := decodeAnswer(raw, &out); err != nil {
						return err
					}
					row(w, "ID", "SOURCE", "AUTH", "GRANT TYPES", "SCOPES", "STATUS")
					for _, cl := range out.Clients {
						row(w, cl.ID, cl.Source, cl.TokenEndpointAuthMethod, list(cl.GrantTypes), list(cl.Scopes), status(cl.Disabled))
					}
					return nil
				})
			},
		},
		clientCommand(&f, lookup, "get", "Show a client", "GET", nil, nil),
		clientCommand(&f, lookup, "disable", "Disable a client: it gets no token, and its tokens stop introspecting as active at once",
			"POST", []string{"disable"}, func(w io.Writer, cl admin.Client) {
				fmt.Fprintf(w, "client %s disabled\n", cl.ID)
			}),
		clientCommand(&f, lookup, "enable", "Enable a disabled client",
			"POST", []string{"enable"}, func(w io.Writer, cl admin.Client) {
				fmt.Fprintf(w, "client %s enabled\n", cl.ID)
			}),
		&cobra.Command{
			Use:   "delete ID",
			Short: "Delete a client: its tokens stop introspecting as active at once",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := f.client(cmd, lookup)
				if err != nil {
					return err
				}
				raw, err := c.del(cmd.Context(), adminPath("clients", args[0]))
				if err != nil {
					return fmt.Errorf("delete client %q: %w", args[0], err)
				}
				return f.output(cmd).print(raw, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "client %s deleted\n", args[0])
					return err
				})
			},
		},
		&cobra.Command{
			Use:   "rotate-secret ID",
			Short: "Give a client a new secret (printed once); the old one stops working at once",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := f.client(cmd, lookup)
				if err != nil {
					return err
				}
				raw, err := c.post(cmd.Context(), adminPath("clients", args[0], "rotate-secret"), nil)
				if err != nil {
					return fmt.Errorf("rotate the secret of client %q: %w", args[0], err)
				}
				return f.output(cmd).print(raw, func(w io.Writer) error {
					var out admin.ClientSecret
					if err := decodeAnswer(raw, &out); err != nil {
						return err
					}
					fmt.Fprintf(w, "client %s: secret rotated; the old secret no longer works\n", out.Client.ID)
					printSecret(w, out.Secret)
					return nil
				})
			},
		},
	)
	return cmd
}

// clientCommand returns a command NAME ID that sends method to
// /admin/v1/clients/ID[/suffix...] and prints the client it answers:
// whole with done nil, else as done says.
func clientCommand(f *adminFlags, lookup env, name, short, method string, suffix []string, done func(io.Writer, admin.Client)) *cobra.Command {
	return &cobra.Command{
		Use:   name + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(cmd, lookup)
			if err != nil {
				return err
			}
			raw, err := c.call(cmd.Context(), method, adminPath(append([]string{"clients", args[0]}, suffix...)...), nil)
			if err != nil {
				return fmt.Errorf("%s client %q: %w", name, args[0], err)
			}
			return f.output(cmd).print(raw, func(w io.Writer) error {
				var cl admin.Client
				if err := decodeAnswer(raw, &cl); err != nil {
					return err
				}
				if done != nil {
					done(w, cl)
					return nil
				}
				printClient(w, cl)
				return nil
			})
		},
	}
}

func newClientsCreateCommand(f *adminFlags, lookup env) *cobra.Command {
	var (
		in                   admin.ClientInput
		jwksFile             string
		noRevocation         bool
		accessTTL, idTTL     time.Duration
		refreshIdle, refresh time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Register a client; a secret-based client's secret is printed once",
		Long: "Register a client. Without --id lineage generates one. A client_secret_basic client\n" +
			"(the default; it may use client_secret_post too) gets a generated secret, printed\n" +
			"once: store it now, lineage keeps only its HMAC. Without --grant-type a client gets\n" +
			"client_credentials, or authorization_code and refresh_token when it has a redirect URI.",
		Example: "  lineage clients create --id billing --scope invoices:read --audience https://api.example.com\n" +
			"  lineage clients create --id web --redirect-uri https://app.example.com/callback --first-party\n" +
			"  lineage clients create --id signer --auth-method private_key_jwt --jwks-file signer.jwks.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if jwksFile != "" {
				b, err := os.ReadFile(jwksFile)
				if err != nil {
					return usageError{fmt.Errorf("--jwks-file: %w", err)}
				}
				if !json.Valid(b) {
					return usageError{fmt.Errorf("--jwks-file %s is not JSON", jwksFile)}
				}
				in.JWKS = b
				if in.TokenEndpointAuthMethod == "" {
					in.TokenEndpointAuthMethod = admin.AuthPrivateKeyJWT
				}
			}
			if noRevocation {
				off := false
				in.TokenRevocation = &off
			}
			in.AccessTTL, in.IDTTL = admin.Duration(accessTTL), admin.Duration(idTTL)
			in.RefreshIdleTTL, in.RefreshMaxTTL = admin.Duration(refreshIdle), admin.Duration(refresh)
			c, err := f.client(cmd, lookup)
			if err != nil {
				return err
			}
			raw, err := c.post(cmd.Context(), adminPath("clients"), in)
			if err != nil {
				return fmt.Errorf("create client: %w", err)
			}
			return f.output(cmd).print(raw, func(w io.Writer) error {
				var out admin.ClientSecret
				if err := decodeAnswer(raw, &out); err != nil {
					return err
				}
				printClient(w, out.Client)
				printSecret(w, out.Secret)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.ID, "id", "", "client id (default: generated); may be an ARN")
	fl.StringVar(&in.TokenEndpointAuthMethod, "auth-method", "", "client_secret_basic (default), private_key_jwt or none (a public client)")
	fl.StringVar(&jwksFile, "jwks-file", "", "JWK Set file of a private_key_jwt client (implies --auth-method private_key_jwt)")
	fl.StringArrayVar(&in.GrantTypes, "grant-type", nil, "grant type allowed (repeatable)")
	fl.StringArrayVar(&in.Scopes, "scope", nil, "scope allowed (repeatable)")
	fl.StringArrayVar(&in.RedirectURIs, "redirect-uri", nil, "redirect URI (repeatable)")
	fl.StringArrayVar(&in.PostLogoutRedirectURIs, "post-logout-redirect-uri", nil, "post-logout redirect URI (repeatable)")
	fl.StringArrayVar(&in.Audiences, "audience", nil, "audience the client may request (repeatable)")
	fl.BoolVar(&in.FirstParty, "first-party", false, "first-party client: no consent page")
	fl.BoolVar(&in.Introspect, "introspect", false, "may introspect other clients' tokens")
	fl.BoolVar(&in.RevocationEvents, "revocation-events", false, "may read the revocation event stream")
	fl.BoolVar(&noRevocation, "no-token-revocation", false, "may not revoke its tokens at /revoke")
	fl.DurationVar(&accessTTL, "access-ttl", 0, "access token lifetime (default: the issuer's)")
	fl.DurationVar(&idTTL, "id-ttl", 0, "ID token lifetime (default: the issuer's)")
	fl.DurationVar(&refreshIdle, "refresh-idle-ttl", 0, "refresh token idle lifetime (default: the issuer's)")
	fl.DurationVar(&refresh, "refresh-max-ttl", 0, "refresh token absolute lifetime (default: the issuer's)")
	return cmd
}

func status(disabled bool) string {
	if disabled {
		return "disabled"
	}
	return "enabled"
}

// printClient writes a client as two columns.
func printClient(w io.Writer, c admin.Client) {
	ttl := func(d admin.Duration) string {
		if d == 0 {
			return "default"
		}
		return time.Duration(d).String()
	}
	row(w, "id", c.ID)
	row(w, "source", c.Source)
	row(w, "status", status(c.Disabled))
	row(w, "auth method", c.TokenEndpointAuthMethod)
	row(w, "grant types", list(c.GrantTypes))
	row(w, "scopes", list(c.Scopes))
	row(w, "audiences", list(c.Audiences))
	row(w, "redirect uris", list(c.RedirectURIs))
	row(w, "post-logout redirect uris", list(c.PostLogoutRedirectURIs))
	row(w, "first party", yesNo(c.FirstParty))
	row(w, "token revocation", yesNo(c.TokenRevocation))
	row(w, "introspect", yesNo(c.Introspect))
	row(w, "revocation events", yesNo(c.RevocationEvents))
	row(w, "access ttl", ttl(c.AccessTTL))
	row(w, "id ttl", ttl(c.IDTTL))
	row(w, "refresh idle ttl", ttl(c.RefreshIdleTTL))
	row(w, "refresh max ttl", ttl(c.RefreshMaxTTL))
	if len(c.JWKS) > 0 {
		row(w, "jwks", fmt.Sprintf("%d bytes", len(c.JWKS)))
	}
	if len(c.Policies) > 0 {
		row(w, "policies", fmt.Sprintf("%d", len(c.Policies)))
	}
	if len(c.ActorPolicy) > 0 {
		row(w, "actor policy", "set")
	}
	row(w, "created", when(c.CreatedAt))
	row(w, "updated", when(c.UpdatedAt))
}

// printSecret writes the one line that shows a generated secret.
func printSecret(w io.Writer, secret string) {
	if secret == "" {
		return
	}
	fmt.Fprintf(w, "\nsecret (shown once): %s\n", secret)
}
