package auction

import (
	"errors"
	"fmt"

	"github.com/rowtime/rowtime/examples/internal/payload"
	"github.com/rowtime/rowtime/record/decode"
)

// ErrDecode is wrapped by every error of Decode and AppendRecords, beside
// the decode package's own (decode.ErrSyntax, decode.ErrValue,
// decode.ErrNoTime, ...).
var ErrDecode = errors.New("auction: cannot decode bid")

// decoder reads Bid payloads, their time from EventTimestamp in Unix seconds
// (a number or a numeric string; a fraction is kept to the nanosecond).
var decoder = func() *decode.JSON[Bid] {
	d, err := decode.NewJSON[Bid](TimeField, decode.Seconds)
	if err != nil {
		panic(err) // constant arguments
	}
	return d
}()

// Decode decodes a payload holding one bid: a JSON object with the fields
// of Bid and EventTimestamp in Unix seconds, as a number or a numeric string.
func Decode(data []byte) (Record, error) {
	return payload.One(decoder, data, ErrDecode)
}

// AppendRecords decodes a Kinesis payload holding one or more bids as JSON
// lines and appends them to dst. A bid that cannot be decoded does not stop
// the others: the error (a decode.Errors, wrapped with ErrDecode)
// lists every one with its line.
func AppendRecords(dst []Record, data []byte) ([]Record, error) {
	dst, err := decoder.Append(dst, data, 0)
	if err != nil {
		return dst, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return dst, nil
}
