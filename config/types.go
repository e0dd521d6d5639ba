package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written as a Go duration string ("30s",
// "15m", "720h") in YAML and in environment variables.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.String without trailing zero units:
// "1h", "1h30m", "5m", "30s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText encodes d as a Go duration string, for YAML and JSON.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes a Go duration string.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := parseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalYAML decodes a scalar holding a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "expected a duration such as 30s or 720h, got %s", nodeKind(n))
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return typeError(n, "%v", err)
	}
	*d = v
	return nil
}

func parseDuration(s string) (Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %s: use Go syntax such as 30s, 15m or 720h", quote(s))
	}
	return Duration(v), nil
}

// Document is an inline JSON document — an IAM policy, a JSON Web Key Set —
// held as canonical JSON: object keys sorted, no insignificant space, no
// HTML escaping. Empty means absent (YAML null or no key).
//
// From YAML every scalar is kept as its text, so `Version: 5.0` stays
// "5.0", `111122223333` stays "111122223333" and `true` stays "true"; an
// explicit null inside the document becomes JSON null. Aliases and merge
// keys are resolved.
type Document json.RawMessage

// Limits on a Document decoded from YAML, against alias bombs and cycles.
const (
	maxDocumentNodes = 1 << 16
	maxDocumentDepth = 64
)

// IsZero reports whether d is absent.
func (d Document) IsZero() bool { return len(d) == 0 }

// IsObject reports whether d is a JSON object.
func (d Document) IsObject() bool { return len(d) > 0 && d[0] == '{' }

// String returns the canonical JSON text of d ("" when absent).
func (d Document) String() string { return string(d) }

// MarshalJSON returns d itself, or null when d is absent.
func (d Document) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(d), nil
}

// UnmarshalJSON stores data in canonical form; null makes d absent.
func (d *Document) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("config: document: %w", err)
	}
	if v == nil {
		*d = nil
		return nil
	}
	b, err := canonicalJSON(v)
	if err != nil {
		return err
	}
	*d = b
	return nil
}

// MarshalYAML returns the document's value, so that it prints as YAML.
func (d Document) MarshalYAML() (any, error) {
	if d.IsZero() {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(d, &v); err != nil {
		return nil, fmt.Errorf("config: document: %w", err)
	}
	return v, nil
}

// UnmarshalYAML converts a YAML node to canonical JSON, keeping every
// scalar as a string.
func (d *Document) UnmarshalYAML(n *yaml.Node) error {
	c := documentConverter{budget: maxDocumentNodes}
	v, err := c.value(n, 0)
	if err != nil {
		return err
	}
	if v == nil {
		*d = nil
		return nil
	}
	b, err := canonicalJSON(v)
	if err != nil {
		return typeError(n, "%v", err)
	}
	*d = b
	return nil
}

func canonicalJSON(v any) (Document, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("config: document: %w", err)
	}
	return Document(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// documentConverter turns a YAML node tree into JSON values, every scalar
// a string.
type documentConverter struct {
	budget int
}

func (c *documentConverter) value(n *yaml.Node, depth int) (any, error) {
	c.budget--
	if c.budget < 0 {
		return nil, typeError(n, "document expands to more than %d nodes", maxDocumentNodes)
	}
	if depth > maxDocumentDepth {
		return nil, typeError(n, "document nested deeper than %d levels", maxDocumentDepth)
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, typeError(n, "unresolved alias")
		}
		return c.value(n.Alias, depth+1)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return nil, nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.value(item, depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.MappingNode:
		obj := make(map[string]any, len(n.Content)/2)
		if err := c.mapping(n, obj, depth); err != nil {
			return nil, err
		}
		return obj, nil
	}
	return nil, typeError(n, "unsupported YAML node")
}

// mapping adds the keys of n to obj. Explicit keys win over merged ones
// (<<), and earlier merged mappings over later ones, as YAML 1.1 says.
func (c *documentConverter) mapping(n *yaml.Node, obj map[string]any, depth int) error {
	var merges []*yaml.Node
	explicit := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key, err := c.key(k)
		if err != nil {
			return err
		}
		if explicit[key] {
			return typeError(k, "duplicate key %s in document", quote(key))
		}
		explicit[key] = true
		val, err := c.value(v, depth+1)
		if err != nil {
			return err
		}
		obj[key] = val
	}
	for _, m := range merges {
		if err := c.merge(m, obj, explicit, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (c *documentConverter) merge(m *yaml.Node, obj map[string]any, explicit map[string]bool, depth int) error {
	c.budget--
	if c.budget < 0 {
		return typeError(m, "document expands to more than %d nodes", maxDocumentNodes)
	}
	if depth > maxDocumentDepth {
		return typeError(m, "document nested deeper than %d levels", maxDocumentDepth)
	}
	for m.Kind == yaml.AliasNode && m.Alias != nil {
		m = m.Alias
	}
	switch m.Kind {
	case yaml.MappingNode:
		sub := make(map[string]any, len(m.Content)/2)
		if err := c.mapping(m, sub, depth); err != nil {
			return err
		}
		for k, v := range sub {
			if _, ok := obj[k]; !ok && !explicit[k] {
				obj[k] = v
			}
		}
		return nil
	case yaml.SequenceNode:
		for _, item := range m.Content {
			if item.Kind == yaml.SequenceNode {
				return typeError(item, "a merge key (<<) takes mappings")
			}
			if err := c.merge(item, obj, explicit, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return typeError(m, "a merge key (<<) takes a mapping or a list of mappings")
}

func (c *documentConverter) key(k *yaml.Node) (string, error) {
	for k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", typeError(k, "document keys must be strings, got %s", nodeKind(k))
	}
	return k.Value, nil
}

// UnmarshalYAML accepts secrets.system as one string or a list of strings.
// It rejects unknown keys, like the rest of the file.
func (s *Secrets) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return typeError(n, "expected a mapping, got %s", nodeKind(n))
	}
	var problems []string
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value != "system" {
			problems = append(problems, fmt.Sprintf("line %d: unknown key %s", k.Line, quote(k.Value)))
			continue
		}
		if seen[k.Value] {
			problems = append(problems, fmt.Sprintf("line %d: duplicate key %s", k.Line, quote(k.Value)))
			continue
		}
		seen[k.Value] = true
		system, err := stringOrList(v)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		s.System = system
	}
	if len(problems) > 0 {
		return &yaml.TypeError{Errors: problems}
	}
	return nil
}

// stringOrList decodes a scalar as a one-element list, a sequence of
// scalars as a list, and null as no list. Values are never quoted in
// errors: this decodes secrets.
func stringOrList(n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return nil, nil
	case n.Kind == yaml.ScalarNode:
		return []string{n.Value}, nil
	case n.Kind == yaml.SequenceNode:
		list := make([]string, 0, len(n.Content))
		for _, item := range n.Content {
			if item.Kind == yaml.AliasNode && item.Alias != nil {
				item = item.Alias
			}
			if item.Kind != yaml.ScalarNode || item.ShortTag() == "!!null" {
				return nil, fmt.Errorf("line %d: expected a string, got %s", item.Line, nodeKind(item))
			}
			list = append(list, item.Value)
		}
		return list, nil
	}
	return nil, fmt.Errorf("line %d: expected a string or a list of strings, got %s", n.Line, nodeKind(n))
}

// typeError reports a problem at n in the form yaml.v3 aggregates, so that
// decoding goes on and every problem is reported.
func typeError(n *yaml.Node, format string, args ...any) *yaml.TypeError {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, args...)}}
}

// nodeKind names what n holds, for messages.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		return tagKind(n.ShortTag())
	}
	return "a document"
}

func tagKind(tag string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!str", "!!binary":
		return "a string"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	case "!!timestamp":
		return "a timestamp"
	}
	return "a value tagged " + tag
}
