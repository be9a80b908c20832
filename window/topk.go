package window

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// TOP_K_ITEMS_TUMBLING lives in package window, next to Aggregate, because
// it is one: an aggregation (aggregate.TopK) over the windows of an
// assigner, with the same watermarks, late data, limits and Stats. Only its
// results differ: one row per item, as KDA returned them.

// NoKey is the key of the results of an unkeyed operator such as
// [TopKItems]. Results with a NoKey key have no "key" in their JSON form.
type NoKey struct{}

// Unkeyed is the key function of an operator without a key: every record
// has the key NoKey{}, so all records fall into one group (per window). It
// is the one way to say "no key" to the constructors that take a key
// function, which all refuse a nil one:
//
//	window.Aggregate(window.Step(time.Minute), window.Unkeyed[Trade], sum, nil)
//	window.NewOver(window.Unkeyed[Trade], avg, nil, window.Range(time.Hour))
//
// [TopKItems] and distinct.CountItems are the unkeyed forms of
// [TopKItemsByKey] and distinct.CountItemsByKey with this key function.
func Unkeyed[R any](R) NoKey { return NoKey{} }

// TopKOptions configures the TOP_K_ITEMS_TUMBLING operator. A nil
// *TopKOptions, like the zero one, means the defaults.
type TopKOptions[R any] struct {
	// Options are the windowing options: Delay, Lateness, Late and limits.
	Options[R]

	// Capacity is the number of counters of each window's Space-Saving
	// summary (aggregate.TopKOptions.Capacity): at least K; 0 means 10·K.
	// Counts are exact while a window holds at most Capacity distinct items.
	Capacity int
}

// TopKItem is one row of a window's top K: KDA's ITEM and ITEM_COUNT. It
// is a record: its EventTime is End − 1 ns.
type TopKItem[K, T any] struct {
	Start, End record.Time // the window [Start, End)
	Key        K
	Rank       int   // 1 for the most frequent item
	Item       T     // ITEM
	ItemCount  int64 // ITEM_COUNT: an upper bound of the true count
	Error      int64 // the true count is in [ItemCount−Error, ItemCount]; 0 when exact
	Update     bool  // a correction of a result already emitted (allowed lateness)
}

// EventTime returns End − 1 ns.
func (r TopKItem[K, T]) EventTime() record.Time { return r.End - 1 }

// AppendJSON appends the JSON form of r to dst, one object per item as
// KDA's TOP_K_ITEMS_TUMBLING names its columns:
//
//	{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:01:00Z","ITEM":"/news/1","ITEM_COUNT":310}
//
// Window bounds are RFC 3339 strings with nanoseconds, in UTC; the item is
// encoded with encoding/json. A keyed result (any K but NoKey) has "key"
// after the bounds; an update under allowed lateness ends with
// "update":true. Rank and Error are not part of the form. The error is the
// key's or the item's encoding error, and dst is returned unchanged with it.
// It has the shape of Result.AppendJSON, with the same head and tail; the
// fields between them are KDA's for TOP_K_ITEMS_TUMBLING.
func (r TopKItem[K, T]) AppendJSON(dst []byte) ([]byte, error) {
	out, err := appendWindowHead(dst, r.Start, r.End, r.Key)
	if err != nil {
		return dst, err
	}
	item, err := json.Marshal(r.Item)
	if err != nil {
		return dst, fmt.Errorf("window: item %v: %w", r.Item, err)
	}
	out = append(append(out, `,"ITEM":`...), item...)
	out = append(out, `,"ITEM_COUNT":`...)
	out = strconv.AppendInt(out, r.ItemCount, 10)
	return appendWindowTail(out, r.Update), nil
}

// TopK is the TOP_K_ITEMS_TUMBLING operator built by [TopKItems] and
// [TopKItemsByKey]: the K most frequent values of one column per window (and
// key). It implements record.Operator[R, TopKItem[K, T]]. A late record
// (whose windows have all been emitted) is by default dropped and counted in
// Stats.Late: set Options.Late to receive each one, or Options.Lateness to
// keep emitted windows open for it and re-emit their rows updated.
//
// It is [Aggregate] over aggregate.TopK, so windows, watermarks, late data,
// limits and Stats behave exactly as there. When a window closes it emits
// its items one row each, most frequent first, ties broken by first
// appearance in the window; a window under allowed lateness re-emits all
// its rows, marked Update.
//
// A TopK is not safe for concurrent use, and emit must not call back into
// the TopK that is emitting.
type TopK[R record.Timed, K comparable, T comparable] struct {
	agg     *Agg[R, K, []aggregate.Item[T]]
	out     func(TopKItem[K, T])
	forward func(Result[K, []aggregate.Item[T]])

	rows, updates uint64 // rows emitted, and those marked Update
	k, capacity   int
	desc          *record.Descriptor
}

var _ record.Operator[record.Time, TopKItem[NoKey, int]] = (*TopK[record.Time, NoKey, int])(nil)

// TopKItems returns the operator that reports the k most frequent values
// of item in each window of w, over all records: KDA's
//
//	TOP_K_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM s), 'column', 10, 60)
//
// is TopKItems(Step(time.Minute), 10, column, nil). Any assigner that
// Aggregate supports works. It returns an error wrapping [ErrInvalid] for a
// nil item function or an invalid assigner or options, and aggregate.ErrK or
// aggregate.ErrCapacity for k < 1 or a capacity below k.
func TopKItems[R record.Timed, T comparable](w Assigner, k int, item func(R) T, opts *TopKOptions[R]) (*TopK[R, NoKey, T], error) {
	return newTopK(w, Unkeyed[R], k, item, opts)
}

// TopKItemsByKey is [TopKItems] per key: the top k of each (key, window),
// as with GROUP BY key.
func TopKItemsByKey[R record.Timed, K comparable, T comparable](w Assigner, key func(R) K, k int, item func(R) T, opts *TopKOptions[R]) (*TopK[R, K, T], error) {
	if key == nil {
		return nil, fmt.Errorf("%w: nil key function", ErrInvalid)
	}
	return newTopK(w, key, k, item, opts)
}

func newTopK[R record.Timed, K comparable, T comparable](w Assigner, key func(R) K, k int, item func(R) T, opts *TopKOptions[R]) (*TopK[R, K, T], error) {
	if item == nil {
		return nil, fmt.Errorf("%w: nil item function", ErrInvalid)
	}
	var ao *aggregate.TopKOptions
	var wo *Options[R]
	if opts != nil {
		ao = &aggregate.TopKOptions{Capacity: opts.Capacity}
		wo = &opts.Options
	}
	f, err := aggregate.TopK(k, item, ao)
	if err != nil {
		return nil, err
	}
	agg, err := Aggregate(w, key, f, wo)
	if err != nil {
		return nil, err
	}
	op := &TopK[R, K, T]{agg: agg, k: k, capacity: 10 * k}
	if opts != nil && opts.Capacity != 0 {
		op.capacity = opts.Capacity
	}
	op.forward = op.emit
	return op, nil
}

func (op *TopK[R, K, T]) emit(r Result[K, []aggregate.Item[T]]) {
	op.rows += uint64(len(r.Value))
	if r.Update {
		op.updates += uint64(len(r.Value))
	}
	for i, it := range r.Value {
		op.out(TopKItem[K, T]{
			Start: r.Start, End: r.End, Key: r.Key,
			Rank: i + 1, Item: it.Value, ItemCount: it.Count, Error: it.Error,
			Update: r.Update,
		})
	}
}

// Push takes one record, as [Agg.Push] does.
func (op *TopK[R, K, T]) Push(r R, emit func(TopKItem[K, T])) error {
	op.out = orDiscard(emit)
	err := op.agg.Push(r, op.forward)
	op.out = nil
	return err
}

// Advance moves the watermark to wm, if that is later than the current one,
// and emits the rows of every window that ends at or before it. It fails
// only after Flush, with record.ErrFlushed. A nil emit discards the rows.
func (op *TopK[R, K, T]) Advance(wm record.Time, emit func(TopKItem[K, T])) error {
	op.out = orDiscard(emit)
	err := op.agg.Advance(wm, op.forward)
	op.out = nil
	return err
}

// Flush emits the rows of every open window and drops all state: end of
// input.
func (op *TopK[R, K, T]) Flush(emit func(TopKItem[K, T])) error {
	op.out = orDiscard(emit)
	err := op.agg.Flush(op.forward)
	op.out = nil
	return err
}

// Stats returns what the operator has seen and holds. Emitted and Updates
// count rows, one per item.
func (op *TopK[R, K, T]) Stats() Stats {
	s := op.agg.Stats()
	s.Emitted, s.Updates = op.rows, op.updates
	return s
}

// topKLegacyVersion is the first byte of a TopK snapshot of the format
// before the envelope, which Restore still reads.
const topKLegacyVersion = 1

const topKLegacyMagic = "rowtime/window.TopK"

func (op *TopK[R, K, T]) descriptor() *record.Descriptor {
	if op.desc == nil {
		op.desc = record.NewDescriptor("window.TopK").Param("k", op.k).Param("capacity", op.capacity).
			Type("item", reflect.TypeFor[T]())
	}
	return op.desc
}

// AppendSnapshot appends the operator's state to dst and returns the
// extended buffer: a record envelope with K, the capacity and the item type
// in its descriptor, holding the row counters and [Agg.AppendSnapshot] of
// its windows. On error dst is returned unchanged.
func (op *TopK[R, K, T]) AppendSnapshot(dst []byte) ([]byte, error) {
	if err := codecErr[T]("item"); err != nil {
		return dst, fmt.Errorf("window: snapshot: %w", err)
	}
	start := len(dst)
	w := &snapWriter{b: record.BeginSnapshot(dst, op.descriptor())}
	w.u64(op.rows)
	w.u64(op.updates)
	out, err := op.agg.AppendSnapshot(w.b)
	if err != nil {
		return dst, err
	}
	return record.EndSnapshot(out, start), nil
}

// Restore replaces the operator's state with a snapshot written by
// AppendSnapshot of an operator built with the same assigner, K, capacity
// and item and key types (the key and item functions and Options.Late are
// not recorded: they must be the same too). Delay, Lateness and the limits
// may differ, as for [Agg.Restore]. On error, which wraps
// record.ErrSnapshot, the operator is unchanged.
func (op *TopK[R, K, T]) Restore(data []byte) error {
	var r *snapReader
	if record.IsLegacySnapshot(data) {
		r = &snapReader{b: data}
		if v := r.byte(); r.err == nil && v != topKLegacyVersion {
			return fmt.Errorf("%w: version %d, want %d", ErrSnapshot, v, topKLegacyVersion)
		}
		if m := r.str(); r.err == nil && m != topKLegacyMagic {
			return fmt.Errorf("%w: not a window.TopK snapshot", ErrSnapshot)
		}
		k, capacity := r.u64(), r.u64()
		if r.err == nil && (k != uint64(op.k) || capacity != uint64(op.capacity)) {
			return fmt.Errorf("%w: taken with K %d, capacity %d; this operator has K %d, capacity %d", ErrSnapshot, k, capacity, op.k, op.capacity)
		}
	} else {
		body, err := record.OpenSnapshot(data, op.descriptor())
		if err != nil {
			return fmt.Errorf("window: restore: %w", err)
		}
		r = &snapReader{b: body}
	}
	rows, updates := r.u64(), r.u64()
	if r.err != nil {
		return r.err
	}
	if err := op.agg.Restore(r.b); err != nil {
		return err
	}
	op.rows, op.updates = rows, updates
	return nil
}
