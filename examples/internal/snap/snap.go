// Package snap writes and reads the snapshot of a query made of several
// operators: a version byte, then each operator's own snapshot behind its
// length. The example queries (auction, trending) use it for their
// AppendSnapshot and Restore.
package snap

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrSnapshot is wrapped by every error of Read.
var ErrSnapshot = errors.New("snapshot")

// An Appender writes an operator's snapshot.
type Appender interface {
	AppendSnapshot(dst []byte) ([]byte, error)
}

// A Restorer reads an operator's snapshot. On error it is unchanged.
type Restorer interface {
	Restore(data []byte) error
}

// Append appends version and then each part's snapshot, length first.
func Append(dst []byte, version byte, parts ...Appender) ([]byte, error) {
	start := len(dst)
	dst = append(dst, version)
	var body []byte
	for i, p := range parts {
		var err error
		body, err = p.AppendSnapshot(body[:0])
		if err != nil {
			return dst[:start], fmt.Errorf("part %d: %w", i+1, err)
		}
		dst = binary.AppendUvarint(dst, uint64(len(body)))
		dst = append(dst, body...)
	}
	return dst, nil
}

// Read restores each part from data, written by Append with the same
// version and as many parts. Callers restore into fresh operators and keep
// them only when Read succeeds, so that a failed restore changes nothing.
// The error wraps ErrSnapshot, and the part's own error when it has one.
func Read(data []byte, version byte, parts ...Restorer) error {
	if len(data) == 0 {
		return fmt.Errorf("%w: empty", ErrSnapshot)
	}
	if data[0] != version {
		return fmt.Errorf("%w: version %d, want %d", ErrSnapshot, data[0], version)
	}
	rest := data[1:]
	for i, p := range parts {
		n, l := binary.Uvarint(rest)
		if l <= 0 || n > uint64(len(rest)-l) {
			return fmt.Errorf("%w: part %d: truncated", ErrSnapshot, i+1)
		}
		if err := p.Restore(rest[l : l+int(n)]); err != nil {
			return fmt.Errorf("%w: part %d: %w", ErrSnapshot, i+1, err)
		}
		rest = rest[l+int(n):]
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d bytes after the last part", ErrSnapshot, len(rest))
	}
	return nil
}
