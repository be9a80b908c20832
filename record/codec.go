package record

import (
	"encoding/binary"
	"reflect"

	"github.com/rowtime/rowtime/record/codec"
)

// The binary codec of snapshots is package [codec]; the names below forward
// to it for code written before it moved.

// ErrCodec is [codec.ErrCodec], the same value as [ErrSnapshot].
//
// Deprecated: use [ErrSnapshot] or [codec.ErrCodec].
var ErrCodec = codec.ErrCodec

// AppendBinary is [codec.Append].
//
// Deprecated: use [codec.Append].
func AppendBinary[T any](dst []byte, v T) ([]byte, error) {
	// A Time takes the path without reflection, as it did before the
	// codec moved out of this package.
	if _, ok := any((*T)(nil)).(*Time); ok {
		return binary.AppendVarint(dst, int64(any(v).(Time))), nil
	}
	return codec.Append(dst, v)
}

// ReadBinary is [codec.Read].
//
// Deprecated: use [codec.Read].
func ReadBinary[T any](src []byte, v *T) (n int, err error) {
	if p, ok := any(v).(*Time); ok {
		var x int64
		n, err := codec.Read(src, &x)
		if err == nil {
			*p = Time(x)
		}
		return n, err
	}
	return codec.Read(src, v)
}

// CheckCodec is [codec.Check].
//
// Deprecated: use [codec.Check].
func CheckCodec[T any]() error { return codec.Check[T]() }

// CheckCodecType is [codec.CheckType].
//
// Deprecated: use [codec.CheckType].
func CheckCodecType(t reflect.Type) error { return codec.CheckType(t) }
