package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lineage-oss/lineage/admin"
)

// newUsersCommand returns `lineage users`: the admin API's /admin/v1/users.
// Passwords are read from the first line of stdin, never from a flag.
func newUsersCommand(lookup env) *cobra.Command {
	var f adminFlags
	cmd := groupCommand("users", "Manage users (who sign in at the login page) through the admin API")
	f.register(cmd)

	var email string
	create := &cobra.Command{
		Use:     "create USERNAME",
		Short:   "Create a user; the password is the first line of stdin",
		Example: "  printf '%s\\n' \"$PASSWORD\" | lineage users create alice --email alice@example.com",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(cmd, lookup)
			if err != nil {
				return err
			}
			password, err := readPassword(cmd)
			if err != nil {
				return err
			}
			raw, err := c.post(cmd.Context(), adminPath("users"), admin.UserInput{Username: args[0], Password: password, Email: email})
			if err != nil {
				return fmt.Errorf("create user %q: %w", args[0], err)
			}
			return f.output(cmd).print(raw, func(w io.Writer) error {
				var u admin.User
				if err := decodeAnswer(raw, &u); err != nil {
					return err
				}
				printUser(w, u)
				return nil
			})
		},
	}
	create.Flags().StringVar(&email, "email", "", "the user's email address")

	cmd.AddCommand(
		create,
		&cobra.Command{
			Use:   "list",
			Short: "List every user, from the configuration file and the API",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := f.client(cmd, lookup)
				if err != nil {
					return err
				}
				raw, err := c.get(cmd.Context(), adminPath("users"))
				if err != nil {
					return fmt.Errorf("list users: %w", err)
				}
				return f.output(cmd).print(raw, func(w io.Writer) error {
					var out struct {
						Users []admin.User `json:"users"`
					}
					if err := decodeAnswer(raw, &out); err != nil {
						return err
					}
					row(w, "USERNAME", "SOURCE", "EMAIL", "STATUS", "CREATED")
					for _, u := range out.Users {
						row(w, u.Username, u.Source, orDash(u.Email), status(u.Disabled), when(u.CreatedAt))
					}
					return nil
				})
			},
		},
		&cobra.Command{
			Use:   "get USERNAME",
			Short: "Show a user",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := f.client(cmd, lookup)
				if err != nil {
					return err
				}
				raw, err := c.get(cmd.Context(), adminPath("users", args[0]))
				if err != nil {
					return fmt.Errorf("get user %q: %w", args[0], err)
				}
				return f.output(cmd).print(raw, func(w io.Writer) error {
					var u admin.User
					if err := decodeAnswer(raw, &u); err != nil {
						return err
					}
					printUser(w, u)
					return nil
				})
			},
		},
		&cobra.Command{
			Use:   "delete USERNAME",
			Short: "Delete a user",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := f.client(cmd, lookup)
				if err != nil {
					return err
				}
				raw, err := c.del(cmd.Context(), adminPath("users", args[0]))
				if err != nil {
					return fmt.Errorf("delete user %q: %w", args[0], err)
				}
				return f.output(cmd).print(raw, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "user %s deleted\n", args[0])
					return err
				})
			},
		},
		&cobra.Command{
			Use:     "passwd USERNAME",
			Short:   "Set a user's password; the new password is the first line of stdin",
			Example: "  printf '%s\\n' \"$NEW_PASSWORD\" | lineage users passwd alice",
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := f.client(cmd, lookup)
				if err != nil {
					return err
				}
				password, err := readPassword(cmd)
				if err != nil {
					return err
				}
				body := struct {
					Password string `json:"password"`
				}{password}
				raw, err := c.put(cmd.Context(), adminPath("users", args[0], "password"), body)
				if err != nil {
					return fmt.Errorf("set the password of user %q: %w", args[0], err)
				}
				return f.output(cmd).print(raw, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "password of user %s changed\n", args[0])
					return err
				})
			},
		},
	)
	return cmd
}

// printUser writes a user as two columns.
func printUser(w io.Writer, u admin.User) {
	row(w, "username", u.Username)
	row(w, "source", u.Source)
	row(w, "email", orDash(u.Email))
	row(w, "status", status(u.Disabled))
	row(w, "created", when(u.CreatedAt))
	row(w, "updated", when(u.UpdatedAt))
}
