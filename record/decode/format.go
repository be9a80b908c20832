package decode

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/rowtime/rowtime/record"
)

// A Format says how a decoder reads the event time of a record. The zero
// Format is [RFC3339]. Formats are comparable.
type Format struct {
	kind   formatKind
	layout string
}

type formatKind uint8

const (
	fRFC3339 formatKind = iota
	fISO8601
	fSeconds
	fMillis
	fArrival
	fLayout
)

// The formats of event time a decoder reads.
var (
	// RFC3339 reads a string such as "2024-02-29T12:00:00.5Z" or
	// "2024-02-29T13:00:00+01:00", see [record.ParseRFC3339]: a zone is
	// required.
	RFC3339 = Format{kind: fRFC3339}
	// ISO8601 reads the ISO 8601 texts KDA accepted and emitted, such as
	// "2018-08-01 20:17:20.797" and "2018-08-01T20:17:20.797945", a 'T' or
	// a space between date and time, a zone optional (none is UTC), see
	// [record.ParseISO8601].
	ISO8601 = Format{kind: fISO8601}
	// Seconds reads seconds since the epoch: a JSON number or a string
	// holding one, with a fraction and exponent allowed ("1700000000.25").
	// Every digit is kept, see [record.ParseSeconds].
	Seconds = Format{kind: fSeconds}
	// Millis reads milliseconds since the epoch, a number or numeric
	// string, see [record.ParseMillis].
	Millis = Format{kind: fMillis}
	// Arrival ignores the payload and stamps each record with the arrival
	// time the caller passes in: for Kinesis, the record's
	// ApproximateArrivalTimestamp. This is KDA's ROWTIME.
	Arrival = Format{kind: fArrival}
)

// Layout returns the Format that reads a string with [time.Parse] and the
// given layout, such as "02/01/2006 15:04:05". A text without a zone is
// UTC.
func Layout(layout string) Format { return Format{kind: fLayout, layout: layout} }

// String returns the format's name, such as "seconds".
func (f Format) String() string {
	switch f.kind {
	case fRFC3339:
		return "RFC 3339"
	case fISO8601:
		return "ISO 8601"
	case fSeconds:
		return "seconds"
	case fMillis:
		return "milliseconds"
	case fArrival:
		return "arrival time"
	case fLayout:
		return "layout " + strconv.Quote(f.layout)
	}
	return fmt.Sprintf("Format(%d)", int(f.kind))
}

func (f Format) valid() bool { return f.kind <= fLayout && (f.kind == fLayout) == (f.layout != "") }

// fromJSON reads the time from tv, the raw JSON value of its field
// (validated already).
func (f Format) fromJSON(tv []byte, buf []byte) (record.Time, error) {
	if len(tv) == 0 || string(tv) == "null" {
		return 0, ErrNoTime
	}
	text := tv
	quoted := tv[0] == '"'
	if quoted {
		text = tv[1 : len(tv)-1]
		if bytes.IndexByte(text, '\\') >= 0 || !isPlain(text) {
			u, ok := unquote(buf[:0], text)
			if !ok {
				return 0, fmt.Errorf("%w: %s is not a string", record.ErrTimeFormat, tv)
			}
			text = u
		}
	}
	switch f.kind {
	case fSeconds, fMillis:
		if !quoted && (tv[0] == '{' || tv[0] == '[' || tv[0] == 't' || tv[0] == 'f') {
			return 0, fmt.Errorf("%w: %s is not a number of %v", record.ErrTimeFormat, tv, f)
		}
	default:
		if !quoted {
			return 0, fmt.Errorf("%w: %s is not a string of %v", record.ErrTimeFormat, tv, f)
		}
	}
	return f.fromText(text)
}

func isPlain(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// fromText reads the time from the text of a JSON string or number, or of
// a CSV column.
func (f Format) fromText(text []byte) (record.Time, error) {
	switch f.kind {
	case fRFC3339:
		return record.ParseRFC3339(unsafeString(text))
	case fISO8601:
		return record.ParseISO8601(unsafeString(text))
	case fSeconds:
		return record.ParseSeconds(unsafeString(bytes.TrimSpace(text)))
	case fMillis:
		return record.ParseMillis(unsafeString(bytes.TrimSpace(text)))
	case fLayout:
		t, err := time.Parse(f.layout, string(text))
		if err != nil {
			return 0, fmt.Errorf("%w: %q does not match layout %q", record.ErrTimeFormat, text, f.layout)
		}
		return record.FromTime(t)
	}
	return 0, fmt.Errorf("decode: no time in format %v", f)
}
