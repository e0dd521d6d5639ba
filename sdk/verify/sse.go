package verify

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// maxSSELine bounds one line of the event stream: a longer one ends the
// connection rather than the Verifier's memory.
const maxSSELine = 1 << 20

// sseEvent is one dispatched Server-Sent Event (WHATWG HTML, "Server-sent
// events", §9.2.6 "Interpreting an event stream").
type sseEvent struct {
	// ID is the last event ID buffer when the event was dispatched.
	ID   string
	Type string // "message" when the stream named none
	Data string
}

// sseHandler receives what an event stream carries.
type sseHandler interface {
	// line is called for every line read (the connection is alive).
	line()
	// comment is called for each comment line (": heartbeat").
	comment()
	// event is called for each dispatched event; an error ends the read.
	event(sseEvent) error
}

// readSSE reads an event stream from r until it ends or h.event fails,
// following the WHATWG interpretation: lines end in CRLF, LF or CR; a
// blank line dispatches; "event", "data", "id" fields; comments start
// with a colon; unknown fields (and "retry") are ignored. The last event
// ID persists across events, as the specification says.
func readSSE(r io.Reader, lastID string, h sseHandler) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSSELine)
	sc.Split(scanSSELines)
	var (
		data    strings.Builder
		hasData bool
		typ     string
		first   = true
	)
	for sc.Scan() {
		line := sc.Bytes()
		if first {
			// A UTF-8 byte order mark at the start is skipped.
			line = bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
			first = false
		}
		h.line()
		if len(line) == 0 {
			if hasData {
				ev := sseEvent{ID: lastID, Type: typ, Data: strings.TrimSuffix(data.String(), "\n")}
				if ev.Type == "" {
					ev.Type = "message"
				}
				if err := h.event(ev); err != nil {
					return err
				}
			}
			data.Reset()
			hasData, typ = false, ""
			continue
		}
		if line[0] == ':' {
			h.comment()
			continue
		}
		field, value, found := bytes.Cut(line, []byte(":"))
		if found {
			value = bytes.TrimPrefix(value, []byte(" "))
		}
		switch string(field) {
		case "event":
			typ = string(value)
		case "data":
			data.Write(value)
			data.WriteByte('\n')
			hasData = true
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				lastID = string(value)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

// scanSSELines splits an event stream into lines ending in CRLF, LF or CR.
func scanSSELines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		// CR: a following LF belongs to it.
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil // need one more byte
	}
	if atEOF {
		// An unterminated last line is discarded, as is an event
		// without its blank line (WHATWG: "Once the end of the file is
		// reached, any pending data must be discarded").
		return len(data), nil, nil
	}
	return 0, nil, nil
}
