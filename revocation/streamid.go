package revocation

import (
	"strconv"
	"strings"
)

// StreamID is a position in the event stream: a Redis stream id
// "<milliseconds>-<sequence>".
type StreamID struct{ MS, Seq uint64 }

// ParseStreamID parses "<ms>-<seq>" (as sent in Last-Event-ID).
func ParseStreamID(s string) (StreamID, bool) {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok || len(s) > 41 {
		return StreamID{}, false
	}
	a, err1 := strconv.ParseUint(ms, 10, 64)
	b, err2 := strconv.ParseUint(seq, 10, 64)
	if err1 != nil || err2 != nil {
		return StreamID{}, false
	}
	return StreamID{a, b}, true
}

// String formats id as the stream does.
func (id StreamID) String() string {
	return strconv.FormatUint(id.MS, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// After reports whether id comes after o in the stream.
func (id StreamID) After(o StreamID) bool {
	return id.MS > o.MS || id.MS == o.MS && id.Seq > o.Seq
}

// streamAfter reports whether stream id a comes after b; ids that do not
// parse come after everything (they end a scan).
func streamAfter(a, b string) bool {
	x, ok1 := ParseStreamID(a)
	y, ok2 := ParseStreamID(b)
	if !ok1 || !ok2 {
		return true
	}
	return x.After(y)
}
