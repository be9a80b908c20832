// Package window assigns records to event-time windows and aggregates them
// per key, replacing the windowed GROUP BY queries of Kinesis Data Analytics
// for SQL (KDA).
//
// # Usage
//
//	// SELECT STREAM block, SUM(amount) FROM bids
//	// GROUP BY block, STEP(ROWTIME BY INTERVAL '15' SECOND)
//	op, err := window.Aggregate(window.Step(15*time.Second),
//		func(b Bid) int64 { return b.Block },
//		aggregate.Sum(func(b Bid) int64 { return b.Amount }),
//		nil) // *window.Options: Delay, Lateness, Late, limits; nil = defaults
//	if err != nil { ... }
//	for _, b := range batch {
//		if err := op.Push(b, emit); err != nil { ... }
//	}
//	op.Advance(batchEnd, emit) // or op.Flush(emit) at the end of input
//
// The operator is a [record.Operator]; results are [Result] values handed to
// emit on the caller's goroutine.
//
// # Keys
//
// Every constructor that groups records takes a key function and refuses a
// nil one with [ErrInvalid]. Without a key (no GROUP BY or PARTITION BY
// column), pass [Unkeyed]: every record then has the key [NoKey]{}, and
// results keyed by NoKey have no "key" in their JSON forms. [TopKItems] and
// distinct.CountItems are the unkeyed forms of [TopKItemsByKey] and
// distinct.CountItemsByKey. This package's operators never call a key
// function whose key type has size zero (NoKey, or any struct{}): such a
// type has one value, so a query without a key pays nothing for it. A key
// that is not equal to itself (a float NaN) is refused with [ErrKey].
//
// # Windows
//
// Every window is half-open: [Start, End) holds Start and not End. A record
// belongs to the windows that contain its event time.
//
//   - [Step](d): tumbling windows [k·d, (k+1)·d) aligned to the Unix epoch,
//     for any positive duration d. [Months](n) and [Years](n) are calendar
//     steps in UTC: a window starts at the first instant of a month whose
//     index since January 1970 is a multiple of n.
//   - [Floor](unit): tumbling windows that truncate to SECOND, MINUTE, HOUR,
//     DAY, WEEK (ISO, Monday), MONTH or YEAR in UTC; [FloorIn] does the same
//     in a given *time.Location, where a day can last 23 or 25 hours.
//   - [Hop](size, slide): windows [k·slide, k·slide+size) aligned to the
//     epoch; a record belongs to every one that contains it.
//   - [Session](gap) and [Stagger](length): per-key windows that depend on
//     the data (see their docs).
//
// All window arithmetic is integer arithmetic on [record.Time], nanoseconds
// since the epoch, and rounds down: a real floor, also before 1970, where
// integer division and [time.Duration.Truncate] would round toward zero. So
// STEP 10 SECOND of −1 ns is [−10s, 0), and a window may span the epoch.
// A record whose window bound falls outside the range of record.Time (within
// a window of the years 1677 or 2262) is refused with [ErrOverflow].
//
// KDA's documentation shows STEP(2004-09-27 13:48:23 BY INTERVAL '5' DAY) as
// 2004-09-25, which is not what its own epoch formula gives: 2004-09-24.
// rowtime follows the formula: days are fixed 86,400-second steps from the
// epoch, so STEP 5 DAY windows start on days whose number since 1970-01-01
// is a multiple of 5. Use [Floor] or [FloorIn] for calendar days.
//
// # Watermarks and results
//
// A watermark W says that no record with time < W will arrive. The operator
// keeps one: (largest event time pushed) − Options.Delay, or a later value
// given to Advance (an idle shard, the end of a Lambda batch). A window is
// emitted once, when the watermark reaches its End; [Agg.Flush] emits
// everything still open (end of input).
//
// Results of windows that close together come out ordered by End, then by
// Start, then by the order in which each key first appeared in its window.
// The output is deterministic for a given input order. A [Result] is a record
// itself: its event time is End − 1 ns, the last instant inside the window,
// so it falls into the same window of a downstream operator with the same
// assigner. Operators emit results before they pass the watermark on (see
// [record.Then]), so results are never late downstream.
//
// # Late records
//
// For tumbling and hopping windows a record is late when every window it
// belongs to has already been emitted. A hopping record below the watermark
// whose later windows are still open is not late: it counts in those open
// windows (and, under allowed lateness, updates the closed ones).
//
// Session and stagger windows take the records of a key in event-time
// order. For them a record is late when its time is below the watermark on
// arrival; records out of order by up to Delay wait in a buffer until the
// watermark reaches them and are then taken in time order (arrival order
// among equal times). With Delay 0, the default, nothing waits and results
// come at once, as in KDA.
//
// Late records are never lost silently. By default they are dropped and
// counted in [Stats].Late; Options.Late receives each one instead, with an
// error wrapping [ErrLate] (a side output). Options.Lateness keeps a window's
// state for that long after the watermark passes its End (until the
// watermark reaches End + Lateness): a late record that falls in such a
// window updates it, and the corrected result is emitted at once with
// Update set; it replaces the result emitted earlier for that key and
// window. A late record may also be the first of its key in a held window;
// its result is then emitted at once, also marked Update. For session and
// stagger windows a late record updates the held window of its key that
// contains its time, whose bounds stay as emitted: a late record never
// extends or merges sessions.
//
// # Per-record (OVER) windows
//
// NewOver is KDA's AGG(x) OVER (PARTITION BY k RANGE INTERVAL 'd' PRECEDING)
// and ROWS n PRECEDING: one [OverRow] per input record, carrying the record and the
// aggregate over its frame, in processing order. Range(d) holds the rows of the
// same partition with time in [t − d, t] processed before the record, and the
// record itself; Rows(n) the record and up to n rows before it. Rows with equal
// times are taken in arrival order: the first of two does not see the second.
// Several frames over one stream cost one pass (NewOver(key, agg, opts,
// Rows(2), Rows(10))). Records are processed in event-time order: with Delay
// > 0 they wait in a buffer until the watermark passes them; a record below
// the watermark on arrival is late. Nothing is emitted when rows merely age
// out. An aggregate that implements [aggregate.Remover] is updated by
// subtracting rows as they leave; any other (Min, Max, First, Last) by a
// two-stack FIFO of accumulators: O(1) aggregate calls per record, amortized,
// whatever the frame's length. Lateness has no meaning for OVER windows, whose
// rows are never revised, and is refused at construction.
//
// # Analytic functions
//
// [ExpAvg] (KDA's EXP_AVG), [Lag] and [NthValue] (FROM FIRST or FROM LAST)
// go where NewOver takes an aggregate. They read the frame's rows by
// position through the [Analytic] extension point, which user functions may
// implement too. Lag and NthValue cost O(1) a row; ExpAvg, whose weights
// halve every half-life of age, O(b · log m) for the b half-lives the frame
// spans and the m rows it holds. Lag reads the partition, not the frame, so
// its partitions are kept until Flush.
//
// # Stream-to-stream joins
//
// [NewJoin] is KDA's JOIN of two streams with an OVER window on one side or
// both ([LeftWindow], [RightWindow], [BothWindows]), and Flink's interval
// join ([Interval]): INNER, LEFT, RIGHT or FULL OUTER on an equality key.
// Each input has its own row type; the join is a record.Operator over
// [Either] of them, so it composes with record.Then. A match is emitted at
// the later row's time; a preserved row that never matched is emitted once,
// when it can no longer match. Both inputs are merged in event-time order;
// the watermark is the smaller of the two inputs' (or, with
// JoinOptions.OneClock, the larger), and drops held rows across all keys.
//
// # TOP_K_ITEMS_TUMBLING
//
// [TopKItems] and [TopKItemsByKey] are KDA's TOP_K_ITEMS_TUMBLING: the K most
// frequent values of a column per window (and key), most frequent first, ties
// by first appearance, one [TopKItem] row per item with its count and error
// bound. They run [aggregate.TopK], a Space-Saving summary that is exact while a
// window holds no more distinct values than its capacity (10·K by default), over
// any assigner that Aggregate takes, with the late-data policies, limits and
// snapshots of [Aggregate]. They live here, not in package distinct, because
// they are a windowed aggregation like any other; distinct holds the
// distinct-count sketch and COUNT_DISTINCT_ITEMS_TUMBLING.
//
// # Limits
//
// Options.MaxWindows bounds the (key, window) states held (for hopping
// windows, the (key, pane) accumulators; for session and stagger windows,
// the windows plus the records waiting in the reorder buffer, since each
// may open one), and Options.MaxKeys the keys. A record that would exceed a
// limit is refused: Push returns an error wrapping [ErrLimit], the record is
// still the caller's and the operator is unchanged. The caller may Advance
// or Flush to make room and push it again. A record whose own watermark
// would close enough windows to make room is taken.
//
// # Snapshots
//
// [Agg.AppendSnapshot] writes the whole state in a compact binary form and
// [Agg.Restore] reads it back, for state that survives between Lambda
// invocations. A restored operator continues exactly as the original would
// have. A snapshot is a record envelope (see record.BeginSnapshot): a
// descriptor of what it stores (the assigner or frames, the aggregate, the
// codec shapes of keys, accumulators and buffered records, and
// Options.Schema), a checksum over every byte, checked before anything is
// decoded, and the state. It restores only into an operator with the same
// descriptor; anything else, and any corrupt or truncated data, is an error
// wrapping record.ErrSnapshot that names both sides. Delay, Lateness and the
// limits are not in the descriptor: they decide only about records not yet
// seen, so they may change between the writer and the reader (the watermark
// never moves back; a limit below what is held refuses new keys and windows
// and drops none). To deploy a query whose state differs, start empty, or
// restore into the old operator and write a migration that feeds what it
// holds into the new one. Snapshots of the format before the envelope are
// still read.
//
// Keys, accumulators without their own codec and buffered records are
// written with package record/codec, which refuses what it cannot round-trip
// (a struct with unexported fields that does not encode itself, a func, a
// channel, an interface): AppendSnapshot checks the stored types, before it
// writes anything, at every snapshot, never at construction.
//
// # Errors and Flush
//
// A record the operator refuses (a limit reached, a window bound that
// overflows, a key not equal to itself such as a float NaN) leaves the
// operator as it was; the error wraps record.ErrRefused (record.IsRefused
// reports true) and the caller may go on with the next record. Flush ends
// the input: Push and Advance after it return record.ErrFlushed, so a
// handler that meant to close a batch (Advance) hears of its mistake
// instead of seeing every later record counted late. A nil emit discards
// results, for every operator and call.
//
// # KDA's ROWTIME
//
// KDA windows on ROWTIME, the time a row arrived in the application, which
// only increases. To get the same results, stamp each record with its
// arrival time as its event time (for Kinesis, the record's
// ApproximateArrivalTimestamp) and keep Delay 0: nothing is then late or
// reordered, and each window is emitted as soon as a record of a later one
// arrives.
//
// # Aggregates and NaN
//
// Any [aggregate.Func] works, so several aggregates at once are one
// aggregate over a struct. What a NaN input does is the aggregate's choice,
// documented in package aggregate; the operator never looks at values.
//
// # Cost
//
// Push costs one map lookup (key → dense index) plus O(1) work, and does not
// allocate in steady state: accumulators live in slices and are reused.
// Results are computed only at emission.
//
//   - Tumbling windows: one accumulator per open (key, window), plus 12
//     bytes of bookkeeping. A record costs one look-up of its key (none when
//     its key is that of the record before, as it always is without a key)
//     and one update of an accumulator. Keys that go quiet keep their place
//     for a while, so a key that comes back in the next window costs no
//     more than one that stayed.
//   - Hopping windows: the time line is cut into panes of gcd(size, slide);
//     a record updates one (key, pane) accumulator, and each key's windows
//     are combined from its panes with a two-stack FIFO, so per record and
//     per result the work is O(1) amortized, whatever size/slide is: at most
//     three merges per pane and two per result. Emitting a window also sorts
//     its keys by first appearance, a radix sort linear in the results.
//     Memory: one accumulator (two in the FIFO's front) per (key, pane).
//   - Session and stagger windows: one accumulator per open window; records
//     out of order wait in a heap, O(log n) each.
//
// A record that is late but within allowed lateness costs more (for hopping
// windows, the panes of each updated window are merged afresh), as does a
// restore.
package window
