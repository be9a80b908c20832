package distinct

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"unsafe"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// CountOptions configures the COUNT_DISTINCT_ITEMS_TUMBLING operator. A nil
// *CountOptions, like the zero one, means the defaults.
type CountOptions[R any] struct {
	// Options are the windowing options: Delay, Lateness, the Late side
	// output and the state limits, as for window.Aggregate.
	window.Options[R]

	// Precision and Threshold configure each window's Sketch, as in
	// [Options]: 0 means 14 and 10,000.
	Precision int
	Threshold int
}

// NoKey is the key of the results of an unkeyed count ([CountItems]). Its
// results have no "key" in their JSON form. It is window.NoKey, the key of
// window's unkeyed operators.
type NoKey = window.NoKey

// Result is the distinct count of one window (for one key), KDA's
// NUMBER_OF_DISTINCT_ITEMS. It is a record: its EventTime is End − 1 ns, the
// last instant inside the window.
type Result[K any] struct {
	Start, End record.Time // the window [Start, End)
	Key        K

	// NumberOfDistinctItems is the count: exact when Exact is set (the
	// window held at most the threshold of distinct items), otherwise the
	// HyperLogLog estimate.
	NumberOfDistinctItems uint64
	Exact                 bool

	Update bool // a correction of a result already emitted (allowed lateness)
}

// EventTime returns End − 1 ns.
func (r Result[K]) EventTime() record.Time { return r.End - 1 }

// AppendJSON appends the JSON form of r to dst, with the column name of
// KDA's COUNT_DISTINCT_ITEMS_TUMBLING:
//
//	{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:00:10Z","NUMBER_OF_DISTINCT_ITEMS":42}
//
// Window bounds are RFC 3339 strings with nanoseconds, in UTC. A keyed
// result (any K but NoKey) has "key" after the bounds, encoded with
// encoding/json; an update under allowed lateness ends with "update":true,
// which results emitted on time never carry. The error is the key's
// encoding error, and dst is returned unchanged with it.
func (r Result[K]) AppendJSON(dst []byte) ([]byte, error) {
	return appendWindowJSON(dst, r.Start, r.End, r.Key, func(b []byte) []byte {
		b = append(b, `,"NUMBER_OF_DISTINCT_ITEMS":`...)
		b = strconv.AppendUint(b, r.NumberOfDistinctItems, 10)
		if r.Update {
			b = append(b, `,"update":true`...)
		}
		return b
	})
}

// appendWindowJSON appends {"window_start":…,"window_end":…[,"key":…]
// then what rest appends, then }.
func appendWindowJSON[K any](dst []byte, start, end record.Time, key K, rest func([]byte) []byte) ([]byte, error) {
	out := append(dst, `{"window_start":"`...)
	out = start.AppendRFC3339(out)
	out = append(out, `","window_end":"`...)
	out = end.AppendRFC3339(out)
	out = append(out, '"')
	if _, unkeyed := any(key).(NoKey); !unkeyed {
		k, err := json.Marshal(key)
		if err != nil {
			return dst, fmt.Errorf("distinct: key %v: %w", key, err)
		}
		out = append(out, `,"key":`...)
		out = append(out, k...)
	}
	out = rest(out)
	return append(out, '}'), nil
}

// Counter is the COUNT_DISTINCT_ITEMS_TUMBLING operator built by
// [CountItems] and [CountItemsByKey]: the distinct count of one column per
// window (and key). It implements record.Operator[R, Result[K]]. A late
// record (whose windows have all been emitted) is by default dropped and
// counted in Stats.Late: set Options.Late to receive each one, or
// Options.Lateness to keep emitted windows open for it and re-emit their
// counts updated.
//
// It runs on window.Aggregate, so late data, Delay, Lateness, limits, Stats
// and output order are exactly those of window.Aggregate. Each open (key,
// window) holds one [Sketch]. With tumbling windows, a record of the same
// key and the same open window as the record before it, that cannot close
// any window, goes through the aggregate's fast lane (window.Lane) straight
// into that window's sketch. That is the common case (one key, or runs of
// one key, in time order), and it makes a record cost little more than
// hashing its item.
//
// A Counter is not safe for concurrent use, and emit must not call back into
// the Counter that is emitting.
type Counter[R record.Timed, K comparable, T Item] struct {
	agg     *window.Agg[R, K, estimate]
	lane    window.Lane[R, K, slot, estimate] // ok only with tumbling windows
	key     func(R) K
	keyed   bool
	item    func(R) T
	kind    kind
	p       uint8           // sketch precision
	limit   int32           // sketch threshold
	out     func(Result[K]) // the emit of the call in progress
	forward func(window.Result[K, estimate])
	slow    uint64 // records pushed to the aggregate, not taken by the lane: for tests

	// carried counts the records that a snapshot of the format before the
	// lane counted apart from the aggregate; Stats and snapshots add it.
	carried uint64

	desc *record.Descriptor // of snapshots, built at the first use
}

var _ record.Operator[record.Time, Result[NoKey]] = (*Counter[record.Time, NoKey, int])(nil)

// CountItems returns the operator that counts the distinct values of item
// in each window of w, over all records: KDA's
//
//	COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM s), 'column', 10)
//
// is CountItems(window.Step(10*time.Second), column, nil). Any assigner
// that window.Aggregate supports works; KDA's function is the tumbling
// case. It returns an error wrapping ErrInvalid for a nil item or invalid
// sketch options, and window's errors for an invalid assigner or window
// options.
func CountItems[R record.Timed, T Item](w window.Assigner, item func(R) T, opts *CountOptions[R]) (*Counter[R, NoKey, T], error) {
	return newCounter(w, window.Unkeyed[R], false, item, opts)
}

// CountItemsByKey is [CountItems] per key: one count per (key, window), as
// with GROUP BY key. Results of windows that close together come out in the
// order in which each key first appeared in its window.
func CountItemsByKey[R record.Timed, K comparable, T Item](w window.Assigner, key func(R) K, item func(R) T, opts *CountOptions[R]) (*Counter[R, K, T], error) {
	if key == nil {
		return nil, fmt.Errorf("%w: nil key function", ErrInvalid)
	}
	return newCounter(w, key, true, item, opts)
}

func newCounter[R record.Timed, K comparable, T Item](w window.Assigner, key func(R) K, keyed bool, item func(R) T, opts *CountOptions[R]) (*Counter[R, K, T], error) {
	if item == nil {
		return nil, fmt.Errorf("%w: nil item function", ErrInvalid)
	}
	var so *Options
	var wo *window.Options[R]
	if opts != nil {
		so = &Options{Precision: opts.Precision, Threshold: opts.Threshold}
		wo = &opts.Options
	}
	p, limit, err := so.config()
	if err != nil {
		return nil, err
	}
	f := &slotFunc[R, T]{item: item, kind: kindOf[T](), p: p, limit: limit}
	agg, err := window.Aggregate(w, key, f, wo)
	if err != nil {
		return nil, err
	}
	c := &Counter[R, K, T]{
		agg: agg, key: key, keyed: keyed, p: p, limit: limit,
		item: item, kind: kindOf[T](),
	}
	c.lane, _ = window.LaneOf[slot](agg)
	c.forward = c.emit
	return c, nil
}

func (c *Counter[R, K, T]) emit(r window.Result[K, estimate]) {
	c.out(Result[K]{
		Start: r.Start, End: r.End, Key: r.Key,
		NumberOfDistinctItems: r.Value.n, Exact: r.Value.exact,
		Update: r.Update,
	})
}

// Push takes one record, as window.Agg's Push does: it returns an error
// wrapping window.ErrOverflow or window.ErrLimit when it cannot take the
// record (the operator is then unchanged), and hands late records to the
// late policy.
func (c *Counter[R, K, T]) Push(r R, emit func(Result[K])) error {
	if l := c.lane; l.Ok() {
		var k K
		if c.keyed {
			k = c.key(r)
		}
		// The lane's accumulator has had a record added: its sketch is made.
		if a := l.Take(r.EventTime(), k); a != nil {
			// Sketch.InsertHash by hand: two calls are too many to inline.
			v := c.item(r)
			var h uint64
			switch c.kind { // hashOf, with its common cases inlined
			case kindString:
				h = HashString(*(*string)(unsafe.Pointer(&v)))
			case kindBytes:
				h = HashBytes(*(*[]byte)(unsafe.Pointer(&v)))
			default:
				h = hashOf(c.kind, v)
			}
			sk := a.s
			sk.fresh = false
			if hll := sk.hll; hll != nil {
				hll.InsertHash(h)
			} else {
				sk.insertExact(h)
			}
			return nil
		}
	}
	c.slow++
	c.out = orDiscard(emit)
	err := c.agg.Push(r, c.forward)
	c.out = nil
	return err
}

// orDiscard returns emit, or a func that drops results for a nil one.
func orDiscard[K comparable](emit func(Result[K])) func(Result[K]) {
	if emit == nil {
		return func(Result[K]) {}
	}
	return emit
}

// Advance moves the watermark to wm, if that is later than the current one,
// and emits every window that ends at or before it. It fails only after
// Flush, with record.ErrFlushed. A nil emit discards the results.
func (c *Counter[R, K, T]) Advance(wm record.Time, emit func(Result[K])) error {
	c.out = orDiscard(emit)
	defer func() { c.out = nil }()
	return c.agg.Advance(wm, c.forward)
}

// Flush emits every open window and drops all state: end of input.
func (c *Counter[R, K, T]) Flush(emit func(Result[K])) error {
	c.out = orDiscard(emit)
	defer func() { c.out = nil }()
	return c.agg.Flush(c.forward)
}

// Stats returns what the operator has seen and holds.
func (c *Counter[R, K, T]) Stats() window.Stats {
	s := c.agg.Stats()
	s.Records += c.carried
	return s
}

// estimate is the operator's result value: the count and whether it is
// exact.
type estimate struct {
	n     uint64
	exact bool
}

// slot is the operator's accumulator: the window's sketch behind a
// pointer, which keeps the engine's slots small. Push adds to the sketch of
// the slot that window's lane hands out. The zero slot is empty.
type slot struct{ s *Sketch }

// slotFunc is Count over slots.
type slotFunc[R any, T Item] struct {
	item  func(R) T
	kind  kind
	p     uint8
	limit int32
}

func (f *slotFunc[R, T]) sketch(a *slot) *Sketch {
	if a.s == nil {
		a.s = &Sketch{p: f.p, limit: f.limit}
	}
	return a.s
}

func (f *slotFunc[R, T]) Add(a *slot, r R) {
	s := f.sketch(a)
	s.InsertHash(hashOf(f.kind, f.item(r)))
}

func (f *slotFunc[R, T]) Merge(dst, src *slot) {
	if src.s == nil {
		return
	}
	if err := f.sketch(dst).Merge(src.s); err != nil {
		panic(err) // slots of one operator share their precision
	}
}

func (f *slotFunc[R, T]) Result(a *slot) estimate {
	if a.s == nil {
		return estimate{exact: true}
	}
	return estimate{n: a.s.Estimate(), exact: a.s.Exact()}
}

func (f *slotFunc[R, T]) AppendState(dst []byte, a *slot) ([]byte, error) {
	if a.s == nil {
		return (&Sketch{}).AppendBinary(dst)
	}
	return a.s.AppendBinary(dst)
}

func (f *slotFunc[R, T]) ReadState(a *slot, src []byte) (int, error) {
	s, n, err := decode(src)
	if err != nil {
		return 0, err
	}
	if s.p != 0 && (s.p != f.p || s.limit != f.limit) {
		return 0, fmt.Errorf("%w: state of precision %d, threshold %d for a count of precision %d, threshold %d",
			ErrMismatch, s.p, s.limit, f.p, f.limit)
	}
	if s.p == 0 {
		*a = slot{}
	} else {
		*a = slot{&s}
	}
	return n, nil
}

// counterLegacyVersion is the first byte of a Counter snapshot of the
// format before the envelope, which Restore still reads.
const counterLegacyVersion = 1

const counterLegacyMagic = "rowtime/distinct.Counter"

func (c *Counter[R, K, T]) descriptor() *record.Descriptor {
	if c.desc == nil {
		c.desc = record.NewDescriptor("distinct.Counter").
			Param("keyed", c.keyed).
			Param("precision", c.p).
			Param("threshold", c.limit).
			Type("item", reflect.TypeFor[T]())
	}
	return c.desc
}

// AppendSnapshot appends the operator's state to dst and returns the
// extended buffer: a record envelope whose descriptor holds the sketch
// parameters (keyed or not, precision, threshold, item type), around the
// operator's counters and window.Agg's snapshot of the windows, with each
// window's Sketch in its binary encoding. On error dst is returned
// unchanged.
func (c *Counter[R, K, T]) AppendSnapshot(dst []byte) ([]byte, error) {
	start := len(dst)
	out := record.BeginSnapshot(dst, c.descriptor())
	out = binary.AppendUvarint(out, c.carried)
	out = binary.AppendVarint(out, int64(record.MinTime)) // a time the lane no longer keeps
	out, err := c.agg.AppendSnapshot(out)
	if err != nil {
		return dst, err
	}
	return record.EndSnapshot(out, start), nil
}

func (c *Counter[R, K, T]) legacyParams(dst []byte) []byte {
	keyed := byte(0)
	if c.keyed {
		keyed = 1
	}
	return append(dst, keyed, c.p, byte(c.limit), byte(c.limit>>8), byte(c.limit>>16), byte(c.limit>>24))
}

// Restore replaces the operator's state with a snapshot written by
// AppendSnapshot of an operator built with the same parameters: keyed or
// not, assigner, sketch parameters and item and key types (the key and item
// functions and Options.Late are not recorded: they must be the same too).
// Delay, Lateness and the limits may differ, as for window.Agg's Restore.
// Snapshots of the format before the envelope are read too. On error, which
// wraps record.ErrSnapshot (as ErrMismatch and ErrCorrupt are) and, for a
// snapshot of another operator, names both sides, the operator is
// unchanged.
func (c *Counter[R, K, T]) Restore(data []byte) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: distinct.Counter: "+format, append([]any{record.ErrSnapshot}, args...)...)
	}
	var rest []byte
	if record.IsLegacySnapshot(data) {
		if data[0] != counterLegacyVersion {
			return bad("version %d, want %d", data[0], counterLegacyVersion)
		}
		rest = data[1:]
		n, k := uvarint(rest)
		if k <= 0 || n != uint64(len(counterLegacyMagic)) || len(rest[k:]) < int(n) || string(rest[k:k+int(n)]) != counterLegacyMagic {
			return bad("not a distinct.Counter snapshot")
		}
		rest = rest[k+int(n):]
		want := c.legacyParams(nil)
		if len(rest) < len(want) {
			return bad("truncated parameters")
		}
		if string(rest[:len(want)]) != string(want) {
			return bad("taken with other parameters (keyed, precision, threshold) than %v, %d, %d", c.keyed, c.p, c.limit)
		}
		rest = rest[len(want):]
	} else {
		var err error
		if rest, err = record.OpenSnapshot(data, c.descriptor()); err != nil {
			return fmt.Errorf("distinct: restore: %w", err)
		}
	}
	fast, k := uvarint(rest)
	if k <= 0 {
		return bad("truncated record count")
	}
	rest = rest[k:]
	maxSeen, k := binary.Varint(rest)
	if k <= 0 {
		return bad("truncated time")
	}
	if err := c.agg.Restore(rest[k:]); err != nil {
		return err
	}
	// A snapshot of the format before the lane counted apart the records
	// its fast path took, which stay counted, and their largest time, which
	// the aggregate's watermark in it accounts for: the aggregate's own
	// largest time may be below it, so that, under a smaller Delay than the
	// writer's, a record at or before it can raise the watermark, by its
	// own time less Delay, where the writer's operator would not have.
	_ = maxSeen
	c.carried = fast
	return nil
}
