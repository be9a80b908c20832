// Package distinct counts distinct items: KDA's COUNT_DISTINCT_ITEMS_TUMBLING.
//
// A [Sketch] counts exactly, as a set of 64-bit item hashes, while it holds
// at most a threshold of distinct items (10,000 by default, what Kinesis Data
// Analytics promised), and from then on estimates with a dense HyperLogLog
// sketch of github.com/axiomhq/hyperloglog (precision 14 by default: 16 KiB
// and a standard error of about 0.81%; 4 to 18 allowed). Sketches merge
// across shards and windows, and the merge of partial sketches is the very
// state of one sketch fed everything. They serialize with a version byte for
// checkpoints.
//
//	s, err := distinct.New(nil) // or use a zero Sketch
//	s.InsertHash(distinct.Hash(bidder))
//	n := s.Estimate()
//
// Items are strings, byte slices or integers ([Item]), hashed without
// allocation with MetroHash64 (github.com/dgryski/go-metro) under the seed
// hyperloglog's own Insert uses.
//
// [Count] is the distinct count as an aggregate of package aggregate, for
// any window kind of package window, keyed or not.
//
// # COUNT_DISTINCT_ITEMS_TUMBLING
//
// [CountItems] and [CountItemsByKey] build the operator: the distinct count
// of one column per window of a window.Assigner, over all records or per key.
//
//	// COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM bids), 'Bidder', 10)
//	op, err := distinct.CountItems(window.Step(10*time.Second),
//		func(b Bid) string { return b.Bidder }, nil)
//
// It is window.Aggregate over [Count], so windows are half-open, emitted
// when the watermark reaches their end, and late data, Delay, allowed
// Lateness, limits, Stats and snapshots behave as window's package doc
// says. A [Result] carries NUMBER_OF_DISTINCT_ITEMS, whether it is exact,
// and its JSON form:
//
//	{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:00:10Z","NUMBER_OF_DISTINCT_ITEMS":42}
//
// with "key" after the bounds when keyed. A fast path takes a record that
// falls into the same (key, window) as the one before it and cannot close a
// window straight into that window's sketch, so an in-order stream costs
// about a hash and a register update per record.
//
// The top K items of a window, KDA's TOP_K_ITEMS_TUMBLING, are in package
// window (window.TopKItems): that operator is an aggregation of
// aggregate.TopK over a window assigner, like window.Aggregate itself.
//
// # Cost
//
// Inserting costs a hash and, past the threshold, one register update; it
// does not allocate once the exact set has grown. The estimate reads every
// register (about 0.7 ms at precision 14), so it is computed only when asked
// for, that is when a window is emitted, and cached until the sketch changes.
// An open sketch holds 11 to 22 bytes per item below the threshold (a hash
// table of 8-byte slots, at most 3/4 full; 128 KiB at 10,000 items) and
// 2^precision bytes (16 KiB by default) above it.
package distinct
