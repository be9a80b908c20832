package aggregate_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/aggregate/aggtest"
	"github.com/rowtime/rowtime/record"
)

// event is the record type of the law tests: few distinct times, so that
// First and Last see ties; floats with a mean large against their spread, so
// that a naive variance would lose digits.
type event struct {
	T      record.Time
	N      int64
	U      uint8
	X      float64
	F      float32
	Action string
	Price  aggregate.Null[float64]
}

func (e event) EventTime() record.Time { return e.T }

func genEvent(rng *rand.Rand) event {
	actions := [...]string{"click", "view", "buy"}
	e := event{
		T:      record.Time(rng.Int64N(20)),
		N:      rng.Int64N(2001) - 1000,
		U:      uint8(rng.UintN(256)),
		X:      1e3 + 100*rng.NormFloat64(),
		F:      float32(rng.NormFloat64()),
		Action: actions[rng.IntN(len(actions))],
	}
	if rng.IntN(4) > 0 {
		e.Price = aggregate.Null[float64]{Value: rng.Float64() * 50, Valid: true}
	}
	return e
}

// genNonFinite is genEvent with, in about one record in ten each, X and F
// replaced by NaN, +Inf or -Inf: the Removers must take those out again, so
// that a sliding window's result returns to that of its finite values.
func genNonFinite(rng *rand.Rand) event {
	e := genEvent(rng)
	special := [...]float64{math.NaN(), math.Inf(1), math.Inf(-1)}
	if i := rng.IntN(30); i < 3 {
		e.X = special[i]
	}
	if i := rng.IntN(30); i < 3 {
		e.F = float32(special[i])
	}
	if i := rng.IntN(30); i < 3 && e.Price.Valid {
		e.Price.Value = special[i]
	}
	return e
}

func n(e event) int64       { return e.N }
func u(e event) uint8       { return e.U }
func x(e event) float64     { return e.X }
func f32(e event) float32   { return e.F }
func act(e event) string    { return e.Action }
func click(e event) bool    { return e.Action == "click" }
func priced(e event) bool   { return e.Price.Valid }
func price(e event) float64 { return e.Price.Value }

// lawCase runs the kit on one aggregate and checks which optional interfaces
// it claims.
func lawCase[A, V any](t *testing.T, name string, f aggregate.Func[event, A, V], remover bool, opts *aggtest.Options[event, V]) {
	lawCaseGen(t, name, f, remover, opts, genEvent)
}

func lawCaseGen[A, V any](t *testing.T, name string, f aggregate.Func[event, A, V], remover bool, opts *aggtest.Options[event, V], gen func(*rand.Rand) event) {
	t.Run(name, func(t *testing.T) {
		if _, ok := f.(aggregate.Remover[event, A]); ok != remover {
			t.Errorf("is a Remover: %v, want %v", ok, remover)
		}
		if _, ok := f.(aggregate.StateCodec[A]); !ok {
			t.Error("is not a StateCodec")
		}
		if opts == nil {
			opts = &aggtest.Options[event, V]{}
		}
		if testing.Short() {
			opts.Trials = 15
		}
		aggtest.Run(t, f, gen, opts)
	})
}

// plainCount is a user aggregate with neither Remove nor a codec.
type plainCount struct{}

func (plainCount) Add(a *int64, _ event) { *a++ }
func (plainCount) Merge(dst, src *int64) { *dst += *src }
func (plainCount) Result(a *int64) int64 { return *a }

func TestLaws(t *testing.T) {
	lawCase(t, "count", aggregate.Count[event](), true, nil)
	lawCase(t, "sum/int64", aggregate.Sum(n), true, nil)
	lawCase(t, "sum/uint8", aggregate.Sum(u), true, nil)
	lawCase(t, "sum/float64", aggregate.Sum(x), true, nil)
	lawCase(t, "sum/float32", aggregate.Sum(f32), true,
		&aggtest.Options[event, float32]{Equal: aggtest.Approx[float32](1e-5)})
	lawCase(t, "avg/int64", aggregate.Avg(n), true, nil)
	lawCase(t, "avg/float64", aggregate.Avg(x), true, nil)
	lawCase(t, "min/int64", aggregate.Min(n), false, nil)
	lawCase(t, "max/float64", aggregate.Max(x), false, nil)
	lawCase(t, "min/string", aggregate.Min(act), false, nil)
	lawCase(t, "first", aggregate.First(n), false, nil)
	lawCase(t, "last", aggregate.Last(n), false, nil)
	lawCase(t, "first/string", aggregate.First(act), false, nil)
	// Removal leaves rounding of the order of ε times the variance of the
	// values removed, which is large next to the variance of a short window
	// of close values: compare relative to the input's variance (10^4 for x).
	varEq := &aggtest.Options[event, float64]{Equal: aggtest.Within[float64](1e-9, 1e-9*1e4)}
	lawCase(t, "var_pop", aggregate.VarPop(x), true, varEq)
	lawCase(t, "var_samp", aggregate.VarSamp(x), true, varEq)
	lawCase(t, "stddev_pop", aggregate.StddevPop(n), true, nil)
	lawCase(t, "stddev_samp", aggregate.StddevSamp(x), true, nil)
	lawCase(t, "where/count", aggregate.Where(click, aggregate.Count[event]()), true, nil)
	lawCase(t, "where/max", aggregate.Where(click, aggregate.Max(n)), false, nil)
	lawCase(t, "or_null/avg", aggregate.Where(priced, aggregate.OrNull(aggregate.Avg(price))), true, nil)
	lawCase(t, "or_null/first", aggregate.OrNull(aggregate.First(x)), false, nil)
	lawCase(t, "pair/count_sum", aggregate.Pair(aggregate.Count[event](), aggregate.Sum(x)), true, nil)
	lawCase(t, "pair/count_min", aggregate.Pair(aggregate.Count[event](), aggregate.Min(x)), false, nil)
	lawCase(t, "pair/user", aggregate.Pair(plainCount{}, aggregate.Sum(n)), false, nil)
	lawCase(t, "pair/nested", aggregate.Pair(aggregate.Pair(aggregate.Count[event](), aggregate.Sum(n)), aggregate.VarSamp(x)), true,
		&aggtest.Options[event, aggregate.PairResult[aggregate.PairResult[int64, int64], float64]]{
			Equal: aggtest.Within[aggregate.PairResult[aggregate.PairResult[int64, int64], float64]](1e-9, 1e-9*1e4)})
	lawCase(t, "triple", aggregate.Triple(aggregate.Count[event](), aggregate.Avg(n), aggregate.StddevPop(x)), true, nil)
	lawCase(t, "triple/last", aggregate.Triple(aggregate.Count[event](), aggregate.Avg(n), aggregate.Last(x)), false, nil)
}

// TestLawsNonFinite runs the float aggregates on streams with NaN and
// infinities, which the remove laws (sliding windows, LIFO, removal from a
// merged state) and the codec law must survive.
func TestLawsNonFinite(t *testing.T) {
	varEq := &aggtest.Options[event, float64]{Equal: aggtest.Within[float64](1e-9, 1e-9*1e4)}
	lawCaseGen(t, "sum/float64", aggregate.Sum(x), true, nil, genNonFinite)
	lawCaseGen(t, "sum/float32", aggregate.Sum(f32), true,
		&aggtest.Options[event, float32]{Equal: aggtest.Approx[float32](1e-5)}, genNonFinite)
	lawCaseGen(t, "avg/float64", aggregate.Avg(x), true, nil, genNonFinite)
	lawCaseGen(t, "avg/float32", aggregate.Avg(f32), true,
		&aggtest.Options[event, float64]{Equal: aggtest.Approx[float64](1e-5)}, genNonFinite)
	lawCaseGen(t, "var_pop", aggregate.VarPop(x), true, varEq, genNonFinite)
	lawCaseGen(t, "var_samp", aggregate.VarSamp(x), true, varEq, genNonFinite)
	lawCaseGen(t, "stddev_pop", aggregate.StddevPop(f32), true,
		&aggtest.Options[event, float64]{Equal: aggtest.Within[float64](1e-9, 1e-9)}, genNonFinite)
	// The standard deviation inherits the variance's absolute rounding,
	// divided by twice itself.
	lawCaseGen(t, "stddev_samp", aggregate.StddevSamp(x), true,
		&aggtest.Options[event, float64]{Equal: aggtest.Within[float64](1e-9, 1e-7)}, genNonFinite)
	lawCaseGen(t, "max", aggregate.Max(x), false, nil, genNonFinite)
	lawCaseGen(t, "or_null/avg", aggregate.Where(priced, aggregate.OrNull(aggregate.Avg(price))), true, nil, genNonFinite)
	lawCaseGen(t, "triple", aggregate.Triple(aggregate.Sum(f32), aggregate.Avg(x), aggregate.VarSamp(price)), true,
		&aggtest.Options[event, aggregate.TripleResult[float32, float64, float64]]{
			Equal: aggtest.Within[aggregate.TripleResult[float32, float64, float64]](1e-5, 1e-9*1e4)}, genNonFinite)
}

func TestLawsTopK(t *testing.T) {
	const capacity = 12
	f, err := aggregate.TopK(3, act2, &aggregate.TopKOptions{Capacity: capacity})
	if err != nil {
		t.Fatal(err)
	}
	distinct := func(rs []event) int {
		seen := map[int64]bool{}
		for _, r := range rs {
			seen[r.N%16] = true
		}
		return len(seen)
	}
	opts := &aggtest.Options[event, []aggregate.Item[int64]]{
		InRange: func(rs []event) bool { return distinct(rs) <= capacity },
	}
	lawCase(t, "top_k", f, false, opts)
	// Outside its exact range the summary is approximate, and the kit says so.
	if err := aggtest.Check(f, genEvent, &aggtest.Options[event, []aggregate.Item[int64]]{Records: 200}); err == nil {
		t.Error("TopK obeys the exact laws beyond its capacity; the range check is untested")
	}
}

func act2(e event) int64 { return e.N % 16 }
