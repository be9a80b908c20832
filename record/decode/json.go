package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/rowtime/rowtime/record"
)

// A Payload is the data of one Kinesis record with its arrival time.
type Payload struct {
	Data    []byte      // the record's data: JSON lines, one JSON object, or CSV lines
	Arrival record.Time // the record's ApproximateArrivalTimestamp
}

// A Decoder turns payloads into records. [JSON] and [CSV] are Decoders.
type Decoder[T any] interface {
	// Append decodes the records of data, appends them to dst and returns
	// the extended slice, with an [Errors] for the records it skipped.
	Append(dst []record.Of[T], data []byte, arrival record.Time) ([]record.Of[T], error)
	// AppendBatch is Append for each payload of a batch in turn.
	AppendBatch(dst []record.Of[T], batch []Payload) ([]record.Of[T], error)
}

var (
	_ Decoder[struct{}] = (*JSON[struct{}])(nil)
	_ Decoder[struct{}] = (*CSV[struct{}])(nil)
)

// A JSON decodes JSON payloads into records of type [record.Of][T]: the
// Value is the JSON object decoded exactly as encoding/json.Unmarshal
// decodes it (T's json tags apply, names match case-insensitively with an
// exact match preferred, unknown fields are ignored, the last of duplicate
// keys wins, invalid UTF-8 becomes U+FFFD), and the Time comes from a field
// of the object, or from the arrival time.
//
// A payload holds JSON lines (one object per line) or objects one after
// another, which may span lines; blank lines are skipped. A JSON holds no
// state after construction and is safe for concurrent use.
type JSON[T any] struct {
	root   *codec   // nil: encoding/json decodes T
	path   []string // of the time field, nil for Arrival
	folded []string // path, each name folded
	field  string   // the time field as given, for errors
	format Format
}

// NewJSON returns a decoder that takes the event time from field, read in
// format. field is the name of a top-level field, such as "event_time", or
// a JSON pointer (RFC 6901) to a nested one, such as "/detail/eventTime";
// each name matches keys as encoding/json matches a struct field's: exactly
// or else case-insensitively, the last matching key winning. The field need
// not be one of T's: the decoder finds it in the JSON object itself. With
// [Arrival], field must be empty.
//
// T is decoded by a decoder specialised to it at construction, which falls
// back to encoding/json for the values it does not handle itself (types
// with their own UnmarshalJSON or UnmarshalText, maps, interfaces, arrays,
// byte slices, fields reached through embedded pointers).
func NewJSON[T any](field string, format Format) (*JSON[T], error) {
	path, err := timePath("NewJSON", field, format)
	if err != nil {
		return nil, err
	}
	d := &JSON[T]{path: path, field: field, format: format}
	for _, seg := range path {
		d.folded = append(d.folded, string(foldName([]byte(seg))))
	}
	if c := codecFor(reflect.TypeFor[T]()); c.kind == kStruct {
		d.root = c
	}
	return d, nil
}

// timePath checks the time field and format of a constructor and splits a
// JSON pointer.
func timePath(fn, field string, format Format) ([]string, error) {
	if !format.valid() {
		return nil, fmt.Errorf("decode: %s: unknown time format %v", fn, format)
	}
	if format == Arrival {
		if field != "" {
			return nil, fmt.Errorf("decode: %s: field %q given with arrival time, which reads no field", fn, field)
		}
		return nil, nil
	}
	if field == "" {
		return nil, fmt.Errorf("decode: %s: a time field is needed for %v", fn, format)
	}
	if field[0] != '/' {
		return []string{field}, nil
	}
	var path []string
	for _, seg := range strings.Split(field[1:], "/") {
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(seg, "~0", ""), "~1", ""), "~") {
			return nil, fmt.Errorf("decode: %s: JSON pointer %q: '~' not followed by 0 or 1", fn, field)
		}
		path = append(path, strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~"))
	}
	return path, nil
}

// Append decodes every JSON object in data, appends the records to dst and
// returns the extended slice. arrival is used with [Arrival] and ignored
// otherwise.
//
// A record that cannot be decoded does not stop the others: Append skips
// it and returns, after decoding the rest, an [Errors] with one *[Error] per
// skipped record. After a record that is not valid JSON, decoding resumes
// at the next line. The error is nil when every record decoded. The time
// taken is linear in the size of data, whatever it holds.
func (d *JSON[T]) Append(dst []record.Of[T], data []byte, arrival record.Time) ([]record.Of[T], error) {
	return appendOne(d, dst, data, arrival)
}

// AppendBatch is [JSON.Append] for every payload of a batch in turn; the
// Record of each *[Error] is the index of its payload.
func (d *JSON[T]) AppendBatch(dst []record.Of[T], batch []Payload) ([]record.Of[T], error) {
	return appendBatch(d, dst, batch)
}

// A payloadDecoder decodes one payload, adding to errs.
type payloadDecoder[T any] interface {
	appendPayload(dst []record.Of[T], data []byte, arrival record.Time, rec int, batch bool, errs Errors) ([]record.Of[T], Errors)
}

func appendOne[T any, D payloadDecoder[T]](d D, dst []record.Of[T], data []byte, arrival record.Time) ([]record.Of[T], error) {
	dst, errs := d.appendPayload(dst, data, arrival, 0, false, nil)
	if len(errs) == 0 {
		return dst, nil
	}
	return dst, errs
}

func appendBatch[T any, D payloadDecoder[T]](d D, dst []record.Of[T], batch []Payload) ([]record.Of[T], error) {
	var errs Errors
	for i, p := range batch {
		dst, errs = d.appendPayload(dst, p.Data, p.Arrival, i, true, errs)
	}
	if len(errs) == 0 {
		return dst, nil
	}
	return dst, errs
}

// stepHook, when set by a test, receives the number of values each
// payload's decoding scanned.
var stepHook func(int)

// A knownFailure is an object that begins a line inside a record that
// failed, and that fails the same way on its own.
type knownFailure struct {
	start int
	msg   string
}

// lineCounter gives the line of increasing offsets in linear time.
type lineCounter struct {
	data []byte
	at   int
	line int
}

func (lc *lineCounter) of(off int) int {
	if off > lc.at {
		lc.line += bytes.Count(lc.data[lc.at:off], newline)
		lc.at = off
	}
	return lc.line
}

var newline = []byte{'\n'}

// nextLine returns the offset after the end of the line holding i.
func nextLine(data []byte, i int) int {
	nl := bytes.IndexByte(data[i:], '\n')
	if nl < 0 {
		return len(data)
	}
	return i + nl + 1
}

func (d *JSON[T]) appendPayload(dst []record.Of[T], data []byte, arrival record.Time, rec int, batch bool, errs Errors) ([]record.Of[T], Errors) {
	s := state{data: data}
	s.tpath, s.tfold = d.path, d.folded
	lines := lineCounter{data: data, line: 1}
	var known []knownFailure
	var st structure
	fail := func(start int, field string, err error) {
		errs = append(errs, &Error{Record: rec, Line: lines.of(start), Field: field, Err: err, batch: batch})
	}
	i := 0
	for {
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i == len(data) {
			if stepHook != nil {
				stepHook(s.steps)
			}
			return dst, errs
		}
		if data[i] != '{' {
			fail(i, "", fmt.Errorf("%w: not a JSON object", ErrSyntax))
			i = nextLine(data, i)
			continue
		}
		for len(known) > 0 && known[0].start < i {
			known = known[1:]
		}
		if len(known) > 0 && known[0].start == i {
			fail(i, "", fmt.Errorf("%w: %s", ErrSyntax, known[0].msg))
			i = st.resume(data, i)
			continue
		}
		start := i
		s.i, s.depth, s.err, s.verr, s.nname, s.inSlice = start, 0, nil, nil, 0, 0
		s.chain, s.timeLevel, s.timeStart = 0, 0, -1
		s.discard()
		s.failed = s.failed[:0]

		dst = append(dst, record.Of[T]{})
		slot := &dst[len(dst)-1]
		if d.root != nil {
			s.object(d.root, unsafe.Pointer(&slot.Value))
		} else {
			s.object(nil, nil)
		}
		if s.err != nil {
			*slot = record.Of[T]{}
			dst = dst[:len(dst)-1]
			msg := s.err.msg
			if s.err.off < len(data) {
				msg = fmt.Sprintf("%s (line %d)", msg, lines.of(start)+bytes.Count(data[start:s.err.off], newline))
			}
			fail(start, "", fmt.Errorf("%w: %s", ErrSyntax, msg))
			// The objects that begin a line inside this one and were
			// still open fail the same way: trying each again would
			// make a payload of such lines quadratic. (An object that
			// failed only for the nesting depth of the one around it
			// is counted with them: it nests within a few levels of
			// the limit on its own.)
			for k := len(s.failed) - 1; k >= 0; k-- {
				known = append(known, knownFailure{start: s.failed[k], msg: msg})
			}
			if !slices.IsSortedFunc(known, func(a, b knownFailure) int { return a.start - b.start }) {
				slices.SortFunc(known, func(a, b knownFailure) int { return a.start - b.start })
			}
			i = st.resume(data, start)
			continue
		}
		i = s.i
		obj := data[start:i]
		if s.verr != nil {
			*slot = record.Of[T]{}
			dst = dst[:len(dst)-1]
			fail(start, s.vpath, fmt.Errorf("%w: %v", ErrValue, s.verr))
			continue
		}
		if d.root == nil {
			if err := json.Unmarshal(obj, &slot.Value); err != nil {
				*slot = record.Of[T]{}
				dst = dst[:len(dst)-1]
				field := ""
				var te *json.UnmarshalTypeError
				if errors.As(err, &te) {
					field = te.Field
				}
				fail(start, field, fmt.Errorf("%w: %s", ErrValue, strings.TrimPrefix(err.Error(), "json: ")))
				continue
			}
		}
		if d.format == Arrival {
			slot.Time = arrival
			s.flush()
			continue
		}
		t, err := d.time(&s, data)
		if err != nil {
			*slot = record.Of[T]{}
			dst = dst[:len(dst)-1]
			fail(start, d.field, err)
			continue
		}
		slot.Time = t
		s.flush()
	}
}

// A structure holds where the objects that begin a line end, by bracket
// matching alone, from an offset on: where decoding resumes after an
// object that is not valid JSON.
type structure struct {
	built bool
	from  int
	opens []int // offsets of '{' that begin a line, increasing
	ends  []int // the offset after each one's matching bracket, or -1
}

// resume returns where decoding goes on after the malformed object at
// start: after its matching bracket when it begins a line and its brackets
// match, so that one bad object spanning lines is one error; else at the
// next line, so that good objects on the lines after it still decode. The
// brackets are matched once for the rest of the payload, not once per bad
// object, which keeps the work linear.
func (st *structure) resume(data []byte, start int) int {
	if !lineStart(data, start) {
		return nextLine(data, start)
	}
	if !st.built || start < st.from {
		st.build(data, start)
	}
	if k, ok := slices.BinarySearch(st.opens, start); ok && st.ends[k] > 0 {
		return st.ends[k]
	}
	return nextLine(data, start)
}

// build matches the brackets of data from offset from on, taking
// brackets inside strings for text; a string ends at a line break, as no
// valid one spans lines.
func (st *structure) build(data []byte, from int) {
	st.built, st.from = true, from
	st.opens, st.ends = st.opens[:0], st.ends[:0]
	var stack []int
	inStr := false
	for j := from; j < len(data); j++ {
		c := data[j]
		if inStr {
			switch c {
			case '\\':
				if j+1 < len(data) && data[j+1] != '\n' {
					j++
				}
			case '"', '\n':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			k := -1
			if c == '{' && lineStart(data, j) {
				st.opens = append(st.opens, j)
				st.ends = append(st.ends, -1)
				k = len(st.opens) - 1
			}
			stack = append(stack, k)
		case '}', ']':
			if n := len(stack); n > 0 {
				if k := stack[n-1]; k >= 0 {
					st.ends[k] = j + 1
				}
				stack = stack[:n-1]
			}
		}
	}
}

// time reads the time of the object just scanned.
func (d *JSON[T]) time(s *state, data []byte) (record.Time, error) {
	if s.timeStart < 0 {
		return 0, ErrNoTime
	}
	tv := data[s.timeStart:s.timeEnd]
	for _, seg := range d.path[s.timeLevel:] {
		var ok bool
		if tv, ok = member(tv, seg); !ok {
			return 0, ErrNoTime
		}
	}
	return d.format.fromJSON(tv, s.buf[:0])
}

// member returns the value named seg in the valid JSON value v: the last
// key of an object matching seg as encoding/json matches a field name, or
// the element of an array at the index seg.
func member(v []byte, seg string) ([]byte, bool) {
	s := state{data: v}
	switch v[0] {
	case '{':
		s.tpath, s.tfold = []string{seg}, []string{string(foldName([]byte(seg)))}
		s.timeStart = -1
		s.object(nil, nil)
		if s.err != nil || s.timeStart < 0 {
			return nil, false
		}
		return v[s.timeStart:s.timeEnd], true
	case '[':
		n, err := strconv.Atoi(seg)
		if err != nil || n < 0 || seg != strconv.Itoa(n) {
			return nil, false
		}
		s.i++
		for k := 0; ; k++ {
			s.skipSpace()
			if s.data[s.i] == ']' {
				return nil, false
			}
			start := s.i
			s.value(nil, nil)
			if s.err != nil {
				return nil, false
			}
			if k == n {
				return v[start:s.i], true
			}
			s.skipSpace()
			if s.data[s.i] != ',' {
				return nil, false
			}
			s.i++
		}
	}
	return nil, false
}
