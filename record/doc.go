// Package record is the spine of rowtime: event time, records, the operator
// contract, how operators compose, and the snapshots of composed operators.
// What builds on the spine lives in packages of its own under record/:
//
//   - [github.com/rowtime/rowtime/record/decode] turns Kinesis payloads into
//     typed records;
//   - [github.com/rowtime/rowtime/record/table] holds reference tables and
//     joins a stream with them;
//   - [github.com/rowtime/rowtime/record/codec] is the binary codec that
//     operators write their snapshots with;
//   - [github.com/rowtime/rowtime/record/kinesis] reads Kinesis records, in
//     a Lambda handler or a shard loop, exactly once.
//
// # Time
//
// An event time is a [Time]: int64 nanoseconds since the Unix epoch, UTC,
// covering the years 1678 to 2262. Window arithmetic is integer arithmetic
// on it, and rounding is a real floor also before 1970: [Time.Truncate],
// [FloorDiv] and [FloorMod] round toward the past where Go's / and
// [time.Time.Truncate] round toward zero. Conversions from [time.Time],
// Unix seconds and milliseconds and RFC 3339 text fail with [ErrTimeRange]
// instead of wrapping around when a time does not fit, and [Time.Add] and
// [Time.Sub] saturate at the ends of the range.
//
// # Records and operators
//
// A record type carries its time through the [Timed] constraint, or is an
// [Of] (a time and a value, made by [At]). An [Operator] takes records with
// Push, learns from Advance that no record older than a watermark will come,
// and emits everything still open on Flush. Results go to an emit callback on the
// caller's goroutine; operators start no goroutines and are not safe for
// concurrent use.
//
// Operators compose:
//
//	op := record.Then(
//		record.Filter(func(t Trade) bool { return t.Qty > 0 }),
//		record.Map(func(t Trade) Notional { return Notional{t.Ticker, t.Price * float64(t.Qty)} }))
//	out, err := record.Collect(op, trades)
//
// [Then] passes each stage's results to the next before the next stage sees
// the same watermark, so results of one stage are never late in the next,
// and an error from any stage, even one raised inside an emit, comes back
// from the composed call as a *[StageError] naming the stage. [Tee] fans
// each record out to several operators; [FilterMap] emits zero or one result
// per record. A chain of [Map] stages costs one
// function call per stage and record, and no allocation. A nil emit is
// accepted everywhere: the results are discarded.
//
// # Errors
//
// Every operator and every composition keeps one contract for the errors of
// Push, Advance and Flush (see [Operator]):
//
//   - a refusal ([IsRefused] reports true; it wraps [ErrRefused]) changed
//     nothing: go on with the next record;
//   - any other error means the state may have moved: drop what the call
//     emitted, restore the snapshot taken before the call and replay;
//   - if the replay fails the same way, restore once more and put the input
//     record in the dead letters;
//   - Push and Advance after Flush return [ErrFlushed].
//
// A composition's error is a refusal only when nothing had moved: a later
// stage that rejects what an earlier, stateful stage made of a record fails
// the composed call even if it refused, since the earlier stage had taken
// the record. [StageError] carries that decision.
//
// In code, with a snapshot taken before each call:
//
//	err := op.Push(r, emit)
//	switch {
//	case err == nil, record.IsRefused(err):
//		// go on (count or set aside a refused r)
//	default:
//		restore(snap) // and drop what the call emitted
//		if err2 := op.Push(r, emit); err2 != nil && !record.IsRefused(err2) {
//			restore(snap)
//			deadLetters = append(deadLetters, r)
//		}
//	}
//
// Composed operators are [Snapshotter]s: their snapshot holds that of every
// stateful stage, so a whole pipeline can be saved at the end of one Lambda
// invocation and restored at the start of the next. A composition's
// snapshot is an envelope (see [BeginSnapshot]) whose descriptor names the
// composition and its number of stages, with a CRC-32C over its bytes;
// snapshots of earlier releases are still read. [AppendSnapshot] and
// [RestoreSnapshot] snapshot a pipeline, or several operators side by side,
// without asserting that they are Snapshotters. A failed Restore leaves the
// pipeline as it was, and every error of unreadable or mismatched state
// wraps [ErrSnapshot]. Stateful operators write their state with package
// codec, whose errors are snapshot errors too.
//
// # Decoding
//
// Package [github.com/rowtime/rowtime/record/decode] turns Kinesis payloads
// (JSON lines, one JSON object per record, or CSV lines) into [Of] records,
// taking the event time from a field in KDA's formats, or from the record's
// arrival time, which is KDA's ROWTIME. [ParseRFC3339], [ParseISO8601],
// [ParseSeconds] and [ParseMillis] read those formats on their own.
//
// # Costs
//
// Composition adds a function call per stage and record: a chain of Map,
// Filter and FilterMap stages allocates nothing, and a [Then] whose first
// stage is one of them calls it directly. A composed snapshot costs the
// stages' own snapshots plus a few bytes of framing per stage and a CRC-32C
// over the whole; a restore first takes a snapshot of every stage, to put
// them back if a later stage fails, so it costs about twice a snapshot.
//
// # Reference tables
//
// Package table holds KDA's reference data: loaded once from CSV or JSON
// lines, keyed by a string, an integer or a key of several columns, and
// joined with a stream by table.Join and table.LeftJoin.
package record
