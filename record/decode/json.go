package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of decoding, wrapped by the Err of a [DecodeError].
var (
	// ErrSyntax means input is not well-formed: a payload or a table's
	// JSON lines that are not JSON objects, or CSV that encoding/csv
	// rejects.
	ErrSyntax = errors.New("record: malformed input")
	// ErrValue means a well-formed object has a field whose value does not
	// fit the field of the record type (a string where a number is wanted).
	ErrValue = errors.New("record: value does not fit the record type")
	// ErrNoTime means an object lacks its time field, or holds null there.
	ErrNoTime = errors.New("record: missing time field")
)

// A TimeUnit says how a [Decoder] finds the event time of a record.
type TimeUnit int

// The ways a Decoder reads the event time. The zero TimeUnit is TimeRFC3339.
const (
	// TimeRFC3339 reads the time field as an RFC 3339 string, such as
	// "2024-02-29T12:00:00.5Z"; any offset is allowed.
	TimeRFC3339 TimeUnit = iota
	// TimeSeconds reads the time field as seconds since the epoch: a JSON
	// number or a string holding one, with a fraction and exponent allowed
	// ("1700000000.25"). Every digit is kept, see [ParseSeconds].
	TimeSeconds
	// TimeMillis reads the time field as milliseconds since the epoch, a
	// number or numeric string, see [ParseMillis].
	TimeMillis
	// TimeArrival ignores the payload and stamps each record with the
	// arrival time the caller passes in: for Kinesis, the record's
	// ApproximateArrivalTimestamp. This is KDA's ROWTIME.
	TimeArrival
)

// String returns the unit's name, such as "seconds".
func (u TimeUnit) String() string {
	switch u {
	case TimeRFC3339:
		return "RFC 3339"
	case TimeSeconds:
		return "seconds"
	case TimeMillis:
		return "milliseconds"
	case TimeArrival:
		return "arrival time"
	}
	return fmt.Sprintf("TimeUnit(%d)", int(u))
}

// A DecodeError reports one value of a payload that could not be decoded.
type DecodeError struct {
	// Record is the index of the payload in the slice given to
	// [Decoder.AppendBatch]; it is 0 for [Decoder.Append].
	Record int
	// Line is the line of the payload where the value starts, from 1.
	Line int
	// Field names the field at fault, or is empty when the value as a
	// whole is malformed.
	Field string
	// Err wraps one of ErrSyntax, ErrValue, ErrNoTime, ErrTimeFormat or
	// ErrTimeRange.
	Err   error
	batch bool
}

// Error returns a message naming the record, the line and the field.
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("record: decode ")
	if e.batch {
		fmt.Fprintf(&b, "record %d ", e.Record)
	}
	fmt.Fprintf(&b, "line %d", e.Line)
	if e.Field != "" {
		fmt.Fprintf(&b, " field %q", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns e.Err.
func (e *DecodeError) Unwrap() error { return e.Err }

// DecodeErrors is the error returned by [Decoder.Append] and
// [Decoder.AppendBatch] when some values could not be decoded: one
// *[DecodeError] per value, in input order. errors.Is and errors.As see every
// one of them.
type DecodeErrors []*DecodeError

// Error returns the first error and how many more there are.
func (es DecodeErrors) Error() string {
	switch len(es) {
	case 0:
		return "record: no decode errors"
	case 1:
		return es[0].Error()
	}
	return fmt.Sprintf("%v (and %d more errors)", es[0], len(es)-1)
}

// Unwrap returns the errors, for [errors.Is] and [errors.As].
func (es DecodeErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// A Payload is the data of one Kinesis record with its arrival time.
type Payload struct {
	Data    []byte // the record's data: JSON lines or one JSON object
	Arrival Time   // the record's ApproximateArrivalTimestamp
}

// A Decoder decodes JSON payloads into records of type [Of][T]: the Value
// is the JSON object decoded with encoding/json (so T's json tags apply),
// and the Time comes from a named top-level field of the object, or from
// the arrival time.
//
// A payload holds JSON lines (one object per line) or a single object, which
// may span lines; blank lines are skipped. A Decoder holds no state after
// construction and is safe for concurrent use.
type Decoder[T any] struct {
	field string
	unit  TimeUnit
}

// NewDecoder returns a Decoder that takes the event time from the top-level
// field named field (matched exactly, case and all), read in unit. With
// [TimeArrival], field must be empty. The field need not be one of T's: the
// Decoder finds it in the JSON object itself.
func NewDecoder[T any](field string, unit TimeUnit) (*Decoder[T], error) {
	switch unit {
	case TimeRFC3339, TimeSeconds, TimeMillis:
		if field == "" {
			return nil, fmt.Errorf("record: NewDecoder: a time field is needed for %v", unit)
		}
	case TimeArrival:
		if field != "" {
			return nil, fmt.Errorf("record: NewDecoder: field %q given with arrival time, which reads no field", field)
		}
	default:
		return nil, fmt.Errorf("record: NewDecoder: unknown time unit %d", int(unit))
	}
	return &Decoder[T]{field: field, unit: unit}, nil
}

// Append decodes every JSON object in data, appends the records to dst and
// returns the extended slice. arrival is used when the Decoder reads
// [TimeArrival] and ignored otherwise.
//
// A value that cannot be decoded does not stop the others: Append skips it
// and returns, after decoding the rest, a [DecodeErrors] with one
// *[DecodeError] per skipped value. The error is nil when every value
// decoded.
func (d *Decoder[T]) Append(dst []Of[T], data []byte, arrival Time) ([]Of[T], error) {
	dst, errs := d.appendPayload(dst, data, arrival, 0, false, nil)
	if len(errs) == 0 {
		return dst, nil
	}
	return dst, errs
}

// AppendBatch is [Decoder.Append] for every payload of a batch in turn; the
// Record of each *[DecodeError] is the index of its payload.
func (d *Decoder[T]) AppendBatch(dst []Of[T], batch []Payload) ([]Of[T], error) {
	var errs DecodeErrors
	for i, p := range batch {
		dst, errs = d.appendPayload(dst, p.Data, p.Arrival, i, true, errs)
	}
	if len(errs) == 0 {
		return dst, nil
	}
	return dst, errs
}

func (d *Decoder[T]) appendPayload(dst []Of[T], data []byte, arrival Time, rec int, batch bool, errs DecodeErrors) ([]Of[T], DecodeErrors) {
	line := 1
	i := 0
	for {
		// Skip whitespace, counting lines.
		for i < len(data) && isSpace(data[i]) {
			if data[i] == '\n' {
				line++
			}
			i++
		}
		if i == len(data) {
			return dst, errs
		}
		start, startLine := i, line
		end, tv, found, closed := scanObject(data[i:], d.field, d.unit != TimeArrival)
		if !closed {
			// Unbalanced, or not an object: report the line and go on
			// with the next one.
			what := "not a JSON object"
			if data[i] == '{' {
				what = "unterminated object"
			}
			errs = append(errs, &DecodeError{Record: rec, Line: startLine, Field: "", Err: fmt.Errorf("%w: %s", ErrSyntax, what), batch: batch})
			nl := bytes.IndexByte(data[i:], '\n')
			if nl < 0 {
				return dst, errs
			}
			i += nl + 1
			line++
			continue
		}
		obj := data[start : start+end]
		line += bytes.Count(obj, newline)
		i = start + end

		dst = append(dst, Of[T]{})
		slot := &dst[len(dst)-1]
		if err := json.Unmarshal(obj, &slot.Value); err != nil {
			*slot = Of[T]{}
			dst = dst[:len(dst)-1]
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				errs = append(errs, &DecodeError{Record: rec, Line: startLine, Field: te.Field, Err: fmt.Errorf("%w: %s", ErrValue, strings.TrimPrefix(err.Error(), "json: ")), batch: batch})
			} else {
				errs = append(errs, &DecodeError{Record: rec, Line: startLine, Field: "", Err: fmt.Errorf("%w: %s", ErrSyntax, strings.TrimPrefix(err.Error(), "json: ")), batch: batch})
			}
			continue
		}
		if d.unit == TimeArrival {
			slot.Time = arrival
			continue
		}
		t, err := d.parseTime(tv, found)
		if err != nil {
			*slot = Of[T]{}
			dst = dst[:len(dst)-1]
			errs = append(errs, &DecodeError{Record: rec, Line: startLine, Field: d.field, Err: err, batch: batch})
			continue
		}
		slot.Time = t
	}
}

var newline = []byte{'\n'}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// parseTime reads the raw JSON value tv of the time field.
func (d *Decoder[T]) parseTime(tv []byte, found bool) (Time, error) {
	tv = bytes.TrimRight(tv, " \t\r\n")
	if !found || len(tv) == 0 || string(tv) == "null" {
		return 0, ErrNoTime
	}
	text := tv
	quoted := tv[0] == '"'
	if quoted {
		text = tv[1 : len(tv)-1]
		if bytes.IndexByte(text, '\\') >= 0 {
			var u string
			if err := json.Unmarshal(tv, &u); err != nil {
				return 0, fmt.Errorf("%w: %v", ErrTimeFormat, err)
			}
			text = []byte(u)
		}
	}
	switch d.unit {
	case TimeRFC3339:
		if !quoted {
			return 0, fmt.Errorf("%w: %s is not an RFC 3339 string", ErrTimeFormat, tv)
		}
		return parseRFC3339(text)
	case TimeSeconds:
		if !quoted && (tv[0] == '{' || tv[0] == '[' || tv[0] == 't' || tv[0] == 'f') {
			return 0, fmt.Errorf("%w: %s is not a number of seconds", ErrTimeFormat, tv)
		}
		return parseDecimal(bytes.TrimSpace(text), 9, "seconds")
	default: // TimeMillis
		if !quoted && (tv[0] == '{' || tv[0] == '[' || tv[0] == 't' || tv[0] == 'f') {
			return 0, fmt.Errorf("%w: %s is not a number of milliseconds", ErrTimeFormat, tv)
		}
		return parseDecimal(bytes.TrimSpace(text), 6, "milliseconds")
	}
}

// scanObject finds the end of the JSON object at the start of data without
// validating it (json.Unmarshal does that), and the raw value of its last
// top-level field named key. closed is false when data does not start with
// '{' or the object does not end.
func scanObject(data []byte, key string, wantKey bool) (end int, value []byte, found, closed bool) {
	if len(data) == 0 || data[0] != '{' {
		return 0, nil, false, false
	}
	depth := 0
	expectKey := false // the next string at depth 1 is a key
	match := false     // the last key at depth 1 was key
	vstart := -1       // start of the value being captured
	for j := 0; j < len(data); j++ {
		switch data[j] {
		case '"':
			// Find the closing quote: the next quote not escaped by an
			// odd number of backslashes.
			k := j + 1
			for {
				q := bytes.IndexByte(data[k:], '"')
				if q < 0 {
					return 0, nil, false, false
				}
				k += q
				n := 0
				for data[k-1-n] == '\\' {
					n++
				}
				if n%2 == 0 {
					break
				}
				k++
			}
			if depth == 1 && expectKey {
				expectKey = false
				if wantKey {
					s := data[j+1 : k]
					if bytes.IndexByte(s, '\\') >= 0 {
						var u string
						match = json.Unmarshal(data[j:k+1], &u) == nil && u == key
					} else {
						match = string(s) == key
					}
				}
			}
			j = k
		case '{', '[':
			depth++
			if depth == 1 {
				expectKey = true
			}
		case '}', ']':
			if depth == 1 && vstart >= 0 {
				value, found, vstart = trimLeft(data[vstart:j]), true, -1
			}
			depth--
			if depth == 0 {
				return j + 1, value, found, true
			}
		case ',':
			if depth == 1 {
				if vstart >= 0 {
					value, found, vstart = trimLeft(data[vstart:j]), true, -1
				}
				expectKey = true
			}
		case ':':
			if depth == 1 && match {
				match = false
				vstart = j + 1
			}
		}
	}
	return 0, nil, false, false
}

func trimLeft(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}
