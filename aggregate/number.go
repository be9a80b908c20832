package aggregate

import (
	"encoding/binary"
	"math"
)

// Number is the constraint of the values that Sum, Avg and the variance
// aggregates accept: every integer and floating-point kind, including named
// types built on them (such as time.Duration). Complex numbers are left out
// because SQL has no complex aggregates and they have no order.
//
// Integer sums are exact in the integer type itself and wrap on overflow the
// way Go arithmetic does; floating-point sums are compensated (see Sum).
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64
}

// numKind says how a Number type parameter behaves, decided once at
// construction so that Add branches on a field rather than on reflection.
type numKind uint8

const (
	kindSigned numKind = iota
	kindUnsigned
	kindFloat
)

func kindOf[N Number]() numKind {
	half, minusOne := 0.5, -1
	switch {
	case N(half) != 0:
		return kindFloat
	case N(minusOne) < 0:
		return kindSigned
	default:
		return kindUnsigned
	}
}

// appendNum appends a self-delimiting encoding of v: a zigzag varint for
// signed integers, a varint for unsigned ones, 8 little-endian bytes of the
// float64 value for floats (exact for float32 too, NaN payloads included).
func appendNum[N Number](dst []byte, k numKind, v N) []byte {
	switch k {
	case kindSigned:
		return binary.AppendVarint(dst, int64(v))
	case kindUnsigned:
		return binary.AppendUvarint(dst, uint64(v))
	default:
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(float64(v)))
	}
}

// readNum decodes what appendNum wrote, rejecting values that do not fit N.
func readNum[N Number](src []byte, k numKind) (N, int, error) {
	switch k {
	case kindSigned:
		x, n := binary.Varint(src)
		if n <= 0 {
			return 0, 0, errTruncated(n)
		}
		if v := N(x); int64(v) == x {
			return v, n, nil
		}
	case kindUnsigned:
		x, n := binary.Uvarint(src)
		if n <= 0 {
			return 0, 0, errTruncated(n)
		}
		if v := N(x); uint64(v) == x {
			return v, n, nil
		}
	default:
		if len(src) < 8 {
			return 0, 0, ErrTruncated
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(src))
		if v := N(f); float64(v) == f || f != f {
			return v, 8, nil
		}
	}
	return 0, 0, ErrCorrupt
}

func errTruncated(n int) error {
	if n == 0 {
		return ErrTruncated
	}
	return ErrCorrupt
}

// readVarint and readFloat decode fixed-type fields of a state.
func readVarint(src []byte) (int64, int, error) {
	x, n := binary.Varint(src)
	if n <= 0 {
		return 0, 0, errTruncated(n)
	}
	return x, n, nil
}

func readUvarint(src []byte) (uint64, int, error) {
	x, n := binary.Uvarint(src)
	if n <= 0 {
		return 0, 0, errTruncated(n)
	}
	return x, n, nil
}

func appendFloat(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

func readFloat(src []byte) (float64, int, error) {
	if len(src) < 8 {
		return 0, 0, ErrTruncated
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(src)), 8, nil
}

// isNaN reports whether v is a NaN, for any ordered type: only a NaN is
// unequal to itself.
func isNaN[V comparable](v V) bool { return v != v }
