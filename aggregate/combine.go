package aggregate

import (
	"encoding/binary"

	"github.com/rowtime/rowtime/record/codec"
)

// Where returns f restricted to the records for which keep returns true: the
// others are ignored as if they had never arrived. It is SQL's conditional
// aggregate and its FILTER clause:
//
//	// SUM(CASE WHEN action = 'click' THEN 1 ELSE 0 END)
//	clicks := aggregate.Where(func(e Event) bool { return e.Action == "click" }, aggregate.Count[Event]())
//
// and, with OrNull inside it, the way to skip absent ("null") inputs, as SQL
// aggregates skip NULLs:
//
//	// AVG(temp), where temp may be NULL
//	avg := aggregate.Where(func(r Reading) bool { return r.Temp.Valid },
//		aggregate.OrNull(aggregate.Avg(func(r Reading) float64 { return r.Temp.Value })))
//
// The result is a Remover when f is one (keep must then be a pure function of
// the record, so that it answers Remove as it answered Add). It is a
// StateCodec: it encodes the state with f's codec, or with
// codec.Append when f has none.
func Where[R, A, V any](keep func(R) bool, f Func[R, A, V]) Func[R, A, V] {
	w := where[R, A, V]{keep: keep, f: f}
	w.codec, _ = f.(StateCodec[A])
	if rm, ok := f.(Remover[R, A]); ok {
		return whereRemover[R, A, V]{w, rm}
	}
	return w
}

type where[R, A, V any] struct {
	keep  func(R) bool
	f     Func[R, A, V]
	codec StateCodec[A]
}

func (w where[R, A, V]) Add(a *A, r R) {
	if w.keep(r) {
		w.f.Add(a, r)
	}
}

func (w where[R, A, V]) Merge(dst, src *A) { w.f.Merge(dst, src) }
func (w where[R, A, V]) Result(a *A) V     { return w.f.Result(a) }

func (w where[R, A, V]) AppendState(dst []byte, a *A) ([]byte, error) {
	return appendState(w.codec, dst, a)
}

func (w where[R, A, V]) ReadState(a *A, src []byte) (int, error) {
	return readState(w.codec, a, src)
}

type whereRemover[R, A, V any] struct {
	where[R, A, V]
	rm Remover[R, A]
}

func (w whereRemover[R, A, V]) Remove(a *A, r R) {
	if w.keep(r) {
		w.rm.Remove(a, r)
	}
}

// appendState and readState encode an accumulator with its Func's codec, or
// with record's generic codec when the Func has none.
func appendState[A any](c StateCodec[A], dst []byte, a *A) ([]byte, error) {
	if c != nil {
		return c.AppendState(dst, a)
	}
	return codec.Append(dst, *a)
}

func readState[A any](c StateCodec[A], a *A, src []byte) (int, error) {
	if c != nil {
		return c.ReadState(a, src)
	}
	return readValue(src, a)
}

// Null is a value that may be absent, like a nullable SQL column or result.
// The zero Null is absent (NULL).
type Null[V any] struct {
	Value V
	Valid bool // Value is present
}

// NullState is the accumulator of OrNull: the inner accumulator and the
// number of records in it. The zero NullState is empty.
type NullState[A any] struct {
	a A
	n int64
}

// OrNull returns f with SQL's answer for an empty input: its result is a
// Null that is Valid when at least one record was added (and not removed),
// and NULL otherwise. Without it, an aggregate of no records gives its own
// documented value: 0 for Count and Sum, NaN for Avg and the variances, the
// zero value for Min, Max, First and Last.
//
// Put OrNull inside Where so that it counts only the records Where keeps.
// The result is a Remover when f is one, and a StateCodec (using f's codec,
// or codec.Append on A when f has none).
func OrNull[R, A, V any](f Func[R, A, V]) Func[R, NullState[A], Null[V]] {
	o := orNull[R, A, V]{f: f}
	o.codec, _ = f.(StateCodec[A])
	if rm, ok := f.(Remover[R, A]); ok {
		return orNullRemover[R, A, V]{o, rm}
	}
	return o
}

type orNull[R, A, V any] struct {
	f     Func[R, A, V]
	codec StateCodec[A]
}

func (o orNull[R, A, V]) Add(a *NullState[A], r R) {
	o.f.Add(&a.a, r)
	a.n++
}

func (o orNull[R, A, V]) Merge(dst, src *NullState[A]) {
	o.f.Merge(&dst.a, &src.a)
	dst.n += src.n
}

func (o orNull[R, A, V]) Result(a *NullState[A]) Null[V] {
	if a.n == 0 {
		return Null[V]{}
	}
	return Null[V]{Value: o.f.Result(&a.a), Valid: true}
}

func (o orNull[R, A, V]) AppendState(dst []byte, a *NullState[A]) ([]byte, error) {
	return appendState(o.codec, binary.AppendVarint(dst, a.n), &a.a)
}

func (o orNull[R, A, V]) ReadState(a *NullState[A], src []byte) (int, error) {
	cnt, n, err := readVarint(src)
	if err != nil {
		return 0, err
	}
	if cnt < 0 {
		return 0, errCorrupt
	}
	var inner A
	m, err := readState(o.codec, &inner, src[n:])
	if err != nil {
		return 0, err
	}
	*a = NullState[A]{a: inner, n: cnt}
	return n + m, nil
}

type orNullRemover[R, A, V any] struct {
	orNull[R, A, V]
	rm Remover[R, A]
}

func (o orNullRemover[R, A, V]) Remove(a *NullState[A], r R) {
	o.rm.Remove(&a.a, r)
	a.n--
}

// PairState is the accumulator of Pair: one accumulator for each aggregate.
// The zero PairState is empty.
//
// Its fields keep their short names X and Y: the codec shape of an
// accumulator, field names included, is part of a snapshot's descriptor,
// so renaming them would refuse every snapshot written before.
type PairState[A1, A2 any] struct {
	X A1 // the accumulator of Pair's first aggregate
	Y A2 // the accumulator of its second
}

// PairResult is the result of Pair.
type PairResult[V1, V2 any] struct {
	First  V1 // the result of Pair's first aggregate
	Second V2 // the result of its second
}

// Pair returns an aggregate that computes x and y over the same records at
// once, so that a window keeps one accumulator for both, as in SQL's
// SELECT COUNT(*), SUM(amount). Nest Pairs, or use Triple, for more.
//
// The result is a Remover only when both x and y are, so a type assertion on
// Remover tells whether the pair can be used in a sliding window. It is a
// StateCodec (each side with its own codec, or codec.Append).
func Pair[R, A1, V1, A2, V2 any](x Func[R, A1, V1], y Func[R, A2, V2]) Func[R, PairState[A1, A2], PairResult[V1, V2]] {
	p := pair[R, A1, V1, A2, V2]{x: x, y: y}
	p.cx, _ = x.(StateCodec[A1])
	p.cy, _ = y.(StateCodec[A2])
	rx, okx := x.(Remover[R, A1])
	ry, oky := y.(Remover[R, A2])
	if okx && oky {
		return pairRemover[R, A1, V1, A2, V2]{p, rx, ry}
	}
	return p
}

type pair[R, A1, V1, A2, V2 any] struct {
	x  Func[R, A1, V1]
	y  Func[R, A2, V2]
	cx StateCodec[A1]
	cy StateCodec[A2]
}

func (p pair[R, A1, V1, A2, V2]) Add(a *PairState[A1, A2], r R) {
	p.x.Add(&a.X, r)
	p.y.Add(&a.Y, r)
}

func (p pair[R, A1, V1, A2, V2]) Merge(dst, src *PairState[A1, A2]) {
	p.x.Merge(&dst.X, &src.X)
	p.y.Merge(&dst.Y, &src.Y)
}

func (p pair[R, A1, V1, A2, V2]) Result(a *PairState[A1, A2]) PairResult[V1, V2] {
	return PairResult[V1, V2]{First: p.x.Result(&a.X), Second: p.y.Result(&a.Y)}
}

func (p pair[R, A1, V1, A2, V2]) AppendState(dst []byte, a *PairState[A1, A2]) ([]byte, error) {
	dst, err := appendState(p.cx, dst, &a.X)
	if err != nil {
		return dst, err
	}
	return appendState(p.cy, dst, &a.Y)
}

func (p pair[R, A1, V1, A2, V2]) ReadState(a *PairState[A1, A2], src []byte) (int, error) {
	var out PairState[A1, A2]
	n, err := readState(p.cx, &out.X, src)
	if err != nil {
		return 0, err
	}
	m, err := readState(p.cy, &out.Y, src[n:])
	if err != nil {
		return 0, err
	}
	*a = out
	return n + m, nil
}

type pairRemover[R, A1, V1, A2, V2 any] struct {
	pair[R, A1, V1, A2, V2]
	rx Remover[R, A1]
	ry Remover[R, A2]
}

func (p pairRemover[R, A1, V1, A2, V2]) Remove(a *PairState[A1, A2], r R) {
	p.rx.Remove(&a.X, r)
	p.ry.Remove(&a.Y, r)
}

// TripleState is the accumulator of Triple. The zero TripleState is empty.
// Its fields keep their short names for the reason given at PairState.
type TripleState[A1, A2, A3 any] struct {
	X A1 // the accumulator of Triple's first aggregate
	Y A2 // of its second
	Z A3 // of its third
}

// TripleResult is the result of Triple.
type TripleResult[V1, V2, V3 any] struct {
	First  V1 // the result of Triple's first aggregate
	Second V2 // of its second
	Third  V3 // of its third
}

// Triple is Pair for three aggregates. The result is a Remover only when all
// three are.
func Triple[R, A1, V1, A2, V2, A3, V3 any](x Func[R, A1, V1], y Func[R, A2, V2], z Func[R, A3, V3]) Func[R, TripleState[A1, A2, A3], TripleResult[V1, V2, V3]] {
	t := triple[R, A1, V1, A2, V2, A3, V3]{x: x, y: y, z: z}
	t.cx, _ = x.(StateCodec[A1])
	t.cy, _ = y.(StateCodec[A2])
	t.cz, _ = z.(StateCodec[A3])
	rx, okx := x.(Remover[R, A1])
	ry, oky := y.(Remover[R, A2])
	rz, okz := z.(Remover[R, A3])
	if okx && oky && okz {
		return tripleRemover[R, A1, V1, A2, V2, A3, V3]{t, rx, ry, rz}
	}
	return t
}

type triple[R, A1, V1, A2, V2, A3, V3 any] struct {
	x  Func[R, A1, V1]
	y  Func[R, A2, V2]
	z  Func[R, A3, V3]
	cx StateCodec[A1]
	cy StateCodec[A2]
	cz StateCodec[A3]
}

func (t triple[R, A1, V1, A2, V2, A3, V3]) Add(a *TripleState[A1, A2, A3], r R) {
	t.x.Add(&a.X, r)
	t.y.Add(&a.Y, r)
	t.z.Add(&a.Z, r)
}

func (t triple[R, A1, V1, A2, V2, A3, V3]) Merge(dst, src *TripleState[A1, A2, A3]) {
	t.x.Merge(&dst.X, &src.X)
	t.y.Merge(&dst.Y, &src.Y)
	t.z.Merge(&dst.Z, &src.Z)
}

func (t triple[R, A1, V1, A2, V2, A3, V3]) Result(a *TripleState[A1, A2, A3]) TripleResult[V1, V2, V3] {
	return TripleResult[V1, V2, V3]{First: t.x.Result(&a.X), Second: t.y.Result(&a.Y), Third: t.z.Result(&a.Z)}
}

func (t triple[R, A1, V1, A2, V2, A3, V3]) AppendState(dst []byte, a *TripleState[A1, A2, A3]) ([]byte, error) {
	dst, err := appendState(t.cx, dst, &a.X)
	if err != nil {
		return dst, err
	}
	if dst, err = appendState(t.cy, dst, &a.Y); err != nil {
		return dst, err
	}
	return appendState(t.cz, dst, &a.Z)
}

func (t triple[R, A1, V1, A2, V2, A3, V3]) ReadState(a *TripleState[A1, A2, A3], src []byte) (int, error) {
	var out TripleState[A1, A2, A3]
	n, err := readState(t.cx, &out.X, src)
	if err != nil {
		return 0, err
	}
	m, err := readState(t.cy, &out.Y, src[n:])
	if err != nil {
		return 0, err
	}
	k, err := readState(t.cz, &out.Z, src[n+m:])
	if err != nil {
		return 0, err
	}
	*a = out
	return n + m + k, nil
}

type tripleRemover[R, A1, V1, A2, V2, A3, V3 any] struct {
	triple[R, A1, V1, A2, V2, A3, V3]
	rx Remover[R, A1]
	ry Remover[R, A2]
	rz Remover[R, A3]
}

func (t tripleRemover[R, A1, V1, A2, V2, A3, V3]) Remove(a *TripleState[A1, A2, A3], r R) {
	t.rx.Remove(&a.X, r)
	t.ry.Remove(&a.Y, r)
	t.rz.Remove(&a.Z, r)
}
