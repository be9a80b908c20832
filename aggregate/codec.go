package aggregate

import (
	"errors"
	"fmt"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
)

// Errors of state decoding and of constructors. Errors returned by this
// package wrap one of them; test with errors.Is.
var (
	// ErrCorrupt reports an encoded state that cannot be decoded. It is
	// the same value as record.ErrSnapshot, the one error for unreadable
	// or mismatched state, so errors.Is with either name matches.
	//
	// Deprecated: use record.ErrSnapshot.
	ErrCorrupt = record.ErrSnapshot
	// ErrTruncated reports an encoded state that ends too early. It wraps
	// record.ErrSnapshot.
	ErrTruncated = fmt.Errorf("%w: aggregate: truncated state", record.ErrSnapshot)
	// ErrVersion reports an encoded state written by an unknown format
	// version. It wraps record.ErrSnapshot.
	ErrVersion = fmt.Errorf("%w: aggregate: unknown state version", record.ErrSnapshot)
	// ErrK reports a top-K size below 1.
	ErrK = errors.New("aggregate: K must be at least 1")
	// ErrCapacity reports a summary capacity smaller than K.
	ErrCapacity = errors.New("aggregate: capacity must be at least K")
	// ErrMismatch reports states that cannot be combined or restored because
	// they were built with different parameters. It is the same value as
	// record.ErrSnapshot (and ErrCorrupt).
	//
	// Deprecated: use record.ErrSnapshot.
	ErrMismatch = record.ErrSnapshot
)

// appendValue and readValue encode a record's column kept in a state, such as
// the extreme of Min or the items of TopK, with record's generic codec.
func appendValue[V any](dst []byte, v V) ([]byte, error) {
	return codec.Append(dst, v)
}

// readValue decodes one value from the front of src into *v; on error *v is
// unchanged and the error wraps record.ErrSnapshot.
func readValue[V any](src []byte, v *V) (int, error) {
	n, err := codec.Read(src, v)
	if err != nil {
		return 0, fmt.Errorf("aggregate: corrupt state: %w", err)
	}
	return n, nil
}

// errCorrupt and errMismatch are what this package wraps for unreadable and
// mismatched state: record.ErrSnapshot, with a word on which.
var (
	errCorrupt  = fmt.Errorf("%w: aggregate: corrupt state", record.ErrSnapshot)
	errMismatch = fmt.Errorf("%w: aggregate: parameters do not match", record.ErrSnapshot)
)
