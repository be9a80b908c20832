package aggregate_test

import (
	"cmp"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/aggregate/aggtest"
)

// shardsAgree checks the reason Partial exists: the records of a stream
// dealt to several shards at random, each shard's Partial result merged
// with f.Merge, give f's result over the whole stream.
func shardsAgree[A, V any](t *testing.T, name string, f aggregate.Func[event, A, V], equal func(a, b V) bool) {
	t.Helper()
	p := aggregate.Partial(f)
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 200 {
		shards := 1 + rng.IntN(5)
		accs := make([]A, shards)
		var whole A
		for range rng.IntN(300) {
			e := genEvent(rng)
			f.Add(&whole, e)
			p.Add(&accs[rng.IntN(shards)], e)
		}
		var merged A
		for i := range accs {
			part := p.Result(&accs[i])
			f.Merge(&merged, &part)
		}
		if got, want := f.Result(&merged), f.Result(&whole); !equal(got, want) {
			t.Fatalf("%s trial %d over %d shards: merged partials give %v, one accumulator %v", name, trial, shards, got, want)
		}
	}
}

func TestPartialShards(t *testing.T) {
	shardsAgree(t, "count", aggregate.Count[event](), func(a, b int64) bool { return a == b })
	shardsAgree(t, "avg", aggregate.Avg(n), func(a, b float64) bool { return aggtest.Approx[float64](1e-12)(a, b) })
	shardsAgree(t, "pair", aggregate.Pair(aggregate.Where(click, aggregate.Count[event]()), aggregate.Sum(n)),
		func(a, b aggregate.PairResult[int64, int64]) bool { return a == b })
	topk, err := aggregate.TopK(3, act, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Items of equal count come out in an order that depends on the order
	// of Adds and Merges: compare them by count, then value.
	byCount := func(items []aggregate.Item[string]) []aggregate.Item[string] {
		items = slices.Clone(items)
		slices.SortFunc(items, func(x, y aggregate.Item[string]) int {
			return cmp.Or(-cmpInt(x.Count, y.Count), strings.Compare(x.Value, y.Value))
		})
		return items
	}
	shardsAgree(t, "topk", topk, func(a, b []aggregate.Item[string]) bool { return gocmp.Equal(byCount(a), byCount(b)) })
}

// TestPartialLaws checks that Partial keeps f's laws (identity,
// associativity, merge, removal, codec), with the state as the result.
func TestPartialLaws(t *testing.T) {
	aggtest.Run(t, aggregate.Partial(aggregate.Sum(n)), genEvent, nil)
	aggtest.Run(t, aggregate.Partial(aggregate.Avg(n)), genEvent, nil)
	topk, _ := aggregate.TopK(2, act, nil)
	aggtest.Run(t, aggregate.Partial(topk), genEvent, &aggtest.Options[event, aggregate.TopKState[string]]{
		Equal: func(a, b aggregate.TopKState[string]) bool {
			return reflect.DeepEqual(topk.Result(&a), topk.Result(&b))
		},
	})
}

// TestPartialCopies checks that the result of a Partial shares no memory
// with its accumulator: adding to the accumulator afterwards, as a window
// under allowed lateness does, leaves a result already emitted as it was.
func TestPartialCopies(t *testing.T) {
	topk, _ := aggregate.TopK(2, act, nil)
	p := aggregate.Partial(topk)
	var acc aggregate.TopKState[string]
	p.Add(&acc, event{Action: "click"})
	out := p.Result(&acc)
	before := topk.Result(&out)
	for range 5 {
		p.Add(&acc, event{Action: "click"})
		p.Add(&acc, event{Action: "view"})
	}
	if after := topk.Result(&out); !gocmp.Equal(before, after) {
		t.Fatalf("the emitted state changed with the accumulator: %v, then %v", before, after)
	}
	if got := topk.Result(&acc); len(got) != 2 || got[0].Value != "click" || got[0].Count != 6 {
		t.Fatalf("accumulator: %v", got)
	}
}

func TestPartialInterfaces(t *testing.T) {
	sum := aggregate.Partial(aggregate.Sum(n))
	if _, ok := sum.(aggregate.Remover[event, aggregate.SumState[int64]]); !ok {
		t.Error("Partial(Sum) is not a Remover")
	}
	mx := aggregate.Partial(aggregate.Max(n))
	if _, ok := mx.(aggregate.Remover[event, aggregate.ExtremeState[int64]]); ok {
		t.Error("Partial(Max) is a Remover")
	}
	if _, ok := mx.(aggregate.StateCodec[aggregate.ExtremeState[int64]]); !ok {
		t.Error("Partial is not a StateCodec")
	}
	if got := aggregate.Describe(sum); got != "Partial(Sum[int64])" {
		t.Errorf("Describe = %q", got)
	}
}

func cmpInt(a, b int64) int { return cmp.Compare(a, b) }
