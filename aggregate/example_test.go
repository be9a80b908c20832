package aggregate_test

import (
	"fmt"
	"math"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

type Bid struct {
	Time   record.Time
	Bidder string
	Amount int64
}

func (b Bid) EventTime() record.Time { return b.Time }

var bids = []Bid{
	{Time: 30, Bidder: "ann", Amount: 120},
	{Time: 10, Bidder: "bob", Amount: 95},
	{Time: 20, Bidder: "ann", Amount: 101},
	{Time: 10, Bidder: "cy", Amount: 300},
}

func amount(b Bid) int64 { return b.Amount }

// An operator drives an aggregate like this: one zero accumulator per group,
// Add per record, Result when the group is emitted.
func ExampleSum() {
	sum := aggregate.Sum(amount)
	var acc aggregate.SumState[int64] // the zero state is an empty sum
	for _, b := range bids {
		sum.Add(&acc, b)
	}
	fmt.Println(sum.Result(&acc))
	// Output: 616
}

// Float sums are compensated: adding 0.1 ten times gives exactly 1.
func ExampleSum_float() {
	sum := aggregate.Sum(func(x float64) float64 { return x })
	var acc aggregate.SumState[float64]
	naive := 0.0
	for range 10 {
		sum.Add(&acc, 0.1)
		naive += 0.1
	}
	fmt.Println(sum.Result(&acc), naive)
	// Output: 1 0.9999999999999999
}

// A sliding sum over three values: a NaN or an infinity counts while it is in
// the window and leaves no trace once Remove has taken it out.
func ExampleSum_remove() {
	sum := aggregate.Sum(func(x float64) float64 { return x })
	rm := sum.(aggregate.Remover[float64, aggregate.SumState[float64]])
	xs := []float64{1, math.NaN(), 2, math.Inf(1), 4, 8, 16}
	var acc aggregate.SumState[float64]
	for i, x := range xs {
		sum.Add(&acc, x)
		if i >= 3 {
			rm.Remove(&acc, xs[i-3])
		}
		fmt.Print(sum.Result(&acc), " ")
	}
	fmt.Println()
	// Output:
	// 1 NaN NaN NaN +Inf +Inf 28
}

func ExampleCount() {
	count := aggregate.Count[Bid]()
	var acc int64
	for _, b := range bids {
		count.Add(&acc, b)
	}
	// Count is invertible, so a sliding window can take a record out again.
	count.(aggregate.Remover[Bid, int64]).Remove(&acc, bids[0])
	fmt.Println(count.Result(&acc))
	// Output: 3
}

// Avg is a float even for integer input, and NaN for no input.
func ExampleAvg() {
	avg := aggregate.Avg(func(x int) int { return x })
	var acc aggregate.AvgState[int]
	fmt.Println(avg.Result(&acc))
	avg.Add(&acc, 1)
	avg.Add(&acc, 2)
	fmt.Println(avg.Result(&acc))
	// Output:
	// NaN
	// 1.5
}

func ExampleMax() {
	highest := aggregate.Max(amount)
	var acc aggregate.ExtremeState[int64]
	for _, b := range bids {
		highest.Add(&acc, b)
	}
	fmt.Println(highest.Result(&acc))

	// A NaN wins, as in IEEE 754.
	f := aggregate.Max(func(x float64) float64 { return x })
	var facc aggregate.ExtremeState[float64]
	for _, x := range []float64{1, math.NaN(), 3} {
		f.Add(&facc, x)
	}
	fmt.Println(f.Result(&facc))
	// Output:
	// 300
	// NaN
}

// First and Last go by event time, not arrival; equal times keep arrival
// order.
func ExampleFirst() {
	bidder := func(b Bid) string { return b.Bidder }
	first, last := aggregate.First(bidder), aggregate.Last(bidder)
	var fa, la aggregate.TimedState[string]
	for _, b := range bids {
		first.Add(&fa, b)
		last.Add(&la, b)
	}
	fmt.Println(first.Result(&fa), last.Result(&la))
	// Output: bob ann
}

// Partial accumulators from shards merge into the one-pass answer.
func ExampleVarSamp() {
	v := aggregate.VarSamp(func(x float64) float64 { return x })
	var left, right aggregate.VarState
	for _, x := range []float64{1e9 + 1, 1e9 + 2} {
		v.Add(&left, x)
	}
	for _, x := range []float64{1e9 + 3, 1e9 + 4} {
		v.Add(&right, x)
	}
	v.Merge(&left, &right)
	fmt.Printf("%.4f\n", v.Result(&left))
	// Output: 1.6667
}

// SUM(CASE WHEN bidder = 'ann' THEN 1 ELSE 0 END) in one line.
func ExampleWhere() {
	byAnn := aggregate.Where(func(b Bid) bool { return b.Bidder == "ann" }, aggregate.Count[Bid]())
	var acc int64
	for _, b := range bids {
		byAnn.Add(&acc, b)
	}
	fmt.Println(byAnn.Result(&acc))
	// Output: 2
}

type Reading struct {
	Sensor string
	Temp   aggregate.Null[float64]
}

// AVG over a nullable column: absent values are skipped, and an average of
// nothing is NULL.
func ExampleOrNull() {
	avgTemp := aggregate.Where(func(r Reading) bool { return r.Temp.Valid },
		aggregate.OrNull(aggregate.Avg(func(r Reading) float64 { return r.Temp.Value })))
	var acc aggregate.NullState[aggregate.AvgState[float64]]
	avgTemp.Add(&acc, Reading{Sensor: "a"})
	fmt.Println(avgTemp.Result(&acc))
	avgTemp.Add(&acc, Reading{Sensor: "a", Temp: aggregate.Null[float64]{Value: 21.5, Valid: true}})
	avgTemp.Add(&acc, Reading{Sensor: "a"})
	fmt.Println(avgTemp.Result(&acc))
	// Output:
	// {0 false}
	// {21.5 true}
}

// SELECT COUNT(*), SUM(amount), MAX(amount): one accumulator for all three.
func ExamplePair() {
	stats := aggregate.Pair(aggregate.Count[Bid](), aggregate.Pair(aggregate.Sum(amount), aggregate.Max(amount)))
	var acc aggregate.PairState[int64, aggregate.PairState[aggregate.SumState[int64], aggregate.ExtremeState[int64]]]
	for _, b := range bids {
		stats.Add(&acc, b)
	}
	r := stats.Result(&acc)
	fmt.Println(r.First, r.Second.First, r.Second.Second)
	// Max has no Remove, so neither has the pair.
	_, ok := stats.(aggregate.Remover[Bid, aggregate.PairState[int64, aggregate.PairState[aggregate.SumState[int64], aggregate.ExtremeState[int64]]]])
	fmt.Println("removable:", ok)
	// Output:
	// 4 616 300
	// removable: false
}

func ExampleTriple() {
	stats := aggregate.Triple(aggregate.Count[Bid](), aggregate.Avg(amount), aggregate.StddevPop(amount))
	var acc aggregate.TripleState[int64, aggregate.AvgState[int64], aggregate.VarState]
	for _, b := range bids {
		stats.Add(&acc, b)
	}
	r := stats.Result(&acc)
	fmt.Printf("n=%d avg=%.1f sd=%.1f\n", r.First, r.Second, r.Third)
	// Output: n=4 avg=154.0 sd=84.8
}

// The most frequent items, with each count's error bound (0 while exact).
func ExampleTopK() {
	top, err := aggregate.TopK(2, func(page string) string { return page }, nil)
	if err != nil {
		panic(err)
	}
	var acc aggregate.TopKState[string]
	for _, page := range []string{"/home", "/news", "/home", "/about", "/news", "/home"} {
		top.Add(&acc, page)
	}
	for _, it := range top.Result(&acc) {
		fmt.Println(it.Value, it.Count, it.Error)
	}
	// Output:
	// /home 3 0
	// /news 2 0
}

// Accumulators serialize, so a snapshot can carry them across invocations.
func ExampleStateCodec() {
	sum := aggregate.Sum(amount)
	codec := sum.(aggregate.StateCodec[aggregate.SumState[int64]])
	var acc aggregate.SumState[int64]
	sum.Add(&acc, bids[0])
	buf, _ := codec.AppendState(nil, &acc)

	var restored aggregate.SumState[int64]
	n, err := codec.ReadState(&restored, buf)
	fmt.Println(n, err, sum.Result(&restored))
	// Output: 2 <nil> 120
}

func ExampleDescribe() {
	// What an operator writes into its snapshot's descriptor: the
	// aggregate and the codec shape of its state.
	fmt.Println(aggregate.Describe(aggregate.Pair(aggregate.Sum(amount), aggregate.Count[Bid]())))
	fmt.Println(aggregate.Describe(aggregate.OrNull(aggregate.Max(amount))))
	// Output:
	// Pair(Sum[int64],Count)
	// OrNull(Max[int64])
}

// AVG(amount) over two shards: each shard's operator emits the partial
// state of its share of the records, and the reader of both merges the
// states and takes the result. Averaging the two shards' averages would
// give 202.7, not the average of all four bids.
func ExamplePartial() {
	avg := aggregate.Avg(amount)
	partial := aggregate.Partial(avg) // its result is the AvgState itself
	var shard1, shard2 aggregate.AvgState[int64]
	partial.Add(&shard1, bids[0])
	partial.Add(&shard1, bids[1])
	partial.Add(&shard1, bids[2])
	partial.Add(&shard2, bids[3])
	s1, s2 := partial.Result(&shard1), partial.Result(&shard2)

	var merged aggregate.AvgState[int64]
	avg.Merge(&merged, &s1)
	avg.Merge(&merged, &s2)
	fmt.Printf("%.1f %.1f %.1f\n", avg.Result(&s1), avg.Result(&s2), avg.Result(&merged))
	// Output: 105.3 300.0 154.0
}
