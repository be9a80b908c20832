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
type VarState struct {
	n    int64 // finite values
	mean float64
	m2   float64
	nf   int64 // NaN and infinite values, kept out of n, mean and m2
}

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
	return variance[R, N]{f: f, kind: varPop}
}

// VarSamp returns the aggregate VAR_SAMP(f(r)), the sample variance
// Σ(x−mean)²/(n−1). It is NaN for fewer than two records (SQL gives NULL;
// wrap in OrNull to get NULL for no records). Otherwise as VarPop.
func VarSamp[R any, N Number](f func(R) N) Func[R, VarState, float64] {
	return variance[R, N]{f: f, kind: varSamp}
}

// StddevPop returns the aggregate STDDEV_POP(f(r)), the square root of
// VarPop.
func StddevPop[R any, N Number](f func(R) N) Func[R, VarState, float64] {
	return variance[R, N]{f: f, kind: stddevPop}
}

// StddevSamp returns the aggregate STDDEV_SAMP(f(r)), the square root of
// VarSamp. It is NaN for fewer than two records.
func StddevSamp[R any, N Number](f func(R) N) Func[R, VarState, float64] {
	return variance[R, N]{f: f, kind: stddevSamp}
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

func (s variance[R, N]) Add(a *VarState, r R) {
	x := float64(s.f(r))
	if x-x != 0 { // NaN or ±Inf
		a.nf++
		return
	}
	a.n++
	d := x - a.mean
	a.mean += d / float64(a.n)
	a.m2 += d * (x - a.mean)
}

func (s variance[R, N]) Remove(a *VarState, r R) {
	x := float64(s.f(r))
	if x-x != 0 {
		a.nf--
		return
	}
	if a.n <= 1 {
		*a = VarState{nf: a.nf}
		return
	}
	n := a.n - 1
	mean := a.mean - (x-a.mean)/float64(n)
	a.m2 -= (x - mean) * (x - a.mean)
	if a.m2 < 0 || n == 1 { // rounding: a variance is never negative, and one value has none
		a.m2 = 0
	}
	a.n, a.mean = n, mean
}

func (s variance[R, N]) Merge(dst, src *VarState) {
	dst.nf += src.nf
	switch {
	case src.n == 0:
		return
	case dst.n == 0:
		dst.n, dst.mean, dst.m2 = src.n, src.mean, src.m2
		return
	}
	n := dst.n + src.n
	d := src.mean - dst.mean
	fn, fa, fb := float64(n), float64(dst.n), float64(src.n)
	dst.mean += d * fb / fn
	dst.m2 += src.m2 + d*d*fa*fb/fn
	dst.n = n
}

func (s variance[R, N]) Result(a *VarState) float64 {
	div := float64(a.n)
	if s.kind == varSamp || s.kind == stddevSamp {
		div--
	}
	if div <= 0 || a.nf != 0 {
		return math.NaN()
	}
	v := a.m2 / div
	if s.kind == stddevPop || s.kind == stddevSamp {
		return math.Sqrt(v)
	}
	return v
}

// A state encodes as the finite count n (varint), the non-finite count
// (uvarint), and, when n > 0, mean and m2 (8 bytes each).
func (s variance[R, N]) AppendState(dst []byte, a *VarState) ([]byte, error) {
	dst = binary.AppendVarint(dst, a.n)
	dst = binary.AppendUvarint(dst, uint64(a.nf))
	if a.n == 0 {
		return dst, nil
	}
	return appendFloat(appendFloat(dst, a.mean), a.m2), nil
}

func (s variance[R, N]) ReadState(a *VarState, src []byte) (int, error) {
	cnt, n, err := readVarint(src)
	if err != nil {
		return 0, err
	}
	if cnt < 0 {
		return 0, errCorrupt
	}
	nf, m, err := readUvarint(src[n:])
	if err != nil {
		return 0, err
	}
	if nf > uint64(math.MaxInt64-cnt) {
		return 0, fmt.Errorf("%w: count of values overflows", errCorrupt)
	}
	n += m
	if cnt == 0 {
		*a = VarState{nf: int64(nf)}
		return n, nil
	}
	if len(src)-n < 16 {
		return 0, ErrTruncated
	}
	mean, _, _ := readFloat(src[n:])
	m2, _, _ := readFloat(src[n+8:])
	if m2 < 0 {
		return 0, fmt.Errorf("%w: negative sum of squares", errCorrupt)
	}
	*a = VarState{n: cnt, mean: mean, m2: m2, nf: int64(nf)}
	return n + 16, nil
}
