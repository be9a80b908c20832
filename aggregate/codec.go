package aggregate

import (
	"errors"
	"fmt"

	"github.com/rowtime/rowtime/record"
)

// Errors of state decoding and of constructors. Errors returned by this
// package wrap one of them; test with errors.Is.
var (
	// ErrCorrupt reports an encoded state that cannot be decoded.
	ErrCorrupt = errors.New("aggregate: corrupt state")
	// ErrTruncated reports an encoded state that ends too early. It wraps
	// ErrCorrupt.
	ErrTruncated = fmt.Errorf("%w: truncated", ErrCorrupt)
	// ErrVersion reports an encoded state written by an unknown format
	// version. It wraps ErrCorrupt.
	ErrVersion = fmt.Errorf("%w: unknown version", ErrCorrupt)
	// ErrK reports a top-K size below 1.
	ErrK = errors.New("aggregate: K must be at least 1")
	// ErrCapacity reports a summary capacity smaller than K.
	ErrCapacity = errors.New("aggregate: capacity must be at least K")
	// ErrMismatch reports states that cannot be combined or restored because
	// they were built with different parameters.
	ErrMismatch = errors.New("aggregate: parameters do not match")
)

// appendValue and readValue encode a record's column kept in a state, such as
// the extreme of Min or the items of TopK, with record's generic codec.
func appendValue[V any](dst []byte, v V) ([]byte, error) {
	return record.AppendBinary(dst, v)
}

// readValue decodes one value from the front of src into *v; on error *v is
// unchanged and the error wraps both ErrCorrupt and record.ErrCodec.
func readValue[V any](src []byte, v *V) (int, error) {
	n, err := record.ReadBinary(src, v)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return n, nil
}
