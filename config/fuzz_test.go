package config

import (
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// leakSeeds are inputs that tempt a parser to quote a secret.
func leakSeeds() []string {
	return []string{
		"secrets: {system: !!int supersecretvalue}\n",
		"http: {admin_token: !!float abcdefghijk}\n",
		"http: {admin_token: !!bool admintokenvalue, public: x}\n",
		"store: {redis: {db: !!str redispasswordvalue, password: redispasswordvalue}}\n",
		"store: {redis_url: 'redis://u:urlpassword1@r:6379/x', redis: {addrs: [a]}}\n",
		"store: {redis_url: 'redis://u:urlpassword1@r:port'}\n",
		"clients: [{id: a, secret: &s clientsecret1}, {id: b, secret: [*s]}]\n",
		"clients: [{id: a, secret: clientsecret1, grant_types: [x]}]\n",
		"users: [{username: u, password: {a: userpassword1}}]\n",
		"iam: {users: [{name: n, access_keys: [{id: AKIA, secret: accesskeysecret1}]}]}\n",
		"http:\n  admin_token: \"multi\n    line token value\"\n  nope: 1\n",
		"secret: toplevelsecret1\npassword: toplevelpassword1\n",
		"clients:\n  - id: a\n    secret: clientsecret1\n    secret_hash: clientsecrethash1\n",
	}
}

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range files {
		data := readFile(f, filepath.Base(name))
		f.Add(data, false)
		f.Add(data, true)
	}
	for _, s := range leakSeeds() {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}

	f.Fuzz(func(t *testing.T, data []byte, dev bool) {
		cfg, err := Parse(data, nil, dev)
		if err != nil {
			checkProblems(t, err)
			if s, leaked := errorLeak(data, dev, err.Error()); leaked {
				t.Fatalf("error quotes the secret %q:\n%v", s, err)
			}
			return
		}
		if err := cfg.Validate(dev); err != nil {
			t.Fatalf("Parse accepted a config that Validate(%v) refuses: %v", dev, err)
		}
		if s, leaked := redactedLeak(t, data, dev, cfg); leaked {
			t.Fatalf("Redacted output contains the secret %q", s)
		}
	})
}

func TestErrorsNeverContainSecrets(t *testing.T) {
	for _, in := range append(leakSeeds(), string(readFile(t, "invalid.yaml"))) {
		for _, dev := range []bool{false, true} {
			_, err := Parse([]byte(in), nil, dev)
			if err == nil {
				continue // valid in dev
			}
			for _, sn := range secretNodes(in, secretNamed) {
				if len(sn.secret) >= 8 && strings.Contains(err.Error(), sn.secret) {
					t.Errorf("Parse(%q, dev=%v): error quotes the secret %q:\n%v", in, dev, sn.secret, err)
				}
			}
			if s, leaked := errorLeak([]byte(in), dev, err.Error()); leaked {
				t.Errorf("Parse(%q): leak detector finds %q", in, s)
			}
		}
	}
}

// checkProblems fails unless every error joined in err is a *Problem.
func checkProblems(t *testing.T, err error) {
	t.Helper()
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range multi.Unwrap() {
			checkProblems(t, e)
		}
		return
	}
	var p *Problem
	if !errors.As(err, &p) || p.Key == "" || p.Message == "" {
		t.Fatalf("error %q (%T) is not a *Problem with a key and a message", err, err)
	}
}

// errorLeak reports a secret of data's YAML that msg repeats. A secret
// counts when it is at least 8 characters long and the message no longer
// contains it once the secret holds other characters: a value that also
// appears elsewhere (another key, the message's own words) is not a leak.
func errorLeak(data []byte, dev bool, msg string) (string, bool) {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return "", false
	}
	for _, sn := range secretNodesOf(&root, secretNamed) {
		if sn.shared || len(sn.secret) < 8 || !strings.Contains(msg, sn.secret) {
			continue
		}
		old := sn.node.Value
		sn.node.Value = sn.masked
		alt, err := yaml.Marshal(&root)
		sn.node.Value = old
		if err != nil {
			continue // cannot tell
		}
		if _, err := Parse(alt, nil, dev); err != nil && strings.Contains(err.Error(), sn.secret) {
			continue
		}
		return sn.secret, true
	}
	return "", false
}

// redactedLeak reports a secret of cfg (at least 8 characters) that its
// Redacted form, marshalled to JSON and YAML, contains — unless the same
// configuration with every secret of the file changed contains it too, in
// which case it comes from elsewhere.
func redactedLeak(t *testing.T, data []byte, dev bool, cfg Config) (string, bool) {
	out := marshalBoth(t, cfg.Redacted())
	var maskedOut string
	masked := false
	// The secrets as the config holds them, and as the file wrote them.
	secrets := secretsOf(cfg)
	for _, sn := range secretNodes(string(data), secretPlace) {
		secrets = append(secrets, sn.secret)
	}
	for _, s := range secrets {
		if len(s) < 8 || !strings.Contains(out, s) {
			continue
		}
		if !masked {
			masked = true
			if alt, ok := maskAll(data); ok {
				if cfg2, err := Parse(alt, nil, dev); err == nil {
					maskedOut = marshalBoth(t, cfg2.Redacted())
				}
			}
		}
		if maskedOut == "" || strings.Contains(maskedOut, s) {
			continue // cannot tell, or not from a secret
		}
		return s, true
	}
	return "", false
}

// maskAll changes every secret at a place the schema keeps one.
func maskAll(data []byte) ([]byte, bool) {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return nil, false
	}
	for _, sn := range secretNodesOf(&root, secretPlace) {
		if !sn.shared {
			sn.node.Value = sn.masked
		}
	}
	alt, err := yaml.Marshal(&root)
	return alt, err == nil
}

// secretNamed says whether a key holds a secret by its name, wherever it
// is.
func secretNamed(path string) bool {
	name := path[strings.LastIndex(path, ".")+1:]
	switch name {
	case "secret", "password", "admin_token", "system", "secret_hash", "password_hash", "redis_url":
		return true
	}
	return false
}

// secretPlace says whether the schema keeps a secret at path.
func secretPlace(path string) bool {
	switch path {
	case "http.admin_token", "store.redis_url", "store.redis.password", "secrets.system",
		"clients[].secret", "clients[].secret_hash", "users[].password", "users[].password_hash",
		"iam.users[].access_keys[].secret":
		return true
	}
	return false
}

// secretNode is a YAML scalar holding a secret.
type secretNode struct {
	node   *yaml.Node
	secret string // the secret, decoded
	masked string // node.Value with the secret's letters and digits changed
	// shared is set when aliases reuse the node elsewhere, where it may
	// be quoted legitimately (as a key, say): masking it there too would
	// make a fair quote look like a leak.
	shared bool
}

func secretNodes(data string, keep func(path string) bool) []secretNode {
	var root yaml.Node
	if yaml.Unmarshal([]byte(data), &root) != nil {
		return nil
	}
	return secretNodesOf(&root, keep)
}

// secretNodesOf finds the scalars under the keys that keep accepts. Paths
// are dotted key names, with [] for a list item.
func secretNodesOf(root *yaml.Node, keep func(path string) bool) []secretNode {
	aliased := map[*yaml.Node]bool{}
	var findAliases func(n *yaml.Node)
	findAliases = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode {
			aliased[n.Alias] = true
			return
		}
		for _, c := range n.Content {
			findAliases(c)
		}
	}
	findAliases(root)

	var out []secretNode
	seen := map[*yaml.Node]bool{}
	add := func(n *yaml.Node, isURL bool) {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		if n.Kind != yaml.ScalarNode || seen[n] {
			return
		}
		seen[n] = true
		sn := secretNode{node: n, secret: n.Value, masked: mask(n.Value)}
		if isURL {
			var ok bool
			if sn, ok = urlSecret(n); !ok {
				return
			}
		}
		sn.shared = aliased[n]
		out = append(out, sn)
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, path+"[]")
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Kind != yaml.ScalarNode {
					continue
				}
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if keep(p) {
					isURL := strings.HasSuffix(p, "redis_url")
					add(v, isURL)
					if v.Kind == yaml.SequenceNode {
						for _, item := range v.Content {
							add(item, isURL)
						}
					}
				}
				walk(v, p)
			}
		}
	}
	walk(root, "")
	return out
}

// urlSecret finds the password in a URL scalar, or the whole value when
// url.Parse sees no user info but the value has an @.
func urlSecret(n *yaml.Node) (secretNode, bool) {
	v := n.Value
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		if strings.Contains(v, "@") {
			return secretNode{node: n, secret: v, masked: mask(v)}, true
		}
		return secretNode{}, false
	}
	pw, ok := u.User.Password()
	_, rest, found := strings.Cut(v, "//")
	if !ok || !found {
		return secretNode{}, false
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	userinfo := authority[:max(strings.LastIndex(authority, "@"), 0)]
	_, rawPW, _ := strings.Cut(userinfo, ":")
	start := strings.Index(v, "//") + 2 + strings.Index(authority, ":") + 1
	if start < 0 || start+len(rawPW) > len(v) || v[start:start+len(rawPW)] != rawPW {
		return secretNode{}, false
	}
	return secretNode{node: n, secret: pw, masked: v[:start] + mask(rawPW) + v[start+len(rawPW):]}, true
}

// mask changes every ASCII letter and digit of s to the next one, keeping
// an argon2id prefix so that a password hash still looks like one.
func mask(s string) string {
	const argon = "$argon2id$"
	if rest, ok := strings.CutPrefix(s, argon); ok {
		return argon + mask(rest)
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c < 'z', c >= 'A' && c < 'Z', c >= '0' && c < '9':
			b[i] = c + 1
		case c == 'z':
			b[i] = 'a'
		case c == 'Z':
			b[i] = 'A'
		case c == '9':
			b[i] = '0'
		}
	}
	return string(b)
}

func TestMask(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"letters and digits", "az-AZ_09", "ba-BA_10"},
		{"argon2id prefix kept", "$argon2id$v=19$abc", "$argon2id$w=20$bcd"},
		{"non-ASCII kept", "é1", "é2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mask(tt.in); got != tt.want {
				t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSecretNodes(t *testing.T) {
	in := "http: {admin_token: tok}\nstore: {redis_url: 'redis://u:p%40ss@r:1/0'}\n" +
		"clients: [{id: a, secret: sec}]\nsecrets: {system: [s1, s2]}\n" +
		"iam: {org_policies: [{password: inside-a-document}]}\n"
	var got []string
	for _, sn := range secretNodes(in, secretPlace) {
		got = append(got, sn.secret+" → "+sn.masked)
	}
	want := []string{
		"tok → upl",
		"p@ss → redis://u:q%51tt@r:1/0",
		"sec → tfd",
		"s1 → t2",
		"s2 → t3",
	}
	if !slices.Equal(got, want) {
		t.Errorf("secretNodes(secretPlace) = %q, want %q", got, want)
	}
	var named []string
	for _, sn := range secretNodes(in, secretNamed) {
		named = append(named, sn.secret)
	}
	if !slices.Contains(named, "inside-a-document") {
		t.Errorf("secretNodes(secretNamed) = %q, want the document's password too", named)
	}
}
