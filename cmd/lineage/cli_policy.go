package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/lineage-oss/lineage/config"
	"github.com/lineage-oss/lineage/iam/policy"
)

// maxPolicyFile bounds what `policy validate` reads.
const maxPolicyFile = 1 << 20

func newPolicyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Work with IAM policy documents"}
	var kind string
	var asJSON bool
	validate := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a policy document (JSON or YAML) and print its findings",
		Long: "Check a policy document, JSON or YAML (every YAML scalar read as a string, as in the\n" +
			"configuration file), for the role it plays: actor (an application's ActorPolicy),\n" +
			"identity, trust, org or session. Prints every finding with its JSON path; exits 1\n" +
			"when any finding is an error, 0 otherwise (warnings and suggestions included).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := policy.ParseKind(kind)
			if err != nil {
				return usageError{err}
			}
			doc, err := readPolicy(args[0])
			if err != nil {
				return err
			}
			findings := policy.Validate(doc, k)
			if err := printFindings(cmd.OutOrStdout(), findings, asJSON); err != nil {
				return err
			}
			if policy.HasErrors(findings) {
				return errPolicyInvalid
			}
			return nil
		},
	}
	validate.Flags().StringVar(&kind, "type", "identity", "actor, identity, trust, org or session")
	validate.Flags().BoolVar(&asJSON, "json", false, "print the findings as JSON")
	cmd.AddCommand(validate)
	return cmd
}

var errPolicyInvalid = errors.New("the policy has errors")

// readPolicy reads a JSON or YAML document into canonical JSON with every
// scalar a string, as the configuration loader does.
func readPolicy(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{err}
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxPolicyFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(raw) > maxPolicyFile {
		return nil, usageError{fmt.Errorf("%s is larger than %d bytes", path, maxPolicyFile)}
	}
	var doc config.Document
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, usageError{fmt.Errorf("%s is neither JSON nor YAML: %w", path, err)}
	}
	return doc, nil
}

func printFindings(w io.Writer, findings []policy.Finding, asJSON bool) error {
	if asJSON {
		if findings == nil {
			findings = []policy.Finding{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"findings": findings, "valid": !policy.HasErrors(findings)})
	}
	if len(findings) == 0 {
		_, err := fmt.Fprintln(w, "no findings")
		return err
	}
	for _, f := range findings {
		if _, err := fmt.Fprintf(w, "%-10s %s: %s\n", f.Severity, f.Path, strings.TrimSpace(f.Message)); err != nil {
			return err
		}
	}
	return nil
}
