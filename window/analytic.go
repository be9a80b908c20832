package window

import (
	"errors"
	"math"
	"time"
	"unsafe"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// Analytic is the extension point of [Over] for analytic functions, such
// as [Lag], [NthValue] and [ExpAvg]: functions that read the rows of the
// current row's frame by position, which the add-and-remove aggregate
// contract cannot give. An aggregate.Func that also implements Analytic
// is used this way by NewOver; its Add and Merge then only build a running
// state per row, and Result is not called.
//
// For every record, Over first computes the record's running state: the
// state of the partition's previous row, copied, with Add of the record
// (the zero A for a partition's first row). Then, for each frame, it calls
// Value with a view of the frame's rows, the current row last. A running
// state starts from an arbitrary earlier row of the partition (rows no
// frame holds are dropped, and Restore rebuilds the states from the rows it
// holds), so Value must use only differences between states, as prefix
// sums are used, never a state on its own. An A with no size (struct{})
// costs nothing: Lag and NthValue keep no states.
//
// Lookback is the number of rows before the current one that Value reads
// through FrameRows.Before, beyond the frame; Over keeps that many rows of
// each partition, and with a Lookback above 0 it keeps every partition
// until Flush, as it does for ROWS frames.
//
// The cost of a row is that of Add and of one Value per frame; an Analytic
// is as cheap per row as its Value.
type Analytic[R, A, V any] interface {
	aggregate.Func[R, A, V]
	Lookback() int
	Value(f FrameRows[R, A]) V
}

// FrameRows is a view of the rows of the current row's frame, oldest
// first, the current row at Len()−1, with their running states (see
// [Analytic]). It is valid during the call of Value only.
type FrameRows[R, A any] struct {
	p     *overPart[R, A]
	start uint64
}

// Len returns the number of rows in the frame, at least 1 (the current row).
func (f FrameRows[R, A]) Len() int { return int(f.p.tail - f.start) }

func (f FrameRows[R, A]) pos(i int) uint64 { return (f.start + uint64(i)) & uint64(len(f.p.rows)-1) }

// Row returns the frame's i-th row, 0 ≤ i < Len().
func (f FrameRows[R, A]) Row(i int) R { return f.p.rows[f.pos(i)] }

// Time returns the event time of the frame's i-th row.
func (f FrameRows[R, A]) Time(i int) record.Time { return f.p.times[f.pos(i)] }

// State returns the running state after the frame's i-th row. The pointer
// is the operator's: read it, do not keep it.
func (f FrameRows[R, A]) State(i int) *A {
	if f.p.states == nil { // an A of no size
		return new(A)
	}
	return &f.p.states[f.pos(i)]
}

// Before returns the row n rows before the current one in its partition
// (n = 0: the current row), and false when the partition has fewer rows
// before it. Rows up to the Analytic's Lookback before the current one
// are held, whatever the frame.
func (f FrameRows[R, A]) Before(n int) (R, bool) {
	p := f.p
	if n < 0 || uint64(n) > p.tail-1-p.head {
		var zero R
		return zero, false
	}
	return p.rows[(p.tail-1-uint64(n))&uint64(len(p.rows)-1)], true
}

// Search returns the smallest i in [0, Len()] with Time(i) > t: rows are in
// time order, so it is a binary search, O(log Len()).
func (f FrameRows[R, A]) Search(t record.Time) int {
	lo, hi := 0, f.Len()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if f.Time(m) <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// analyticState sets the running state of the row just stored at p.tail.
func (op *overOp[R, K, A, V]) analyticState(p *overPart[R, A], mask uint64, r R) {
	var zero A
	if unsafe.Sizeof(zero) == 0 {
		return
	}
	if len(p.states) != len(p.rows) {
		states := make([]A, len(p.rows))
		for i := p.head; i < p.tail && p.states != nil; i++ {
			states[i&mask] = p.states[i&uint64(len(p.states)-1)]
		}
		p.states = states
	}
	st := &p.states[p.tail&mask]
	*st = zero
	if p.tail > p.head {
		prev := &p.states[(p.tail-1)&mask]
		if op.copyA {
			*st = *prev
		} else {
			op.agg.Merge(st, prev)
		}
	}
	op.agg.Add(st, r)
}

// analyticStates rebuilds the running states of a restored partition.
func (op *overOp[R, K, A, V]) analyticStates(p *overPart[R, A]) {
	tail := p.tail
	p.tail = p.head
	mask := uint64(len(p.rows) - 1)
	for p.tail < tail {
		op.analyticState(p, mask, p.rows[p.tail&mask])
		p.tail++
	}
}

// analyticFunc gives the analytic functions their aggregate.Func methods:
// Add and Merge build no state, Result is not called.
type analyticFunc[R, V any] struct{}

func (analyticFunc[R, V]) Add(*struct{}, R)                                    {}
func (analyticFunc[R, V]) Merge(_, _ *struct{})                                {}
func (analyticFunc[R, V]) Result(*struct{}) (v V)                              { return v }
func (analyticFunc[R, V]) AppendState(dst []byte, _ *struct{}) ([]byte, error) { return dst, nil }
func (analyticFunc[R, V]) ReadState(_ *struct{}, _ []byte) (int, error)        { return 0, nil }

// Lag returns SQL's LAG(x, n) for [NewOver]: the value of x for the row n
// rows before the current one in its partition, whatever the frame, or an
// absent Null when the partition has fewer rows before it (LAG(x, 0) is the
// current row's). A row costs O(1), and Over keeps the last n+1 rows of
// every partition until Flush. NewOver rejects a negative n.
func Lag[R, V any](x func(R) V, n int) Analytic[R, struct{}, aggregate.Null[V]] {
	return lag[R, V]{x: x, n: n}
}

type lag[R, V any] struct {
	analyticFunc[R, aggregate.Null[V]]
	x func(R) V
	n int
}

func (l lag[R, V]) Lookback() int { return max(l.n, 0) }

func (l lag[R, V]) Value(f FrameRows[R, struct{}]) aggregate.Null[V] {
	r, ok := f.Before(l.n)
	if !ok {
		return aggregate.Null[V]{}
	}
	return aggregate.Null[V]{Value: l.x(r), Valid: true}
}

func (l lag[R, V]) invalid() error {
	if err := nilFuncErr("Lag", l.x == nil); err != nil {
		return err
	}
	if l.n < 0 {
		return errors.New("Lag of a negative number of rows")
	}
	return nil
}

// nilFuncErr is the error of an analytic function name given a nil
// function (isNil), or nil.
func nilFuncErr(name string, isNil bool) error {
	if isNil {
		return errors.New(name + " of a nil function")
	}
	return nil
}

// From says which end of the frame [NthValue] counts from.
type From uint8

// FromFirst counts from the oldest row of the frame, FromLast from the
// current row.
const (
	FromFirst From = iota
	FromLast
)

// NthValue returns SQL's NTH_VALUE(x, n) FROM FIRST or FROM LAST for
// [NewOver]: the value of x for the frame's n-th row counted from its
// oldest row (FromFirst; n = 1 is FIRST_VALUE) or from the current row
// (FromLast; n = 1 is the current row), or an absent Null when the frame
// holds fewer than n rows. A row costs O(1). NewOver rejects an n below 1.
func NthValue[R, V any](x func(R) V, n int, from From) Analytic[R, struct{}, aggregate.Null[V]] {
	return nthValue[R, V]{x: x, n: n, from: from}
}

type nthValue[R, V any] struct {
	analyticFunc[R, aggregate.Null[V]]
	x    func(R) V
	n    int
	from From
}

func (nthValue[R, V]) Lookback() int { return 0 }

func (v nthValue[R, V]) Value(f FrameRows[R, struct{}]) aggregate.Null[V] {
	n := f.Len()
	if v.n > n {
		return aggregate.Null[V]{}
	}
	i := v.n - 1
	if v.from == FromLast {
		i = n - v.n
	}
	return aggregate.Null[V]{Value: v.x(f.Row(i)), Valid: true}
}

func (v nthValue[R, V]) invalid() error {
	if err := nilFuncErr("NthValue", v.x == nil); err != nil {
		return err
	}
	switch {
	case v.n < 1:
		return errors.New("NthValue counts rows from 1")
	case v.from > FromLast:
		return errors.New("NthValue from an unknown end")
	}
	return nil
}

// ExpAvgState is the running state of [ExpAvg]: the compensated
// (Kahan–Neumaier) sum of the finite values of a partition's rows, and the
// number of NaN, +Inf and −Inf values among them.
type ExpAvgState struct {
	Sum, Comp       float64
	NaN, PInf, NInf int64
}

// ExpAvg returns KDA's EXP_AVG(x, halfLife) for [NewOver]: the average of
// x over the frame, each row weighted by its age a (the current row's
// time less its own) as 0.5^floor(a / halfLife). So over RANGE 30 s with a
// half-life of 10 s, the rows of the newest 10 s count twice as much as
// those of the 10 s before, and four times as much as the oldest; a row
// exactly 30 s old (the bound is inclusive) weighs 1/8. It works over a
// ROWS frame the same way, by age.
//
// A NaN in the frame gives NaN, so do +Inf and −Inf together; else an
// infinite value gives its sign's infinity. A row costs O(b · log m) for
// the b half-lives the frame spans that hold rows (at most range /
// halfLife + 1) and the m rows it holds: a binary search per half-life over
// the running sums. NewOver rejects a halfLife ≤ 0.
func ExpAvg[R any, N aggregate.Number](x func(R) N, halfLife time.Duration) Analytic[R, ExpAvgState, float64] {
	return expAvg[R, N]{x: x, h: int64(halfLife)}
}

type expAvg[R any, N aggregate.Number] struct {
	x func(R) N
	h int64
}

func (e expAvg[R, N]) Add(a *ExpAvgState, r R) {
	v := float64(e.x(r))
	switch {
	case math.IsNaN(v):
		a.NaN++
	case math.IsInf(v, 1):
		a.PInf++
	case math.IsInf(v, -1):
		a.NInf++
	default:
		t := a.Sum + v
		if math.Abs(a.Sum) >= math.Abs(v) {
			a.Comp += (a.Sum - t) + v
		} else {
			a.Comp += (v - t) + a.Sum
		}
		a.Sum = t
	}
}

func (e expAvg[R, N]) Merge(dst, src *ExpAvgState) {
	dst.NaN += src.NaN
	dst.PInf += src.PInf
	dst.NInf += src.NInf
	t := dst.Sum + src.Sum
	if math.Abs(dst.Sum) >= math.Abs(src.Sum) {
		dst.Comp += (dst.Sum - t) + src.Sum
	} else {
		dst.Comp += (src.Sum - t) + dst.Sum
	}
	dst.Sum = t
	dst.Comp += src.Comp
}

// Result is not used by Over, which calls Value.
func (e expAvg[R, N]) Result(*ExpAvgState) float64 { return math.NaN() }

func (e expAvg[R, N]) Lookback() int { return 0 }

func (e expAvg[R, N]) invalid() error {
	if err := nilFuncErr("ExpAvg", e.x == nil); err != nil {
		return err
	}
	if e.h <= 0 {
		return errors.New("ExpAvg needs a positive half-life")
	}
	return nil
}

func (e expAvg[R, N]) Value(f FrameRows[R, ExpAvgState]) float64 {
	last := f.Len() - 1
	now := f.Time(last)
	var sum, weight float64
	var nan, pinf, ninf int64
	for hi := last; hi >= 0; {
		k := int64(now-f.Time(hi)) / e.h // the half-lives the newest row left is old
		// The rows of age in [k·h, (k+1)·h): times in (now − (k+1)·h, now − k·h].
		lo := 0
		if b, ok := lowBound(now, (k+1)*e.h); ok && k+1 <= math.MaxInt64/e.h {
			lo = f.Search(b)
		}
		// Sum of rows [lo, hi] from the running sums, the row at lo added
		// back in since State(lo) includes it.
		a, b := f.State(hi), f.State(lo)
		s := (a.Sum - b.Sum) + (a.Comp - b.Comp)
		v := float64(e.x(f.Row(lo)))
		switch {
		case math.IsNaN(v):
			nan++
		case math.IsInf(v, 1):
			pinf++
		case math.IsInf(v, -1):
			ninf++
		default:
			s += v
		}
		nan += a.NaN - b.NaN
		pinf += a.PInf - b.PInf
		ninf += a.NInf - b.NInf
		w := math.Ldexp(1, -int(min(k, 2000)))
		sum += w * s
		weight += w * float64(hi-lo+1)
		hi = lo - 1
	}
	switch {
	case nan > 0 || (pinf > 0 && ninf > 0):
		return math.NaN()
	case pinf > 0:
		return math.Inf(1)
	case ninf > 0:
		return math.Inf(-1)
	}
	return sum / weight
}
