package aggregate

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/rowtime/rowtime/record"
)

// Describer is implemented by every aggregate and combinator of this
// package. Describe returns a stable name of the aggregate and of the codec
// shape of what its accumulator stores, such as "Sum[int64]",
// "Pair(Sum[int64],Count)" or "TopK[string](k=3,capacity=30)": two
// aggregates with the same description read each other's state with the
// same meaning. Operators put it in the descriptor of their snapshots, so a
// snapshot written with one aggregate is refused by an operator built with
// another.
//
// The functions an aggregate is built with (the column read by Sum, the
// predicate of Where) are not part of it: they cannot be compared. Type
// parameters are written as [record.Shape] writes them, so a named type and
// its underlying type agree (time.Duration is int64).
//
// An aggregate of one's own may implement Describer; a combinator of this
// package that holds one that does not describes it by its Go type.
type Describer interface {
	Describe() string
}

// Describe returns f's description: f.Describe() when f is a [Describer],
// otherwise f's Go type, which at least names the aggregate.
func Describe(f any) string {
	if d, ok := f.(Describer); ok {
		return d.Describe()
	}
	return fmt.Sprintf("%T", f)
}

func shapeOf[T any]() string { return record.Shape(reflect.TypeFor[T]()) }

// Describe returns "Count".
func (count[R]) Describe() string { return "Count" }

// Describe returns "Sum[N]", N as the codec stores it.
func (s *sum[R, N]) Describe() string { return "Sum[" + shapeOf[N]() + "]" }

// Describe returns "Avg[N]".
func (s *avg[R, N]) Describe() string { return "Avg[" + shapeOf[N]() + "]" }

// Describe returns "Min[V]" or "Max[V]".
func (s *extreme[R, V]) Describe() string {
	if s.max {
		return "Max[" + shapeOf[V]() + "]"
	}
	return "Min[" + shapeOf[V]() + "]"
}

// Describe returns "First[V]" or "Last[V]".
func (s *timed[R, V]) Describe() string {
	if s.last {
		return "Last[" + shapeOf[V]() + "]"
	}
	return "First[" + shapeOf[V]() + "]"
}

// Describe returns "VarPop[N]", "VarSamp[N]", "StddevPop[N]" or
// "StddevSamp[N]".
func (s *variance[R, N]) Describe() string {
	name := [...]string{varPop: "VarPop", varSamp: "VarSamp", stddevPop: "StddevPop", stddevSamp: "StddevSamp"}[s.kind]
	return name + "[" + shapeOf[N]() + "]"
}

// Describe returns "TopK[T](k=…,capacity=…)".
func (s *topK[R, T]) Describe() string {
	return "TopK[" + shapeOf[T]() + "](k=" + strconv.Itoa(s.k) + ",capacity=" + strconv.Itoa(s.capacity) + ")"
}

// Describe returns "Where(f)", f described.
func (w where[R, A, V]) Describe() string { return "Where(" + Describe(w.f) + ")" }

// Describe returns "OrNull(f)".
func (o orNull[R, A, V]) Describe() string { return "OrNull(" + Describe(o.f) + ")" }

// Describe returns "Pair(x,y)".
func (p pair[R, A1, V1, A2, V2]) Describe() string {
	return "Pair(" + Describe(p.x) + "," + Describe(p.y) + ")"
}

// Describe returns "Triple(x,y,z)".
func (t triple[R, A1, V1, A2, V2, A3, V3]) Describe() string {
	return "Triple(" + Describe(t.x) + "," + Describe(t.y) + "," + Describe(t.z) + ")"
}
