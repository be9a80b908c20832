package aggregate_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

type descRec struct {
	T    record.Time
	N    int64
	F    float64
	D    time.Duration
	S    string
	Flag bool
}

func (r descRec) EventTime() record.Time { return r.T }

type userAgg struct{}

func (userAgg) Add(*int64, descRec)     {}
func (userAgg) Merge(_, _ *int64)       {}
func (userAgg) Result(a *int64) float64 { return float64(*a) }

// TestDescribe checks the description of every aggregate and combinator,
// and that aggregates whose state differs describe themselves differently.
func TestDescribe(t *testing.T) {
	n := func(r descRec) int64 { return r.N }
	f := func(r descRec) float64 { return r.F }
	d := func(r descRec) time.Duration { return r.D }
	s := func(r descRec) string { return r.S }
	keep := func(r descRec) bool { return r.Flag }
	top, err := aggregate.TopK(3, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	top2, err := aggregate.TopK(3, s, &aggregate.TopKOptions{Capacity: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    any
		want string
	}{
		{aggregate.Count[descRec](), "Count"},
		{aggregate.Sum(n), "Sum[int64]"},
		{aggregate.Sum(f), "Sum[float64]"},
		{aggregate.Sum(d), "Sum[int64]"}, // a Duration is stored as its int64
		{aggregate.Avg(f), "Avg[float64]"},
		{aggregate.Min(s), "Min[string]"},
		{aggregate.Max(n), "Max[int64]"},
		{aggregate.First[descRec](s), "First[string]"},
		{aggregate.Last[descRec](f), "Last[float64]"},
		{aggregate.VarPop(f), "VarPop[float64]"},
		{aggregate.VarSamp(n), "VarSamp[int64]"},
		{aggregate.StddevPop(f), "StddevPop[float64]"},
		{aggregate.StddevSamp(f), "StddevSamp[float64]"},
		{top, "TopK[string](k=3,capacity=30)"},
		{top2, "TopK[string](k=3,capacity=50)"},
		{aggregate.Where(keep, aggregate.Count[descRec]()), "Where(Count)"},
		{aggregate.Where(keep, aggregate.Min(s)), "Where(Min[string])"}, // not a Remover
		{aggregate.OrNull(aggregate.Avg(n)), "OrNull(Avg[int64])"},
		{aggregate.OrNull(aggregate.Max(f)), "OrNull(Max[float64])"},
		{aggregate.Pair(aggregate.Sum(n), aggregate.Count[descRec]()), "Pair(Sum[int64],Count)"},
		{aggregate.Pair(aggregate.Min(n), aggregate.Count[descRec]()), "Pair(Min[int64],Count)"},
		{aggregate.Triple(aggregate.Sum(n), aggregate.Count[descRec](), aggregate.Where(keep, aggregate.OrNull(aggregate.Avg(f)))),
			"Triple(Sum[int64],Count,Where(OrNull(Avg[float64])))"},
		{aggregate.Triple(aggregate.Min(n), aggregate.Count[descRec](), aggregate.Count[descRec]()), "Triple(Min[int64],Count,Count)"},
		{aggregate.Pair[descRec](aggregate.Count[descRec](), userAgg{}), "Pair(Count,aggregate_test.userAgg)"},
	} {
		d, ok := c.f.(aggregate.Describer)
		if _, user := c.f.(userAgg); !ok && !user {
			t.Errorf("%T is not a Describer", c.f)
			continue
		}
		if got := d.Describe(); got != c.want {
			t.Errorf("%T: Describe() = %q, want %q", c.f, got, c.want)
		}
		if got := aggregate.Describe(c.f); got != c.want {
			t.Errorf("aggregate.Describe(%T) = %q, want %q", c.f, got, c.want)
		}
	}
	if got := aggregate.Describe(userAgg{}); got != "aggregate_test.userAgg" {
		t.Errorf("Describe of a user aggregate = %q", got)
	}
}

// TestStateShapes checks that the accumulators of the combinators keep the
// codec shape, field names included, that snapshots of earlier releases
// carry in their descriptors.
func TestStateShapes(t *testing.T) {
	for _, c := range []struct {
		typ  reflect.Type
		want string
	}{
		{reflect.TypeFor[aggregate.PairState[int64, float64]](), "{X:int64 Y:float64}"},
		{reflect.TypeFor[aggregate.TripleState[int64, int64, string]](), "{X:int64 Y:int64 Z:string}"},
	} {
		if got := record.Shape(c.typ); got != c.want {
			t.Errorf("Shape(%v) = %q, want %q", c.typ, got, c.want)
		}
	}
}
