package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a configuration. Parse, Load and
// Validate return every Problem found, joined with errors.Join; use
// errors.As to reach one.
type Problem struct {
	// Key locates the problem: a key path ("clients[2].secret"), an
	// environment variable ("LINEAGE_TOKENS_ACCESS_TTL") or a YAML line
	// ("line 12").
	Key string
	// Message says what is wrong. It never contains a secret.
	Message string
}

// Error returns "key: message".
func (p *Problem) Error() string { return p.Key + ": " + p.Message }

// maxExpandedNodes bounds the YAML tree once aliases are expanded.
const maxExpandedNodes = 1 << 20

// Messages of yaml.v3, rewritten to say what is wrong in the file's terms
// and to drop the values they quote.
var (
	yamlLineRE      = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
	yamlUnknownRE   = regexp.MustCompile(`(?s)^field (.*) not found in type \S+$`)
	yamlUnmarshalRE = regexp.MustCompile(`(?s)^cannot unmarshal (\S+)(?: .*)? into (\S+)$`)
	yamlDecodeRE    = regexp.MustCompile(`(?s)^cannot decode (\S+) .* as an? (\S+)$`)
	yamlDupKeyRE    = regexp.MustCompile(`(?s)^mapping key (".*") already defined at line (\d+)$`)
	yamlQuotedRE    = regexp.MustCompile("(?s)`.*`")
)

// Load reads the YAML file at path and parses it with [Parse].
func Load(path string, lookupEnv func(string) (string, bool), dev bool) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(data, lookupEnv, dev)
	if err != nil {
		return Config{}, fmt.Errorf("config: invalid %s:\n%w", path, err)
	}
	return cfg, nil
}

// Parse builds a Config from YAML, then fills defaults for whatever the
// YAML leaves out, applies the environment overrides found with lookupEnv
// (nil: none) and validates the result with Validate(dev).
//
// Unknown keys, a second YAML document, values of the wrong type, bad
// environment values and validation problems are all reported together in
// one error. Parse returns a usable Config only when the error is nil.
// An empty list ([]) is the same as an absent one: nil.
func Parse(data []byte, lookupEnv func(string) (string, bool), dev bool) (Config, error) {
	cfg := Default()
	problems, fatal := decodeYAML(data, &cfg)
	if fatal {
		return Config{}, errors.Join(problems...)
	}
	dropEmptyLists(reflect.ValueOf(&cfg).Elem())
	cfg.applyItemDefaults()
	if lookupEnv != nil {
		problems = append(problems, applyEnv(&cfg, lookupEnv)...)
	}
	problems = append(problems, cfg.problems(dev)...)
	if len(problems) > 0 {
		return Config{}, errors.Join(problems...)
	}
	return cfg, nil
}

// decodeYAML decodes data over cfg. Problems with single values leave the
// rest decoded; fatal ones (syntax, several documents) stop everything.
func decodeYAML(data []byte, cfg *Config) (problems []error, fatal bool) {
	// First pass: syntax, document count, and the size of the tree once
	// aliases are expanded, which yaml.v3 bounds only for its own decoding.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	docs := 0
	for {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return yamlProblems(err), true
		}
		docs++
		if docs > 1 {
			return []error{&Problem{Key: fmt.Sprintf("line %d", root.Line), Message: "only one YAML document is allowed"}}, true
		}
		if p := checkExpansion(&root); p != nil {
			return []error{p}, true
		}
	}
	if docs == 0 {
		return nil, false
	}

	dec = yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	var te *yaml.TypeError
	switch {
	case err == nil:
		return nil, false
	case errors.As(err, &te):
		return yamlProblems(err), false
	default:
		return yamlProblems(err), true
	}
}

// dropEmptyLists makes every empty list in v nil, so that `key: []` and
// no key at all give the same Config.
func dropEmptyLists(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			dropEmptyLists(v.Field(i))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.SetZero()
			return
		}
		for i := range v.Len() {
			dropEmptyLists(v.Index(i))
		}
	}
}

// checkExpansion refuses alias cycles and trees that expand beyond
// maxExpandedNodes.
func checkExpansion(root *yaml.Node) *Problem {
	size := map[*yaml.Node]int{}
	active := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node) (int, *Problem)
	walk = func(n *yaml.Node) (int, *Problem) {
		if n == nil {
			return 0, nil
		}
		if s, ok := size[n]; ok {
			return s, nil
		}
		if active[n] {
			return 0, &Problem{Key: fmt.Sprintf("line %d", n.Line), Message: "alias refers to a value that contains it"}
		}
		active[n] = true
		total := 1
		children := n.Content
		if n.Kind == yaml.AliasNode {
			children = []*yaml.Node{n.Alias}
		}
		for _, c := range children {
			s, p := walk(c)
			if p != nil {
				return 0, p
			}
			total += s
			if total > maxExpandedNodes {
				return 0, &Problem{Key: fmt.Sprintf("line %d", n.Line), Message: fmt.Sprintf("aliases expand to more than %d values", maxExpandedNodes)}
			}
		}
		active[n] = false
		size[n] = total
		return total, nil
	}
	_, p := walk(root)
	return p
}

// yamlProblems turns a yaml.v3 error into Problems keyed by line.
func yamlProblems(err error) []error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]error, 0, len(te.Errors))
		for _, msg := range te.Errors {
			out = append(out, yamlProblem(msg))
		}
		return out
	}
	return []error{yamlProblem(err.Error())}
}

func yamlProblem(msg string) *Problem {
	msg = strings.TrimPrefix(msg, "yaml: ")
	key := "yaml"
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		key, msg = "line "+m[1], m[2]
	}
	switch {
	case yamlUnknownRE.MatchString(msg):
		m := yamlUnknownRE.FindStringSubmatch(msg)
		msg = "unknown key " + quote(m[1])
	case yamlUnmarshalRE.MatchString(msg):
		m := yamlUnmarshalRE.FindStringSubmatch(msg)
		msg = "expected " + goTypeKind(m[2]) + ", got " + tagKind(m[1])
	case yamlDecodeRE.MatchString(msg):
		m := yamlDecodeRE.FindStringSubmatch(msg)
		msg = "value does not match its tag " + m[2]
	case yamlDupKeyRE.MatchString(msg):
		m := yamlDupKeyRE.FindStringSubmatch(msg)
		msg = "duplicate key " + m[1] + " (first at line " + m[2] + ")"
	default:
		// Whatever else quotes a value between backquotes loses it: the
		// value may be a secret.
		msg = yamlQuotedRE.ReplaceAllString(msg, "`…`")
	}
	return &Problem{Key: key, Message: msg}
}

// goTypeKind names what a Go type of this package expects, for messages.
func goTypeKind(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case t == "string":
		return "a string"
	case t == "bool" || t == "*bool":
		return "true or false"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "config."):
		return "a mapping"
	}
	return t
}

// quote quotes a non-secret value for a message, shortened.
func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
