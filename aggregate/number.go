package aggregate

import (
	"encoding/binary"
	"fmt"
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
	return 0, 0, errCorrupt
}

func errTruncated(n int) error {
	if n == 0 {
		return ErrTruncated
	}
	return errCorrupt
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

// nonFinite counts the NaN, +Inf and -Inf values that a float accumulator
// holds. They are kept out of its finite arithmetic, where a single one would
// stay for good (Inf - Inf is NaN, and so is NaN - NaN), so that Remove can
// take them out again exactly. The zero nonFinite holds none.
type nonFinite struct {
	nan, pos, neg int64
	// huge counts, with sign, the multiples of hugeUnit taken out of
	// values near float64's limits (see SumState.addHuge).
	huge int64
}

// count adds d (1 or -1) to the count of x's kind; x is NaN or ±Inf.
func (c *nonFinite) count(x float64, d int64) {
	switch {
	case x != x:
		c.nan += d
	case x > 0:
		c.pos += d
	default:
		c.neg += d
	}
}

func (c *nonFinite) merge(src *nonFinite) {
	c.nan += src.nan
	c.pos += src.pos
	c.neg += src.neg
	c.huge += src.huge
}

func (c *nonFinite) zero() bool { return *c == nonFinite{} }

// total returns the sum of the values counted and finite, the sum of the
// finite values: what IEEE 754 makes of adding them all. Adding finite keeps
// IEEE 754's answer also when the finite part overflowed to an infinity of
// the other sign.
func (c *nonFinite) total(finite float64) float64 {
	if c.nan == 0 && c.pos == 0 && c.neg == 0 {
		return finite
	}
	return c.value() + finite
}

// value returns what IEEE 754 makes of adding the non-finite values counted:
// NaN when there is a NaN or infinities of both signs, otherwise the one
// infinity. It is meaningful only when c counts some.
func (c *nonFinite) value() float64 {
	switch {
	case c.nan != 0 || (c.pos != 0 && c.neg != 0):
		return math.NaN()
	case c.pos != 0:
		return math.Inf(1)
	default:
		return math.Inf(-1)
	}
}

// within reports whether the counts add up to at most n values.
func (c *nonFinite) within(n int64) bool {
	for _, k := range [...]int64{c.nan, c.pos, c.neg} {
		if k > n {
			return false
		}
		n -= k
	}
	return true
}

// appendState appends the counts compactly: a byte whose bits 0, 1 and 2
// say whether the NaN, +Inf and -Inf counts are non-zero, and bit 3 whether
// huge is, then each non-zero count as a uvarint and huge as a varint. No
// non-finite values cost one zero byte.
func (c *nonFinite) appendState(dst []byte) []byte {
	ks := [...]int64{c.nan, c.pos, c.neg}
	var mask byte
	for i, k := range ks {
		if k != 0 {
			mask |= 1 << i
		}
	}
	if c.huge != 0 {
		mask |= 1 << 3
	}
	dst = append(dst, mask)
	for _, k := range ks {
		if k != 0 {
			dst = binary.AppendUvarint(dst, uint64(k))
		}
	}
	if c.huge != 0 {
		dst = binary.AppendVarint(dst, c.huge)
	}
	return dst
}

// readState decodes what appendState wrote into *c; on error *c is
// unchanged. Counts flagged but zero, and counts beyond int64, are corrupt.
func (c *nonFinite) readState(src []byte) (int, error) {
	if len(src) == 0 {
		return 0, ErrTruncated
	}
	mask := src[0]
	if mask > 15 {
		return 0, fmt.Errorf("%w: bad non-finite count flags %#x", errCorrupt, mask)
	}
	n := 1
	var ks [3]int64
	for i := range ks {
		if mask&(1<<i) == 0 {
			continue
		}
		k, m, err := readUvarint(src[n:])
		if err != nil {
			return 0, err
		}
		if k == 0 || k > math.MaxInt64 {
			return 0, fmt.Errorf("%w: bad non-finite count %d", errCorrupt, k)
		}
		ks[i] = int64(k)
		n += m
	}
	var huge int64
	if mask&(1<<3) != 0 {
		h, m, err := readVarint(src[n:])
		if err != nil {
			return 0, err
		}
		if h == 0 {
			return 0, fmt.Errorf("%w: huge count flagged but zero", errCorrupt)
		}
		huge = h
		n += m
	}
	*c = nonFinite{nan: ks[0], pos: ks[1], neg: ks[2], huge: huge}
	return n, nil
}
