// Package aggregate provides mergeable aggregate functions over records, the
// aggregates of streaming SQL, and the contract (Func) through which the
// windowed operators of rowtime run them.
//
// An aggregate is built once from functions that read the columns it needs,
// and handed to an operator:
//
//	// SELECT STREAM block, SUM(amount) ... GROUP BY block, STEP(ROWTIME BY INTERVAL '15' SECOND)
//	op, err := window.Aggregate(window.Step(15*time.Second),
//		func(b Bid) int64 { return b.Block },
//		aggregate.Sum(func(b Bid) int64 { return b.Amount }),
//		nil)
//
// # The aggregates
//
//	SQL                                   rowtime
//	COUNT(*)                              Count[R]()
//	SUM(x)                                Sum(x)
//	AVG(x)                                Avg(x)
//	MIN(x), MAX(x)                        Min(x), Max(x)
//	FIRST_VALUE(x), LAST_VALUE(x)         First(x), Last(x)       (by event time)
//	VAR_POP, VAR_SAMP(x)                  VarPop(x), VarSamp(x)
//	STDDEV_POP, STDDEV_SAMP(x)            StddevPop(x), StddevSamp(x)
//	SUM(CASE WHEN c THEN 1 ELSE 0 END)    Where(c, Count[R]())
//	AGG(x) FILTER (WHERE c)               Where(c, agg)
//	COUNT(*), SUM(x)                      Pair(Count[R](), Sum(x))   (.First, .Second)
//	TOP_K_ITEMS(x, k)                     TopK(k, x, opts)
//	one shard's share of agg(x)           Partial(agg)               (the state, to merge)
//
// Each constructor returns a Func, whose accumulator type A Go infers: the
// operator keeps one A per key and window, and the zero A is always an
// empty aggregate, so nothing needs initialising.
//
// # The algebra
//
// Every Func is mergeable: accumulators built from consecutive runs of the
// input (shards, panes of a sliding window, Lambda invocations) merge into the
// accumulator of the whole run. Precisely, with ⊕ for Merge and 0 for the
// zero accumulator: 0 is the identity of ⊕, ⊕ is associative, and folding
// records into one accumulator equals folding runs separately and merging
// them in order. Merge need not be commutative: First and Last break ties in
// event time by arrival, and Merge(dst, src) counts src as the later arrival.
//
// Count, Sum, Avg and the variances are also Removers: Remove(a, r) takes out
// a record that Add put in, which sliding windows use to expire records
// oldest-first. Min, Max, First, Last and TopK are not invertible; Min and
// Max are Extremes instead, which a sliding window keeps as a queue of
// candidate records.
//
// [Partial] makes that usable across processes: a shard's operator emits the
// accumulator of [Partial](f) instead of f's result, and whoever reads all
// shards merges the accumulators of one window and key with f.Merge and
// takes f.Result, which equals the result of one operator fed every shard.
//
// Package aggtest checks these laws on random input; every aggregate here
// passes it, and user-written aggregates can use it too.
//
// # Numbers
//
// Sums of integers are exact in the integer type and wrap on overflow as Go
// arithmetic does. Sums of floats use Kahan–Neumaier compensated summation,
// so a sum of many small values next to a large one, or a sum merged from
// shards, keeps its low digits. Avg is always a float64, also for integer
// input: AVG of 1 and 2 is 1.5. (Kinesis Data Analytics truncated integer
// averages to an integer; rowtime does not.) The variances use Welford's
// method, merged with Chan et al.'s formula, which stays accurate when the
// mean is far larger than the spread.
//
// NaN: SQL has no NaN, and Add cannot fail, so rowtime follows IEEE 754. A
// NaN input makes Sum, Avg, the variances, Min and Max NaN (Min and Max
// propagate NaN as IEEE 754's minimum and maximum do, rather than ordering
// it first as cmp.Less does). Infinities too give what the plain
// computation gives: a Sum or Avg over +Inf is +Inf, over +Inf and -Inf
// NaN, and a variance over any infinity NaN. Sum, Avg and the variances keep
// counts of the NaN, +Inf and -Inf values they hold apart from their finite
// arithmetic, so Remove takes those out again exactly: when a NaN has left a
// sliding window, the window's sum is the compensated sum of the finite
// values still in it, as if the NaN had never come. (Finite values whose sum
// overflows float64 are another matter: that sum is infinite and stays so,
// also after Remove.) Filter NaN out with Where when it means "no value".
//
// # Nulls
//
// Go has no NULL, so absent values are explicit. An aggregate of no records
// reports its own value: 0 for Count and Sum; NaN for Avg, the variances and
// the standard deviations (and for the sample ones over a single record); the
// zero value for Min, Max, First and Last; no items for TopK. OrNull wraps
// any Func so that it reports Null[V]{} (Valid false) when it saw nothing,
// as SQL reports NULL. To skip absent inputs, as SQL aggregates skip NULLs,
// filter them with Where around OrNull:
//
//	// AVG(temp) where temp is nullable: NULL when no reading had a temperature
//	aggregate.Where(func(r Reading) bool { return r.Temp.Valid },
//		aggregate.OrNull(aggregate.Avg(func(r Reading) float64 { return r.Temp.Value })))
//
// # Cost
//
// Add does not allocate (TopK's once its summary is full) and costs a few
// nanoseconds: the column function, an addition or a comparison. Result does
// the expensive work, such as TopK's sort, when a window is emitted.
//
// # Snapshots
//
// Every Func in this package is a StateCodec: its accumulators encode to a
// compact, self-delimiting binary form, so operators can snapshot them.
// Column values kept in a state (Min's extreme, TopK's items) use
// codec.Append, and so do the accumulators of user aggregates wrapped
// by Where, OrNull, Pair and Triple when those aggregates have no codec of
// their own. A failed ReadState leaves the accumulator unchanged, and its
// error wraps record.ErrSnapshot, the one error for unreadable or
// mismatched state (ErrCorrupt and ErrMismatch are old names of it).
//
// Every Func in this package is also a Describer: Describe names the
// aggregate and the codec shape of its state ("Sum[int64]",
// "Pair(Sum[int64],Count)", "OrNull(Avg[float64])", "TopK[string](k=3,capacity=30)"),
// and operators write it into the descriptor of their snapshots, so that
// state written with one aggregate is refused by an operator built with
// another instead of being read as the wrong numbers. [Describe] describes
// any Func, falling back to its Go type.
package aggregate
