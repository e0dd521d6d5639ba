package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Bounds on a policy document, so that a hostile one cannot exhaust memory
// or time. AWS caps policies at 2–10 KiB; these leave room for documents
// converted from YAML and for large guardrails.
const (
	// MaxDocumentSize is the largest document Parse accepts, in bytes.
	MaxDocumentSize = 64 << 10
	// MaxStatements is the most statements a document may hold.
	MaxStatements = 256
	// maxDepth bounds JSON nesting; a valid policy nests 5 levels deep.
	maxDepth = 16
	// maxNodes bounds the JSON values of one document (keys excluded).
	maxNodes = 8192
)

// jkind is the type of a JSON value.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

func (k jkind) String() string {
	switch k {
	case jBool:
		return "a boolean"
	case jNumber:
		return "a number"
	case jString:
		return "a string"
	case jArray:
		return "a list"
	case jObject:
		return "an object"
	}
	return "null"
}

// jnode is a decoded JSON value that keeps the order of object keys, so
// that findings come out in document order.
type jnode struct {
	kind jkind
	text string   // string value, number literal, "true" or "false"
	keys []string // object keys, in order
	vals []*jnode // object values (parallel to keys) or list items
}

// decoder builds a jnode tree within the package's bounds.
type decoder struct {
	dec   *json.Decoder
	nodes int
}

// decodeJSON parses doc into a tree. The error names the JSON path of the
// problem.
func decodeJSON(doc []byte) (*jnode, string, error) {
	if len(doc) > MaxDocumentSize {
		return nil, "$", fmt.Errorf("document is %d bytes, more than the %d allowed", len(doc), MaxDocumentSize)
	}
	// JSON is UTF-8 (RFC 8259 section 8.1). encoding/json would replace
	// each bad byte with U+FFFD, silently changing what a Sid, a resource or
	// a condition value says, and growing the canonical form past the
	// document.
	if !utf8.Valid(doc) {
		return nil, "$", fmt.Errorf("not valid JSON at offset %d: invalid UTF-8", invalidUTF8(doc))
	}
	d := &decoder{dec: json.NewDecoder(bytes.NewReader(doc))}
	d.dec.UseNumber()
	root, path, err := d.value(0, "$")
	if err != nil {
		return nil, path, err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return nil, "$", errors.New("unexpected data after the document")
	}
	return root, "", nil
}

func (d *decoder) value(depth int, path string) (*jnode, string, error) {
	if depth > maxDepth {
		return nil, path, fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	d.nodes++
	if d.nodes > maxNodes {
		return nil, path, fmt.Errorf("more than %d values in the document", maxNodes)
	}
	tok, err := d.dec.Token()
	if err != nil {
		return nil, path, jsonError(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &jnode{kind: jObject}
			var seen map[string]bool // for large objects: duplicate checks stay linear
			for d.dec.More() {
				kt, err := d.dec.Token()
				if err != nil {
					return nil, path, jsonError(err)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, path, errors.New("not valid JSON: object key is not a string")
				}
				kp := childPath(path, key)
				if len(n.keys) == 8 {
					seen = make(map[string]bool, 16)
					for _, k := range n.keys {
						seen[k] = true
					}
				}
				if seen != nil && seen[key] || seen == nil && slices.Contains(n.keys, key) {
					return nil, kp, errors.New("duplicate key")
				}
				if seen != nil {
					seen[key] = true
				}
				v, p, err := d.value(depth+1, kp)
				if err != nil {
					return nil, p, err
				}
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, v)
			}
			if _, err := d.dec.Token(); err != nil {
				return nil, path, jsonError(err)
			}
			return n, "", nil
		case '[':
			n := &jnode{kind: jArray}
			for i := 0; d.dec.More(); i++ {
				v, p, err := d.value(depth+1, indexPath(path, i))
				if err != nil {
					return nil, p, err
				}
				n.vals = append(n.vals, v)
			}
			if _, err := d.dec.Token(); err != nil {
				return nil, path, jsonError(err)
			}
			return n, "", nil
		}
		return nil, path, errors.New("not valid JSON")
	case string:
		return &jnode{kind: jString, text: t}, "", nil
	case json.Number:
		return &jnode{kind: jNumber, text: t.String()}, "", nil
	case bool:
		return &jnode{kind: jBool, text: strconv.FormatBool(t)}, "", nil
	case nil:
		return &jnode{kind: jNull}, "", nil
	}
	return nil, path, errors.New("not valid JSON")
}

func jsonError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON at offset %d: %s", se.Offset, se.Error())
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("not valid JSON: unexpected end of document")
	}
	return fmt.Errorf("not valid JSON: %s", err.Error())
}

// childPath appends an object key to a JSON path: $.Statement, or
// $.Condition["aws:username"] for a key that is not an identifier.
func childPath(path, key string) string {
	if isIdent(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// indexPath appends a list index to a JSON path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// invalidUTF8 returns the offset of the first byte of doc that is not
// valid UTF-8.
func invalidUTF8(doc []byte) int {
	for i := 0; i < len(doc); {
		r, n := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(doc)
}
