package verify

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

type recordedSSE struct {
	events   []sseEvent
	comments int
}

func (r *recordedSSE) line()    {}
func (r *recordedSSE) comment() { r.comments++ }
func (r *recordedSSE) event(ev sseEvent) error {
	r.events = append(r.events, ev)
	return nil
}

// TestReadSSE: the event stream as the WHATWG specification interprets
// it.
func TestReadSSE(t *testing.T) {
	tests := []struct {
		name     string
		stream   string
		lastID   string
		want     []sseEvent
		comments int
	}{
		{
			name:   "lineage's stream",
			stream: "retry: 2000\n\nid: 1-0\nevent: revocation\ndata: {\"kind\":\"jti\"}\n\n: heartbeat\n\nid: 2-0\nevent: revocation\ndata: {}\n\n",
			want: []sseEvent{
				{ID: "1-0", Type: "revocation", Data: `{"kind":"jti"}`},
				{ID: "2-0", Type: "revocation", Data: `{}`},
			},
			comments: 1,
		},
		{
			name:   "CRLF and CR line ends",
			stream: "id: 1\r\nevent: revocation\r\ndata: a\r\n\r\nid: 2\revent: revocation\rdata: b\r\r",
			want:   []sseEvent{{ID: "1", Type: "revocation", Data: "a"}, {ID: "2", Type: "revocation", Data: "b"}},
		},
		{
			name:   "multi-line data, no space after the colon, default type",
			stream: "data:a\ndata: b\ndata\n\n",
			want:   []sseEvent{{Type: "message", Data: "a\nb\n"}},
		},
		{
			name:   "the last id persists; an id with NUL is ignored",
			stream: "id: 7\ndata: x\n\ndata: y\n\nid: 8\x009\ndata: z\n\n",
			lastID: "3",
			want:   []sseEvent{{ID: "7", Type: "message", Data: "x"}, {ID: "7", Type: "message", Data: "y"}, {ID: "7", Type: "message", Data: "z"}},
		},
		{
			name:   "the resumed id applies until a new one",
			stream: "data: x\n\n",
			lastID: "5-1",
			want:   []sseEvent{{ID: "5-1", Type: "message", Data: "x"}},
		},
		{
			name:   "no data: nothing dispatched",
			stream: "id: 1\nevent: revocation\n\n",
		},
		{
			name:   "an unterminated event is discarded",
			stream: "event: revocation\ndata: x\n\nevent: revocation\ndata: y\n",
			want:   []sseEvent{{Type: "revocation", Data: "x"}},
		},
		{
			name:   "byte order mark, unknown fields",
			stream: "\xEF\xBB\xBFdata: x\nfoo: bar\nretry: x\n\n",
			want:   []sseEvent{{Type: "message", Data: "x"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for name, r := range map[string]io.Reader{
				"whole":          strings.NewReader(tc.stream),
				"byte by byte":   iotest.OneByteReader(strings.NewReader(tc.stream)),
				"half at a time": iotest.HalfReader(strings.NewReader(tc.stream)),
			} {
				var got recordedSSE
				if err := readSSE(r, tc.lastID, &got); !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("%s: the end of the stream: %v", name, err)
				}
				if !reflect.DeepEqual(got.events, tc.want) || got.comments != tc.comments {
					t.Fatalf("%s: got %+v (%d comments), want %+v (%d)", name, got.events, got.comments, tc.want, tc.comments)
				}
			}
		})
	}
}

// TestReadSSELineLimit: a line longer than the limit ends the read.
func TestReadSSELineLimit(t *testing.T) {
	long := "data: " + strings.Repeat("x", maxSSELine+1) + "\n\n"
	var got recordedSSE
	if err := readSSE(strings.NewReader(long), "", &got); err == nil || errors.Is(err, io.ErrUnexpectedEOF) || len(got.events) != 0 {
		t.Fatalf("got %v, %d events", err, len(got.events))
	}
}

// FuzzReadSSE: any stream is read without panicking, and every event it
// dispatches has data.
func FuzzReadSSE(f *testing.F) {
	f.Add("id: 1-0\nevent: revocation\ndata: {}\n\n: heartbeat\n\n")
	f.Add("data\r\r\n\n\rid:\x00\n")
	f.Fuzz(func(t *testing.T, stream string) {
		var got recordedSSE
		_ = readSSE(strings.NewReader(stream), "", &got)
		for _, ev := range got.events {
			if ev.Type == "" {
				t.Fatalf("an event without a type: %+v", ev)
			}
		}
	})
}

// TestRevocationSet: entries cover the tokens they name, before-T rules
// keep the latest T, and entries are forgotten after their until plus the
// leeway.
func TestRevocationSet(t *testing.T) {
	s := newRevocationSet(30 * time.Second)
	iat := time.Unix(1_000, 0)
	token := func(change func(*Claims)) *Claims {
		c := &Claims{JTI: "j", OriginJTI: "o", Subject: "alice", ClientID: "web", IssuedAt: iat}
		if change != nil {
			change(c)
		}
		return c
	}
	if s.revoked(token(nil)) {
		t.Fatal("an empty set revokes")
	}
	s.apply(entry{Kind: kindBefore, Scope: scopeSubject, ID: "alice", Before: 1_000, Until: 5_000}, 0)
	s.apply(entry{Kind: kindBefore, Scope: scopeSubject, ID: "alice", Before: 900, Until: 4_000}, 0) // older: T stays 1000
	s.apply(entry{Kind: kindJTI, ID: "j2", Until: 2_000}, 0)
	s.apply(entry{Kind: kindOrigin, ID: "o3", Until: 3_000}, 0)
	s.apply(entry{Kind: kindBefore, Scope: scopePrincipal, ID: "arn:aws:sts::1:assumed-role/R/s", Before: 1_000, Until: 5_000}, 0)
	s.apply(entry{Kind: kindBefore, Scope: scopePrincipal, ID: "arn:aws:iam::1:role/Revoked", Before: 1_000, Until: 5_000}, 0)
	if s.apply(entry{Kind: "future-kind", ID: "x", Until: 5_000}, 0) {
		t.Fatal("an unknown kind was applied")
	}
	tests := []struct {
		name    string
		token   *Claims
		revoked bool
	}{
		{"subject, iat = T", token(nil), true},
		{"subject, iat after T", token(func(c *Claims) { c.IssuedAt = iat.Add(time.Second) }), false},
		{"another subject", token(func(c *Claims) { c.Subject = "bob" }), false},
		{"the client of a revoked subject's id", token(func(c *Claims) { c.Subject = "bob"; c.ClientID = "alice" }), false},
		{"jti", token(func(c *Claims) { c.Subject, c.JTI = "bob", "j2" }), true},
		{"origin_jti", token(func(c *Claims) { c.Subject, c.OriginJTI = "bob", "o3" }), true},
		{"principal", token(func(c *Claims) { c.Subject, c.IAMPrincipal = "bob", "arn:aws:sts::1:assumed-role/R/s" }), true},
		{"a session of a revoked role", token(func(c *Claims) { c.Subject, c.IAMPrincipal = "bob", "arn:aws:sts::1:assumed-role/Revoked/x" }), true},
		{"a session of a revoked role, token after T, session before", token(func(c *Claims) {
			c.Subject, c.IAMPrincipal, c.IssuedAt, c.IAMSessionIssuedAt = "bob", "arn:aws:sts::1:assumed-role/Revoked/x", iat.Add(time.Hour), iat
		}), true},
		{"a session of a revoked role begun after T", token(func(c *Claims) {
			c.Subject, c.IAMPrincipal, c.IAMSessionIssuedAt = "bob", "arn:aws:sts::1:assumed-role/Revoked/x", iat.Add(time.Second)
		}), false},
		{"assumed by a revoked principal", token(func(c *Claims) {
			c.Subject, c.IAMPrincipal, c.IAMSource = "bob", "arn:aws:sts::1:assumed-role/Other/x", "arn:aws:sts::1:assumed-role/R/s"
		}), true},
	}
	for _, tc := range tests {
		if got := s.revoked(tc.token); got != tc.revoked {
			t.Errorf("%s: revoked %v, want %v", tc.name, got, tc.revoked)
		}
	}
	s.sweep(2_030) // j2's until + leeway: kept
	if !s.revoked(token(func(c *Claims) { c.Subject, c.JTI = "bob", "j2" })) {
		t.Fatal("forgotten within the leeway")
	}
	s.sweep(2_031)
	if s.revoked(token(func(c *Claims) { c.Subject, c.JTI = "bob", "j2" })) || s.size() != 4 {
		t.Fatalf("not forgotten after until + leeway (%d entries)", s.size())
	}
	s.sweep(10_000)
	if s.size() != 0 {
		t.Fatalf("%d entries left", s.size())
	}
}

// TestAccount: the account of an IAM principal is the 5th field of its
// ARN.
func TestAccount(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:sts::111122223333:assumed-role/Role/session": "111122223333",
		"arn:aws:iam::111122223333:user/deployer":             "111122223333",
		"arn:aws-cn:sts::444455556666:assumed-role/R/a:b":     "444455556666",
		"not-an-arn":         "",
		"arn:aws:sts::12345": "",
	} {
		if got := account(arn); got != want {
			t.Errorf("account(%q) = %q, want %q", arn, got, want)
		}
	}
}
