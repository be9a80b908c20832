// Package payload decodes the Kinesis payloads of the example programs that
// hold exactly one JSON object, with a decode.JSON, and words their
// errors for a single object.
package payload

import (
	"errors"
	"fmt"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
)

// One decodes a payload holding exactly one object with d. Every
// error wraps errDecode, the example's own sentinel, beside the record
// decode package's errors (decode.ErrSyntax, decode.ErrValue, decode.ErrNoTime,
// ...); the error of the one object is worded without the record and line
// numbers, which say nothing there.
func One[T any](d *decode.JSON[T], payload []byte, errDecode error) (record.Of[T], error) {
	var buf [1]record.Of[T]
	recs, err := d.Append(buf[:0], payload, 0)
	switch {
	case err != nil:
		return record.Of[T]{}, oneError(err, errDecode)
	case len(recs) != 1:
		return record.Of[T]{}, fmt.Errorf("%w: %d objects in one payload, want 1", errDecode, len(recs))
	}
	return recs[0], nil
}

func oneError(err, errDecode error) error {
	var de *decode.Error
	if errs, ok := err.(decode.Errors); ok && len(errs) == 1 && errors.As(err, &de) {
		msg := fmt.Sprintf("%v: %v", errDecode, de.Err)
		if de.Field != "" {
			msg = fmt.Sprintf("%v: field %q: %v", errDecode, de.Field, de.Err)
		}
		return &decodeError{msg: msg, errs: []error{errDecode, err}}
	}
	return fmt.Errorf("%w: %w", errDecode, err)
}

type decodeError struct {
	msg  string
	errs []error
}

func (e *decodeError) Error() string   { return e.msg }
func (e *decodeError) Unwrap() []error { return e.errs }
