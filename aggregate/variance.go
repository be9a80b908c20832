package aggregate

import (
	"encoding/binary"
	"fmt"
	"math"
)

// VarState is the accumulator of VarPop, VarSamp, StddevPop and StddevSamp:
// the count, mean and sum of squared deviations of the finite values
// (Welford's method), and the count of NaN and infinite ones. The zero
// VarState is empty.
//
// Values near float64's limits (|x| ≥ 2^480, whose squared deviations could
// overflow) are kept apart, scaled down, behind a pointer that stays nil
// until one arrives: a variance that exceeds float64 is +Inf, and once such
// values have left a sliding window its variance is that of the values
// left. VarState is a value: copies of it are independent.
type VarState struct {
	w  welford // the finite values below hugeVar
	nf int64   // NaN and infinite values, kept out of w
	// big holds the values with |x| ≥ hugeVar, scaled by 2^-varScale; nil
	// when there are none. It is never changed in place, since copies of
	// the state share it: a change stores a new one.
	big *welford
}

// welford is a count, mean and sum of squared deviations.
type welford struct {
	n    int64
	mean float64
	m2   float64
}

const (
	hugeVar  = 0x1p480 // values this large or larger go to VarState.big
	varScale = 600     // ... scaled by 2^-varScale, so never subnormal
)

func (w *welford) add(x float64) {
	w.n++
	d := x - w.mean
	w.mean += d / float64(w.n)
	w.m2 += d * (x - w.mean)
}

// remove runs add backwards.
func (w *welford) remove(x float64) {
	if w.n <= 1 {
		*w = welford{}
		return
	}
	n := w.n - 1
	mean := w.mean - (x-w.mean)/float64(n)
	w.m2 -= (x - mean) * (x - w.mean)
	if w.m2 < 0 || n == 1 { // rounding: a variance is never negative, and one value has none
		w.m2 = 0
	}
	w.n, w.mean = n, mean
}

// merge is Chan et al.'s pairwise formula.
func (w *welford) merge(src *welford) {
	switch {
	case src.n == 0:
		return
	case w.n == 0:
		*w = *src
		return
	}
	n := w.n + src.n
	d := src.mean - w.mean
	fn, fa, fb := float64(n), float64(w.n), float64(src.n)
	w.mean += d * fb / fn
	w.m2 += src.m2 + d*d*fa*fb/fn
	w.n = n
}

// variance returns the sum of squared deviations of all the finite values
// divided by div, +Inf when it exceeds float64. The part of the values near
// float64's limits is divided before it is scaled back, so that only a
// variance beyond float64 overflows.
func (a *VarState) variance(div float64) float64 {
	if a.big == nil {
		return a.w.m2 / div
	}
	b := a.big
	scaled := b.m2
	if a.w.n > 0 {
		// Chan's merge term, in the scaled units of big.
		d := b.mean - math.Ldexp(a.w.mean, -varScale)
		fa, fb := float64(a.w.n), float64(b.n)
		scaled += d * d * fa * fb / (fa + fb)
	}
	return a.w.m2/div + math.Ldexp(scaled/div, 2*varScale)
}

func (a *VarState) count() int64 {
	if a.big == nil {
		return a.w.n
	}
	return a.w.n + a.big.n
}

// changeBig applies f to a copy of big and stores the copy (nil if empty).
func (a *VarState) changeBig(f func(*welford)) {
	var b welford
	if a.big != nil {
		b = *a.big
	}
	f(&b)
	if b.n == 0 {
		a.big = nil
		return
	}
	a.big = &b
}

func isHugeVar(x float64) bool { return x >= hugeVar || x <= -hugeVar }

// VarPop returns the aggregate VAR_POP(f(r)), the population variance
// Σ(x−mean)²/n, as a float64. It is computed with Welford's online method,
// merged with Chan et al.'s pairwise formula and removed by running Welford
// backwards, so it stays accurate when the mean is large compared with the
// spread (the textbook Σx²−(Σx)²/n does not). It is a Remover and a
// StateCodec.
//
// Remove's rounding is of the order of 1e-16 times the variance of the
// values removed, an absolute error: a sliding window whose values are far
// closer together than those that have left it sees it as a relative error.
//
// The variance of no records is NaN; wrap it in OrNull for SQL's NULL.
// A NaN or infinite input makes the variance NaN, as in IEEE 754 (the
// deviation of an infinity from an infinite mean is NaN). Such inputs are
// counted apart from the finite ones, so Remove takes them out again
// exactly: once they have left a sliding window, its variance is that of the
// finite values left.
func VarPop[R any, N Number](f func(R) N) Func[R, VarState, float64] {
	return &variance[R, N]{f: f, kind: varPop}
}

// VarSamp returns the aggregate VAR_SAMP(f(r)), the sample variance
// Σ(x−mean)²/(n−1). It is NaN for fewer than two records (SQL gives NULL;
// wrap in OrNull to get NULL for no records). Otherwise as VarPop.
func VarSamp[R any, N Number](f func(R) N) Func[R, VarState, float64] {
	return &variance[R, N]{f: f, kind: varSamp}
}

// StddevPop returns the aggregate STDDEV_POP(f(r)), the square root of
// VarPop.
func StddevPop[R any, N Number](f func(R) N) Func[R, VarState, float64] {
	return &variance[R, N]{f: f, kind: stddevPop}
}

// StddevSamp returns the aggregate STDDEV_SAMP(f(r)), the square root of
// VarSamp. It is NaN for fewer than two records.
func StddevSamp[R any, N Number](f func(R) N) Func[R, VarState, float64] {
	return &variance[R, N]{f: f, kind: stddevSamp}
}

type varKind uint8

const (
	varPop varKind = iota
	varSamp
	stddevPop
	stddevSamp
)

type variance[R any, N Number] struct {
	f    func(R) N
	kind varKind
}

func (s *variance[R, N]) Add(a *VarState, r R) {
	x := float64(s.f(r))
	switch {
	case x-x != 0: // NaN or ±Inf
		a.nf++
	case isHugeVar(x):
		a.changeBig(func(b *welford) { b.add(math.Ldexp(x, -varScale)) })
	default:
		a.w.add(x)
	}
}

func (s *variance[R, N]) Remove(a *VarState, r R) {
	x := float64(s.f(r))
	switch {
	case x-x != 0:
		a.nf--
	case isHugeVar(x):
		a.changeBig(func(b *welford) { b.remove(math.Ldexp(x, -varScale)) })
	default:
		a.w.remove(x)
	}
}

func (s *variance[R, N]) Merge(dst, src *VarState) {
	dst.nf += src.nf
	dst.w.merge(&src.w)
	if src.big != nil {
		if dst.big == nil {
			dst.big = src.big // never changed in place: safe to share
		} else {
			dst.changeBig(func(b *welford) { b.merge(src.big) })
		}
	}
}

func (s *variance[R, N]) Result(a *VarState) float64 {
	div := float64(a.count())
	if s.kind == varSamp || s.kind == stddevSamp {
		div--
	}
	if div <= 0 || a.nf != 0 {
		return math.NaN()
	}
	v := a.variance(div)
	if s.kind == stddevPop || s.kind == stddevSamp {
		return math.Sqrt(v)
	}
	return v
}

// A state encodes as the finite count n (varint), the non-finite count
// (uvarint), and, when n > 0, mean and m2 (8 bytes each). When the state
// holds values near float64's limits, n is written as −(n+1), and the
// scaled count (varint, positive), mean and m2 of those follow.
func (s *variance[R, N]) AppendState(dst []byte, a *VarState) ([]byte, error) {
	if a.big == nil {
		dst = binary.AppendVarint(dst, a.w.n)
	} else {
		dst = binary.AppendVarint(dst, -(a.w.n + 1))
	}
	dst = binary.AppendUvarint(dst, uint64(a.nf))
	if a.w.n > 0 {
		dst = appendFloat(appendFloat(dst, a.w.mean), a.w.m2)
	}
	if a.big != nil {
		dst = binary.AppendVarint(dst, a.big.n)
		dst = appendFloat(appendFloat(dst, a.big.mean), a.big.m2)
	}
	return dst, nil
}

func (s *variance[R, N]) ReadState(a *VarState, src []byte) (int, error) {
	cnt, n, err := readVarint(src)
	if err != nil {
		return 0, err
	}
	hasBig := cnt < 0
	if hasBig {
		cnt = -(cnt + 1)
	}
	nf, m, err := readUvarint(src[n:])
	if err != nil {
		return 0, err
	}
	if nf > uint64(math.MaxInt64-cnt) {
		return 0, fmt.Errorf("%w: count of values overflows", errCorrupt)
	}
	n += m
	out := VarState{w: welford{n: cnt}, nf: int64(nf)}
	if cnt > 0 {
		if out.w.mean, out.w.m2, m, err = readMeanM2(src[n:]); err != nil {
			return 0, err
		}
		n += m
	}
	if hasBig {
		bn, m, err := readVarint(src[n:])
		if err != nil {
			return 0, err
		}
		if bn <= 0 || bn > math.MaxInt64-cnt-int64(nf) {
			return 0, fmt.Errorf("%w: bad count %d of values near the float64 limits", errCorrupt, bn)
		}
		n += m
		b := welford{n: bn}
		if b.mean, b.m2, m, err = readMeanM2(src[n:]); err != nil {
			return 0, err
		}
		n += m
		out.big = &b
	}
	*a = out
	return n, nil
}

func readMeanM2(src []byte) (mean, m2 float64, n int, err error) {
	if len(src) < 16 {
		return 0, 0, 0, ErrTruncated
	}
	mean, _, _ = readFloat(src)
	m2, _, _ = readFloat(src[8:])
	if m2 < 0 {
		return 0, 0, 0, fmt.Errorf("%w: negative sum of squares", errCorrupt)
	}
	return mean, m2, 16, nil
}
