package policy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// decisionCase is one case of testdata/decisions.json.
type decisionCase struct {
	Name    string `json:"name"`
	Request struct {
		Principal struct {
			ARN      string `json:"arn"`
			RoleARN  string `json:"role_arn"`
			Account  string `json:"account"`
			UserID   string `json:"user_id"`
			Username string `json:"username"`
		} `json:"principal"`
		Action   string              `json:"action"`
		Resource string              `json:"resource"`
		Time     string              `json:"time"`
		Context  map[string][]string `json:"context"`
	} `json:"request"`
	Org              []json.RawMessage `json:"org"`
	Identity         []json.RawMessage `json:"identity"`
	Resource         json.RawMessage   `json:"resource"`
	ResourceRequired bool              `json:"resource_required"`
	Session          []json.RawMessage `json:"session"`
	// DenyOnly evaluates org, then identity, with EvaluateDenyOnly.
	DenyOnly bool `json:"deny_only"`
}

type goldenDecision struct {
	Name     string   `json:"name"`
	Decision Decision `json:"decision"`
}

func TestDecisionsGolden(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "decisions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []decisionCase
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("testdata/decisions.json: %v", err)
	}
	parse := func(name string, docs []json.RawMessage) []*Policy {
		var ps []*Policy
		for _, d := range docs {
			p, err := Parse(d)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			ps = append(ps, p)
		}
		return ps
	}
	var got []goldenDecision
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.Name] {
			t.Fatalf("duplicate case name %q", c.Name)
		}
		names[c.Name] = true
		r := c.Request
		req := Request{
			Principal: Principal{ARN: r.Principal.ARN, RoleARN: r.Principal.RoleARN, Account: r.Principal.Account,
				UserID: r.Principal.UserID, Username: r.Principal.Username},
			Action: r.Action, Resource: r.Resource, Context: r.Context,
		}
		if r.Time != "" {
			if req.Time, err = time.Parse(time.RFC3339, r.Time); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
		}
		var d Decision
		if c.DenyOnly {
			d = EvaluateDenyOnly(req, append(parse(c.Name, c.Org), parse(c.Name, c.Identity)...)...)
		} else {
			set := Set{Org: parse(c.Name, c.Org), Identity: parse(c.Name, c.Identity),
				ResourceRequired: c.ResourceRequired, Session: parse(c.Name, c.Session)}
			if len(c.Resource) > 0 {
				set.Resource = parse(c.Name, []json.RawMessage{c.Resource})[0]
			}
			d = Evaluate(req, set)
		}
		got = append(got, goldenDecision{c.Name, d})
	}
	out, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	golden := filepath.Join("testdata", "decisions.golden.json")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestDecisionsGolden -update)", err)
	}
	if !bytes.Equal(out, want) {
		var wantDs []goldenDecision
		if err := json.Unmarshal(want, &wantDs); err != nil {
			t.Fatalf("%s: %v", golden, err)
		}
		byName := map[string]Decision{}
		for _, w := range wantDs {
			byName[w.Name] = w.Decision
		}
		for _, g := range got {
			if w, ok := byName[g.Name]; !ok {
				t.Errorf("%s: not in %s", g.Name, golden)
			} else if w != g.Decision {
				t.Errorf("%s:\n got %+v\nwant %+v", g.Name, g.Decision, w)
			}
		}
		if len(wantDs) != len(got) {
			t.Errorf("%s has %d decisions, the cases %d", golden, len(wantDs), len(got))
		}
	}
}
