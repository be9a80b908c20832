package aggregate

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
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
	// ErrNoCodec reports a value type that has no binary encoding: not a
	// bool, number, string or []byte, and not an encoding.BinaryMarshaler
	// (or BinaryAppender) with a pointer that is an
	// encoding.BinaryUnmarshaler.
	ErrNoCodec = errors.New("aggregate: value type has no binary encoding")
	// ErrK reports a top-K size below 1.
	ErrK = errors.New("aggregate: K must be at least 1")
	// ErrCapacity reports a summary capacity smaller than K.
	ErrCapacity = errors.New("aggregate: capacity must be at least K")
	// ErrMismatch reports states that cannot be combined or restored because
	// they were built with different parameters.
	ErrMismatch = errors.New("aggregate: parameters do not match")
)

// valueCodec encodes values of one type: record columns kept in a state, such
// as the extreme of Min or the items of TopK. Scalars (bools, integers,
// floats, strings, byte slices and named types built on them) have a compact
// built-in encoding; other types must marshal themselves.
type valueCodec[V any] struct {
	kind reflect.Kind
	err  error // why V cannot be encoded, if it cannot
}

func newValueCodec[V any]() valueCodec[V] {
	t := reflect.TypeFor[V]()
	pt := reflect.PointerTo(t)
	isBinary := (t.Implements(reflect.TypeFor[encoding.BinaryAppender]()) ||
		t.Implements(reflect.TypeFor[encoding.BinaryMarshaler]())) &&
		pt.Implements(reflect.TypeFor[encoding.BinaryUnmarshaler]())
	if isBinary {
		return valueCodec[V]{kind: reflect.Interface}
	}
	switch k := t.Kind(); k {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return valueCodec[V]{kind: k}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return valueCodec[V]{kind: k}
		}
	}
	return valueCodec[V]{err: fmt.Errorf("%w: %v", ErrNoCodec, t)}
}

func (c valueCodec[V]) append(dst []byte, v V) ([]byte, error) {
	if c.err != nil {
		return dst, c.err
	}
	if c.kind == reflect.Interface {
		var b []byte
		var err error
		switch m := any(v).(type) {
		case encoding.BinaryAppender:
			b, err = m.AppendBinary(nil)
		case encoding.BinaryMarshaler:
			b, err = m.MarshalBinary()
		}
		if err != nil {
			return dst, err
		}
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		return append(dst, b...), nil
	}
	rv := reflect.ValueOf(&v).Elem()
	switch c.kind {
	case reflect.Bool:
		if rv.Bool() {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(dst, rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(dst, rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return appendFloat(dst, rv.Float()), nil
	case reflect.String:
		s := rv.String()
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		return append(dst, s...), nil
	default: // []byte
		b := rv.Bytes()
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		return append(dst, b...), nil
	}
}

// read decodes one value from the front of src into *v; on error *v is
// unchanged.
func (c valueCodec[V]) read(src []byte, v *V) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	var out V
	rv := reflect.ValueOf(&out).Elem()
	var n int
	switch c.kind {
	case reflect.Interface, reflect.String, reflect.Slice:
		l, m, err := readUvarint(src)
		if err != nil {
			return 0, err
		}
		if l > uint64(len(src)-m) {
			return 0, ErrTruncated
		}
		b := src[m : m+int(l)]
		n = m + int(l)
		switch c.kind {
		case reflect.Interface:
			if err := any(&out).(encoding.BinaryUnmarshaler).UnmarshalBinary(b); err != nil {
				return 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
		case reflect.String:
			rv.SetString(string(b))
		default:
			rv.SetBytes(append([]byte(nil), b...))
		}
	case reflect.Bool:
		if len(src) < 1 {
			return 0, ErrTruncated
		}
		if src[0] > 1 {
			return 0, ErrCorrupt
		}
		rv.SetBool(src[0] == 1)
		n = 1
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, m, err := readVarint(src)
		if err != nil {
			return 0, err
		}
		if rv.OverflowInt(x) {
			return 0, ErrCorrupt
		}
		rv.SetInt(x)
		n = m
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, m, err := readUvarint(src)
		if err != nil {
			return 0, err
		}
		if rv.OverflowUint(x) {
			return 0, ErrCorrupt
		}
		rv.SetUint(x)
		n = m
	default: // floats
		f, m, err := readFloat(src)
		if err != nil {
			return 0, err
		}
		if c.kind == reflect.Float32 && float64(float32(f)) != f && !math.IsNaN(f) {
			return 0, ErrCorrupt
		}
		rv.SetFloat(f)
		n = m
	}
	*v = out
	return n, nil
}
