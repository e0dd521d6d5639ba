package policy

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestMarshalJSON(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"keys sorted, lone values as scalars",
			`{"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow", "Action": ["sso-oauth:*"], "Resource": ["*"]}]}`,
			`{"Statement":[{"Action":"sso-oauth:*","Effect":"Allow","Resource":"*","Sid":"A"}],"Version":"2012-10-17"}`},
		{"a lone statement object stays an object",
			`{"Statement":{"Effect":"Deny","NotAction":"sts:*","NotResource":["arn:aws:iam::*:role/*","arn:aws:iam::*:user/*"]},"Id":"x"}`,
			`{"Id":"x","Statement":{"Effect":"Deny","NotAction":"sts:*","NotResource":["arn:aws:iam::*:role/*","arn:aws:iam::*:user/*"]}}`},
		{"principals as written",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sso.amazonaws.com","AWS":["111122223333","*"]},"Action":"*"},` +
				`{"Effect":"Deny","NotPrincipal":"*","Action":"*"}]}`,
			`{"Statement":[{"Action":"*","Effect":"Allow","Principal":{"AWS":["111122223333","*"],"Service":"sso.amazonaws.com"}},` +
				`{"Action":"*","Effect":"Deny","NotPrincipal":"*"}],"Version":"2012-10-17"}`},
		{"conditions: operators and keys sorted, names as written, JSON types kept",
			`{"Version":"5.0","Statement":[{"Effect":"Deny","Action":["iamToken::generatePkiToken"],"Condition":{` +
				`"StringEquals":{"g:DomainId":["111122223333"],"aws:username":["a","b"]},"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"test:n":[1.50,"2"]}}}]}`,
			`{"Statement":[{"Action":"iamToken::generatePkiToken","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"test:n":[1.50,"2"]},` +
				`"StringEquals":{"aws:username":["a","b"],"g:DomainId":"111122223333"}},"Effect":"Deny"}],"Version":"5.0"}`},
		{"variables and escapes as written, empty Sid and Condition left out",
			`{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}/${*}<\u0041\"\\\/\n\u0001\u2028>","Condition":{}}]}`,
			"{\"Statement\":[{\"Action\":\"*\",\"Effect\":\"Allow\",\"Resource\":\"arn:aws:s3:::b/${aws:username}/${*}<A\\\"\\\\/\\n\\u0001\u2028>\"}],\"Version\":\"2012-10-17\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.doc)
			got, err := p.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("canonical form\n got %s\nwant %s", got, tt.want)
			}
			again, _ := mustParse(t, string(got)).MarshalJSON()
			if !bytes.Equal(again, got) {
				t.Errorf("not stable: %s", again)
			}
			// encoding/json uses MarshalJSON (escaping <, > and & on top of it).
			viaJSON, err := json.Marshal(struct{ P *Policy }{p})
			if err != nil {
				t.Fatal(err)
			}
			var back struct{ P json.RawMessage }
			if err := json.Unmarshal(viaJSON, &back); err != nil {
				t.Fatal(err)
			}
			if again, _ := mustParse(t, string(back.P)).MarshalJSON(); !bytes.Equal(again, got) {
				t.Errorf("through encoding/json: %s", again)
			}
		})
	}
	if b, _ := (*Policy)(nil).MarshalJSON(); string(b) != "null" {
		t.Errorf("nil policy: %s", b)
	}
}

// TestMarshalJSONDecides checks that the canonical form of the golden
// cases' policies decides each golden request as the document does.
func TestMarshalJSONDecides(t *testing.T) {
	for _, doc := range seedDocuments(t) {
		p, err := Parse(doc)
		if err != nil {
			continue
		}
		canon, _ := p.MarshalJSON()
		p2 := mustParse(t, string(canon))
		for i, req := range fixedRequests() {
			if d1, d2 := decisions(req, p), decisions(req, p2); d1 != d2 {
				t.Errorf("request %d:\n%s decides %v\n%s decides %v", i, doc, d1, canon, d2)
			}
		}
	}
}
