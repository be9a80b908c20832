package auction

import (
	"errors"
	"fmt"

	"github.com/rowtime/rowtime/record"
)

// ErrDecode is wrapped by every error of Decode and AppendRecords, beside
// the record package's own (record.ErrSyntax, record.ErrValue,
// record.ErrNoTime, ...).
var ErrDecode = errors.New("auction: cannot decode bid")

// decoder reads Bid payloads, their time from EventTimestamp in Unix seconds
// (a number or a numeric string; a fraction is kept to the nanosecond).
var decoder = func() *record.Decoder[Bid] {
	d, err := record.NewDecoder[Bid](TimeField, record.TimeSeconds)
	if err != nil {
		panic(err) // constant arguments
	}
	return d
}()

// Decode decodes a payload holding one bid: a JSON object with the fields
// of Bid and EventTimestamp in Unix seconds, as a number or a numeric string.
func Decode(payload []byte) (Record, error) {
	var buf [1]Record
	recs, err := decoder.Append(buf[:0], payload, 0)
	switch {
	case err != nil:
		return Record{}, oneError(err)
	case len(recs) != 1:
		return Record{}, fmt.Errorf("%w: %d objects in one payload, want 1", ErrDecode, len(recs))
	}
	return recs[0], nil
}

// AppendRecords decodes a Kinesis payload holding one or more bids as JSON
// lines and appends them to dst. A bid that cannot be decoded does not stop
// the others: the error (a record.DecodeErrors, wrapped with ErrDecode)
// lists every one with its line.
func AppendRecords(dst []Record, payload []byte) ([]Record, error) {
	dst, err := decoder.Append(dst, payload, 0)
	if err != nil {
		return dst, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return dst, nil
}

// oneError words the error of a one-object payload without the record and
// line numbers, which say nothing there; it still wraps the record package's
// errors.
func oneError(err error) error {
	var de *record.DecodeError
	if errs, ok := err.(record.DecodeErrors); ok && len(errs) == 1 && errors.As(err, &de) {
		msg := fmt.Sprintf("%v: %v", ErrDecode, de.Err)
		if de.Field != "" {
			msg = fmt.Sprintf("%v: field %q: %v", ErrDecode, de.Field, de.Err)
		}
		return &decodeError{msg: msg, err: err}
	}
	return fmt.Errorf("%w: %w", ErrDecode, err)
}

type decodeError struct {
	msg string
	err error
}

func (e *decodeError) Error() string   { return e.msg }
func (e *decodeError) Unwrap() []error { return []error{ErrDecode, e.err} }
