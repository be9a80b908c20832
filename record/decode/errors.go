package decode

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of decoding, wrapped by the Err of an [Error]. A time
// that does not parse or lies outside the range of record.Time wraps
// record.ErrTimeFormat or record.ErrTimeRange instead.
var (
	// ErrSyntax means input is not well-formed: a JSON value that is not
	// an object, an object that is not valid JSON or nests deeper than
	// encoding/json allows (10,000 levels), a CSV line with a stray quote.
	ErrSyntax = errors.New("decode: malformed input")
	// ErrValue means a well-formed value has a field whose value does not
	// fit the field of the record type (a string where a number is
	// wanted), or a CSV line has the wrong number of columns.
	ErrValue = errors.New("decode: value does not fit the record type")
	// ErrNoTime means a record lacks its time field, or holds null or an
	// empty column there.
	ErrNoTime = errors.New("decode: missing time field")
)

// An Error reports one record of a payload that could not be decoded.
type Error struct {
	// Record is the index of the payload in the batch given to
	// AppendBatch; it is 0 for Append.
	Record int
	// Line is the line of the payload where the record starts, from 1.
	Line int
	// Field names the field or column at fault, or is empty when the
	// record as a whole is malformed. A nested field is named by its path,
	// such as "detail.state", or as the time field was given, such as
	// "/detail/eventTime".
	Field string
	// Err wraps one of ErrSyntax, ErrValue, ErrNoTime,
	// record.ErrTimeFormat or record.ErrTimeRange.
	Err   error
	batch bool
}

// Error returns a message naming the record, the line and the field.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("decode: ")
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
func (e *Error) Unwrap() error { return e.Err }

// Errors is the error returned by the Append and AppendBatch methods when
// some records could not be decoded: one *[Error] per record, in input
// order. errors.Is and errors.As see every one of them.
type Errors []*Error

// Error returns the first error and how many more there are.
func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "decode: no errors"
	case 1:
		return es[0].Error()
	}
	return fmt.Sprintf("%v (and %d more errors)", es[0], len(es)-1)
}

// Unwrap returns the errors, for [errors.Is] and [errors.As].
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
