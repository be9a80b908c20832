// Package rowtime is the documentation root of an embeddable library of
// event-time stream operators: the windows, aggregates, sketches and
// analytic functions of Kinesis Data Analytics SQL as typed Go that runs
// inside a Lambda handler or a Kinesis consumer, on the caller's goroutine,
// with state that snapshots to bytes between invocations.
//
// This package holds no code. Start with:
//
//   - [github.com/rowtime/rowtime/record]: event time, the Operator contract
//     (Push, Advance, Flush; refusals versus errors that call for a restore
//     and replay), composition (Then, Tee, Map, Filter) and snapshots
//     (AppendSnapshot, RestoreSnapshot);
//   - [github.com/rowtime/rowtime/window]: tumbling (STEP, FLOOR), hopping,
//     session, stagger and per-record (OVER) windows, watermarks, late data,
//     keyed aggregation and TOP_K_ITEMS_TUMBLING;
//   - [github.com/rowtime/rowtime/aggregate]: mergeable aggregates (COUNT,
//     SUM, AVG, MIN, MAX, FIRST_VALUE, VAR_POP, …) and combinators;
//   - [github.com/rowtime/rowtime/distinct]: COUNT_DISTINCT_ITEMS_TUMBLING,
//     exact then HyperLogLog;
//   - [github.com/rowtime/rowtime/hotspot]: HOTSPOTS density clustering;
//   - [github.com/rowtime/rowtime/anomaly]: RANDOM_CUT_FOREST anomaly scores.
//
// Around the operators: [github.com/rowtime/rowtime/record/decode] turns
// Kinesis payloads (JSON or CSV lines) into typed records,
// [github.com/rowtime/rowtime/record/table] joins a stream with reference
// data, [github.com/rowtime/rowtime/record/kinesis] runs a pipeline in a
// Lambda handler or a shard loop with exactly-once bookkeeping, and
// [github.com/rowtime/rowtime/record/codec] is the binary form of the
// snapshots.
//
// A first pipeline, a windowed SUM per key:
//
//	op, err := window.Aggregate(window.Step(15*time.Second),
//		func(b Bid) int64 { return b.Block },
//		aggregate.Sum(func(b Bid) int64 { return b.Amount }),
//		nil)
//	...
//	err = op.Push(bid, func(r window.Result[int64, int64]) { fmt.Println(r.Key, r.Value) })
//
// The programs under examples/ (go run ./examples/quickstart first) show
// whole applications: decode, operators, output.
package rowtime
