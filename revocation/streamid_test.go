package revocation

import "testing"

func TestParseStreamID(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want StreamID
		ok   bool
	}{
		{"1700000000000-0", StreamID{1700000000000, 0}, true},
		{"0-0", StreamID{}, true},
		{"18446744073709551615-18446744073709551615", StreamID{1<<64 - 1, 1<<64 - 1}, true},
		{"1700000000000", StreamID{}, false},
		{"-1", StreamID{}, false},
		{"1--1", StreamID{}, false},
		{"a-b", StreamID{}, false},
		{"", StreamID{}, false},
		{"18446744073709551616-0", StreamID{}, false},
	} {
		got, ok := ParseStreamID(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseStreamID(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if !(StreamID{2, 0}).After(StreamID{1, 9}) || !(StreamID{1, 2}).After(StreamID{1, 1}) || (StreamID{1, 1}).After(StreamID{1, 1}) {
		t.Fatal("After orders by milliseconds, then sequence")
	}
}

// FuzzParseStreamID: Last-Event-ID comes from clients. Whatever it holds,
// parsing never panics, and what parses prints back to an id that parses
// to the same position.
func FuzzParseStreamID(f *testing.F) {
	for _, s := range []string{"1700000000000-0", "0-0", "01-1", "-", "1-", "9999999999999999999999-1", "1-2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := ParseStreamID(s)
		if !ok {
			return
		}
		again, ok := ParseStreamID(id.String())
		if !ok || again != id {
			t.Fatalf("%q → %v → %q → %v, %v", s, id, id.String(), again, ok)
		}
	})
}
