package aggregate

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"unsafe"
)

// Count returns the aggregate COUNT(*): the number of records added. Its
// accumulator is an int64, and the zero one is an empty count. It is a
// Remover and a StateCodec.
//
// To count only some records (COUNT(column) over a nullable column, or
// SUM(CASE WHEN ... THEN 1 ELSE 0 END)), wrap it in Where.
func Count[R any]() Func[R, int64, int64] { return count[R]{} }

type count[R any] struct{}

func (count[R]) Add(a *int64, _ R)     { *a++ }
func (count[R]) Remove(a *int64, _ R)  { *a-- }
func (count[R]) Merge(dst, src *int64) { *dst += *src }
func (count[R]) Result(a *int64) int64 { return *a }
func (count[R]) AppendState(dst []byte, a *int64) ([]byte, error) {
	return binary.AppendVarint(dst, *a), nil
}

func (count[R]) ReadState(a *int64, src []byte) (int, error) {
	x, n, err := readVarint(src)
	if err != nil {
		return 0, err
	}
	if x < 0 {
		return 0, errCorrupt
	}
	*a = x
	return n, nil
}

// SumState is the accumulator of Sum. The zero SumState is an empty sum.
//
// It is three words whatever N is: the non-finite values are counted behind
// a pointer that stays nil until a NaN or an infinity arrives, so that the
// common state is small and holds nothing for the garbage collector to
// follow. SumState is a value: copies of it are independent.
type SumState[N Number] struct {
	sum N
	c   N // Neumaier compensation: the low-order part lost by sum (floats only)
	// nf counts the NaN and infinite values added, kept out of sum (floats
	// only); nil when there are none. The counts it points to are never
	// changed in place, since copies of the state share them: a change
	// stores new counts.
	nf *nonFinite
}

// Sum returns the aggregate SUM(f(r)). It is a Remover and a StateCodec.
//
// Integer sums are exact, in N itself: like Go arithmetic they wrap around on
// overflow. Floating-point sums use Kahan–Neumaier compensated summation, so
// the result does not depend (beyond the last bit or so) on the order of the
// records or on how partial sums were merged. NaN propagates: a sum that
// holds a NaN is NaN, a sum that holds both +Inf and -Inf is NaN, and one
// that holds infinities of one sign is that infinity, as in IEEE 754. The
// NaNs and infinities are counted apart from the finite values, so Remove
// takes them out again exactly: once they have left a sliding window, its
// sum is that of the finite values left.
//
// The sum of no records is 0; wrap Sum in OrNull for SQL's NULL.
func Sum[R any, N Number](f func(R) N) Func[R, SumState[N], N] {
	return &sum[R, N]{f: f, kind: kindOf[N]()}
}

// The built-in aggregates are pointers with pointer methods: a Func holding
// one calls them as they are, where a Func holding a struct value calls
// each through a wrapper that copies the value first, and a windowed
// operator makes several such calls per record.
type sum[R any, N Number] struct {
	f    func(R) N
	kind numKind
}

func (s *sum[R, N]) Add(a *SumState[N], r R)     { a.add(s.kind, s.f(r)) }
func (s *sum[R, N]) Remove(a *SumState[N], r R)  { a.remove(s.kind, s.f(r)) }
func (s *sum[R, N]) Merge(dst, src *SumState[N]) { dst.merge(s.kind, src) }
func (s *sum[R, N]) Result(a *SumState[N]) N     { return a.result(s.kind) }

func (s *sum[R, N]) AppendState(dst []byte, a *SumState[N]) ([]byte, error) {
	return a.appendState(dst, s.kind), nil
}

func (s *sum[R, N]) ReadState(a *SumState[N], src []byte) (int, error) {
	return a.readState(src, s.kind)
}

// add adds v. A float NaN or infinity is counted in nf; a finite float is
// added with Neumaier's variant of Kahan summation, which stays exact when a
// term is larger than the running sum.
func (a *SumState[N]) add(k numKind, v N) {
	if k != kindFloat {
		a.sum += v
		return
	}
	if v-v != 0 { // NaN or ±Inf
		a.countNonFinite(float64(v), 1)
		return
	}
	if f, u := float64(v), hugeUnitOf[N](); f >= u || f <= -u {
		a.addHuge(f, 1)
		return
	}
	a.kahan(v)
}

// remove undoes add(k, v).
func (a *SumState[N]) remove(k numKind, v N) {
	if k != kindFloat {
		a.sum -= v
		return
	}
	if v-v != 0 {
		a.countNonFinite(float64(v), -1)
		return
	}
	if f, u := float64(v), hugeUnitOf[N](); f >= u || f <= -u {
		a.addHuge(f, -1)
		return
	}
	a.kahan(-v)
}

// hugeUnitOf splits values near the limits of N: a finite value with
// |v| ≥ u (2^1000 for float64, 2^100 for float32) is added as q·u + r, the
// integer q counted exactly beside the non-finite counts and the remainder r
// (|r| < u) summed as any other value. So a sum whose terms would overflow
// N keeps its parts finite, and once the large values have left (Remove),
// the sum is that of what is left, instead of staying infinite.
func hugeUnitOf[N Number]() float64 {
	var z N
	if unsafe.Sizeof(z) == 4 {
		return 0x1p100
	}
	return 0x1p1000
}

// addHuge adds sign·f for a finite f with |f| ≥ u: the quotient is exact,
// and so is the remainder (Sterbenz: q·u ≤ |f| < 2·q·u).
func (a *SumState[N]) addHuge(f float64, sign int64) {
	u := hugeUnitOf[N]()
	q := math.Trunc(f / u)
	r := f - q*u
	n := a.nonFinite()
	n.huge += sign * int64(q)
	a.setNonFinite(n)
	a.kahan(N(float64(sign) * r))
}

// countNonFinite adds d to the count of x's kind (NaN, +Inf or -Inf). It is
// the rare path, so it may allocate.
func (a *SumState[N]) countNonFinite(x float64, d int64) {
	n := a.nonFinite()
	n.count(x, d)
	a.setNonFinite(n)
}

// nonFinite returns the counts of non-finite values held.
func (a *SumState[N]) nonFinite() nonFinite {
	if a.nf == nil {
		return nonFinite{}
	}
	return *a.nf
}

func (a *SumState[N]) setNonFinite(n nonFinite) {
	if n.zero() {
		a.nf = nil
		return
	}
	p := new(nonFinite)
	*p = n
	a.nf = p
}

func (a *SumState[N]) kahan(v N) {
	t := a.sum + v
	if abs(a.sum) >= abs(v) {
		a.c += (a.sum - t) + v
	} else {
		a.c += (v - t) + a.sum
	}
	a.sum = t
}

func (a *SumState[N]) merge(k numKind, src *SumState[N]) {
	if k != kindFloat {
		a.sum += src.sum
		return
	}
	// src.sum is finite unless the finite values overflowed; either way it
	// belongs to the finite part, not to the counts.
	a.kahan(src.sum)
	a.c += src.c
	if src.nf != nil {
		n := a.nonFinite()
		n.merge(src.nf)
		a.setNonFinite(n)
	}
}

func (a *SumState[N]) result(k numKind) N {
	if k != kindFloat {
		return a.sum
	}
	if a.nf != nil {
		return N(a.nf.total(a.finite()))
	}
	if s := a.sum; s-s != 0 { // overflowed: the compensation is meaningless
		return s
	}
	return a.sum + a.c
}

// finite returns the sum of the finite values as a float64 (±Inf when it
// overflows float64).
func (a *SumState[N]) finite() float64 {
	s := float64(a.sum)
	if s-s == 0 { // the compensation means something only when sum is finite
		s += float64(a.c)
	}
	if a.nf != nil && a.nf.huge != 0 {
		// huge·u + s, scaled so that only a total beyond float64
		// overflows (and, converted to N, beyond N).
		u := hugeUnitOf[N]()
		return (float64(a.nf.huge) + s/u) * u
	}
	return s
}

// float returns the sum as a float64, with the compensation added in float64
// so that a float32 sum keeps the precision it gathered.
func (a *SumState[N]) float(k numKind) float64 {
	if k != kindFloat {
		return float64(a.sum)
	}
	if a.nf != nil {
		return a.nf.total(a.finite())
	}
	return a.finite()
}

// A float state encodes as sum and c (8 bytes each) and the counts of
// non-finite values (see nonFinite.appendState), an integer state as sum
// alone.
func (a *SumState[N]) appendState(dst []byte, k numKind) []byte {
	dst = appendNum(dst, k, a.sum)
	if k == kindFloat {
		dst = appendNum(dst, k, a.c)
		nf := a.nonFinite()
		dst = nf.appendState(dst)
	}
	return dst
}

func (a *SumState[N]) readState(src []byte, k numKind) (int, error) {
	var out SumState[N]
	s, n, err := readNum[N](src, k)
	if err != nil {
		return 0, err
	}
	out.sum = s
	if k == kindFloat {
		c, m, err := readNum[N](src[n:], k)
		if err != nil {
			return 0, err
		}
		out.c = c
		n += m
		var nf nonFinite
		m, err = nf.readState(src[n:])
		if err != nil {
			return 0, err
		}
		out.setNonFinite(nf)
		n += m
	}
	*a = out
	return n, nil
}

func abs[N Number](x N) N {
	if x < 0 {
		return -x
	}
	return x
}

// AvgState is the accumulator of Avg. The zero AvgState is an empty average.
type AvgState[N Number] struct {
	sum SumState[N]
	n   int64
}

// Avg returns the aggregate AVG(f(r)) as a float64, also for integer input:
// the average of 1 and 2 is 1.5 (Kinesis Data Analytics truncated integer
// averages; rowtime does not). The sum behind it is exact for integers
// (within N's range) and compensated for floats, as in Sum. It is a Remover
// and a StateCodec.
//
// The average of no records is NaN (0/0); wrap Avg in OrNull for SQL's NULL.
// NaN and infinite inputs count as Sum counts them: the average is NaN while
// a NaN (or +Inf and -Inf together) is in it, ±Inf while infinities of one
// sign are, and finite again once Remove has taken them out.
func Avg[R any, N Number](f func(R) N) Func[R, AvgState[N], float64] {
	return &avg[R, N]{f: f, kind: kindOf[N]()}
}

type avg[R any, N Number] struct {
	f    func(R) N
	kind numKind
}

func (s *avg[R, N]) Add(a *AvgState[N], r R) {
	a.sum.add(s.kind, s.f(r))
	a.n++
}

func (s *avg[R, N]) Remove(a *AvgState[N], r R) {
	a.sum.remove(s.kind, s.f(r))
	a.n--
}

func (s *avg[R, N]) Merge(dst, src *AvgState[N]) {
	dst.sum.merge(s.kind, &src.sum)
	dst.n += src.n
}

func (s *avg[R, N]) Result(a *AvgState[N]) float64 {
	if a.n == 0 {
		return math.NaN()
	}
	return a.sum.float(s.kind) / float64(a.n)
}

func (s *avg[R, N]) AppendState(dst []byte, a *AvgState[N]) ([]byte, error) {
	dst = binary.AppendVarint(dst, a.n)
	return a.sum.appendState(dst, s.kind), nil
}

func (s *avg[R, N]) ReadState(a *AvgState[N], src []byte) (int, error) {
	var out AvgState[N]
	cnt, n, err := readVarint(src)
	if err != nil {
		return 0, err
	}
	if cnt < 0 {
		return 0, errCorrupt
	}
	m, err := out.sum.readState(src[n:], s.kind)
	if err != nil {
		return 0, err
	}
	if nf := out.sum.nonFinite(); !nf.within(cnt) {
		return 0, fmt.Errorf("%w: more non-finite values than values", errCorrupt)
	}
	out.n = cnt
	*a = out
	return n + m, nil
}

// ExtremeState is the accumulator of Min and Max: the extreme value so far
// and whether there was one. The zero ExtremeState is empty.
type ExtremeState[V cmp.Ordered] struct {
	v  V
	ok bool
}

// Min returns the aggregate MIN(f(r)) over any ordered type. It is a
// StateCodec and an Extreme but not a Remover: a sliding window keeps its
// candidates instead of taking the minimum out (package window does that).
//
// The minimum of no records is the zero V; wrap Min in OrNull for SQL's NULL.
// A NaN input makes the minimum NaN, as IEEE 754's minimum does (and unlike
// cmp.Less, which orders NaN before every number).
func Min[R any, V cmp.Ordered](f func(R) V) Func[R, ExtremeState[V], V] {
	return newExtreme(f, false)
}

// Max returns the aggregate MAX(f(r)), the mirror of Min: the maximum of no
// records is the zero V, and a NaN input makes the maximum NaN.
func Max[R any, V cmp.Ordered](f func(R) V) Func[R, ExtremeState[V], V] {
	return newExtreme(f, true)
}

func newExtreme[R any, V cmp.Ordered](f func(R) V, max bool) *extreme[R, V] {
	k := reflect.TypeFor[V]().Kind()
	return &extreme[R, V]{f: f, max: max, float: k == reflect.Float32 || k == reflect.Float64}
}

type extreme[R any, V cmp.Ordered] struct {
	f     func(R) V
	max   bool
	float bool // V is a floating-point type, so NaN can occur
}

func (s *extreme[R, V]) Add(a *ExtremeState[V], r R) { s.fold(a, s.f(r)) }

func (s *extreme[R, V]) Merge(dst, src *ExtremeState[V]) {
	if src.ok {
		s.fold(dst, src.v)
	}
}

func (s *extreme[R, V]) fold(a *ExtremeState[V], v V) {
	if !a.ok {
		a.v, a.ok = v, true
		return
	}
	// A NaN compares false with everything, so only a new NaN needs the
	// second test, and a NaN already held is never replaced.
	if s.max {
		if v > a.v || (s.float && isNaN(v) && !isNaN(a.v)) {
			a.v = v
		}
	} else if v < a.v || (s.float && isNaN(v) && !isNaN(a.v)) {
		a.v = v
	}
}

func (s *extreme[R, V]) Result(a *ExtremeState[V]) V { return a.v }

// Candidates implements Extreme. A candidate is beaten by a value that
// fold would put in its place: a larger one for Max, a smaller one for Min,
// and a NaN, unless it holds a NaN. The test is fold's, written out: shared
// through a generic helper, it loads that helper's dictionary on every
// comparison (13 more instructions a row in BenchmarkOver).
func (s *extreme[R, V]) Candidates() func(q []ExtremeState[V], head int, r R) ([]ExtremeState[V], V) {
	f, max, float := s.f, s.max, s.float
	return func(q []ExtremeState[V], head int, r R) ([]ExtremeState[V], V) {
		v := f(r)
		k := len(q)
		if max {
			for k > head && (v > q[k-1].v || float && isNaN(v) && !isNaN(q[k-1].v)) {
				k--
			}
		} else {
			for k > head && (v < q[k-1].v || float && isNaN(v) && !isNaN(q[k-1].v)) {
				k--
			}
		}
		if len(q)-k > 1 {
			clear(q[k+1:]) // what the dropped candidates refer to
		}
		q = append(q[:k], ExtremeState[V]{v: v, ok: true})
		return q, q[head].v
	}
}

func (s *extreme[R, V]) AppendState(dst []byte, a *ExtremeState[V]) ([]byte, error) {
	if !a.ok {
		return append(dst, 0), nil
	}
	return appendValue(append(dst, 1), a.v)
}

func (s *extreme[R, V]) ReadState(a *ExtremeState[V], src []byte) (int, error) {
	if len(src) == 0 {
		return 0, ErrTruncated
	}
	switch src[0] {
	case 0:
		*a = ExtremeState[V]{}
		return 1, nil
	case 1:
		var v V
		n, err := readValue(src[1:], &v)
		if err != nil {
			return 0, err
		}
		*a = ExtremeState[V]{v: v, ok: true}
		return 1 + n, nil
	}
	return 0, errCorrupt
}
