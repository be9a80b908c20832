package window

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
)

// aggLegacyVersion is the first byte of an [Agg] snapshot of the format
// before the envelope (no descriptor, no checksum), which Restore still
// reads.
const aggLegacyVersion = 1

const aggLegacyMagic = "rowtime/window.Agg"

func (k *kernel[R, K, A, V]) describe() *record.Descriptor {
	return record.NewDescriptor("window.Agg").
		Param("assigner", k.w.String()).
		Param("aggregate", describeAggregate(k.f)).
		Type("key", reflect.TypeFor[K]()).
		Type("accumulator", reflect.TypeFor[A]())
}

func (k *kernel[R, K, A, V]) checkTypes() error {
	if err := codecErr[K]("key"); err != nil {
		return err
	}
	if _, ok := k.f.(aggregate.StateCodec[A]); !ok {
		return codecErr[A]("accumulator")
	}
	return nil
}

// AppendSnapshot appends the operator's state to dst and returns the
// extended buffer. The snapshot is a record envelope (see
// record.BeginSnapshot): a descriptor of the operator (assigner, aggregate,
// the codec shapes of the stored types), then the settings it ran with, its
// watermark, open and held windows with their keys and accumulators, the
// reorder buffer of session and stagger windows, and its stats, then a
// checksum. Keys and buffered records are encoded with codec.Append;
// accumulators with the aggregate's own codec when it implements
// aggregate.StateCodec, else with codec.Append.
//
// It fails, returning dst unchanged and writing nothing, when a stored type
// cannot round-trip through codec.Append (a struct with unexported
// fields that does not encode itself, a func, a channel, an interface): the
// check is on the types, at every snapshot, whether or not a value is held.
func (a *Agg[R, K, V]) AppendSnapshot(dst []byte) ([]byte, error) { return a.appendSnapshot(dst) }

// Restore replaces the operator's state with a snapshot written by
// AppendSnapshot of an operator with the same assigner, aggregate and key
// type (the key function and Options.Late are not recorded: they must be the
// same too). Delay, Lateness and the limits may differ: the restoring
// operator's apply from then on. The watermark is the snapshot's, and never
// moves back; a Lateness shorter than the writer's drops at once the held
// windows it no longer covers, and limits below what the snapshot holds
// refuse new keys and windows but drop none. Snapshots of the format before
// the envelope are read too.
//
// On error, which wraps record.ErrSnapshot and, for a snapshot of another
// operator, names both sides, the operator is unchanged.
func (a *Agg[R, K, V]) Restore(data []byte) error { return a.restore(data) }

// openLegacy checks the head of a snapshot of the format before the
// envelope: version, magic and the assigner, then the settings, which may
// differ, and returns a reader of the rest.
func (k *kernel[R, K, A, V]) openLegacy(data []byte) (r *snapReader, lateness int64, err error) {
	r = &snapReader{b: data}
	if v := r.byte(); r.err == nil && v != aggLegacyVersion {
		return nil, 0, fmt.Errorf("%w: version %d, want %d", ErrSnapshot, v, aggLegacyVersion)
	}
	if m := r.str(); r.err == nil && m != aggLegacyMagic {
		return nil, 0, fmt.Errorf("%w: not a window.Agg snapshot", ErrSnapshot)
	}
	if w := r.str(); r.err == nil && w != k.w.String() {
		return nil, 0, fmt.Errorf("%w: the snapshot was written by another operator: assigner is %s in the snapshot, %s here", ErrSnapshot, w, k.w)
	}
	r.i64() // Delay
	lateness = r.i64()
	r.i64() // MaxWindows
	r.i64() // MaxKeys
	if r.err != nil {
		return nil, 0, r.err
	}
	return r, lateness, nil
}

// coreFormat says which of the core's fields an operator's snapshots hold:
// Agg's hold them all; Over's have no Lateness and no Updates (Over has
// neither); Join's hold the counts only, after fields of its own.
//
// A format that is own says that the engine writes the core itself, in its
// own layout (Join's, whose snapshots start with the watermark).
type coreFormat struct{ lateness, updates, own bool }

var (
	aggCore   = coreFormat{lateness: true, updates: true}
	basicCore = coreFormat{} // Over's, and the counts of Join's
	ownCore   = coreFormat{own: true}
)

// appendCore writes the core: its head (the flushed flag and the settings
// the writer ran with), then its tail (the watermark, the largest time and
// the counts).
func (c *core[R]) appendCore(w *snapWriter, f coreFormat) {
	w.bool(c.flushed)
	w.i64(c.delay)
	if f.lateness {
		w.i64(c.lateness)
	}
	w.i64(int64(c.wm))
	w.i64(int64(c.maxSeen))
	c.appendCounts(w, f)
}

func (c *core[R]) appendCounts(w *snapWriter, f coreFormat) {
	w.u64(c.stats.Records)
	w.u64(c.stats.Late)
	if f.updates {
		w.u64(c.stats.Updates)
	}
	w.u64(c.stats.Emitted)
}

// readHead reads the head appendCore wrote, which the formats before the
// envelope did not have, and returns the writer's Lateness (c's own when
// the format has none). The writer's Delay is skipped: only new records
// see Delay.
func (c *core[R]) readHead(r *snapReader, f coreFormat) (lateness int64) {
	c.flushed = r.bool()
	r.i64()
	if f.lateness {
		return r.i64()
	}
	return c.lateness
}

// readTail reads the rest of what appendCore wrote.
func (c *core[R]) readTail(r *snapReader, f coreFormat) {
	c.wm = record.Time(r.i64())
	c.maxSeen = record.Time(r.i64())
	c.readCounts(r, f)
}

func (c *core[R]) readCounts(r *snapReader, f coreFormat) {
	c.stats.Records = r.u64()
	c.stats.Late = r.u64()
	if f.updates {
		c.stats.Updates = r.u64()
	}
	c.stats.Emitted = r.u64()
}

// emptied returns c's options with no state.
func (c *core[R]) emptied() core[R] {
	return core[R]{delay: c.delay, lateness: c.lateness, late: c.late, maxWindows: c.maxWindows, maxKeys: c.maxKeys,
		schema: c.schema, flushedErr: c.flushedErr, wm: record.MinTime, maxSeen: record.MinTime}
}

// discard is the emit of a caller that passed nil: results are dropped.
func discard[T any](T) {}

// appendAcc writes an accumulator with f's StateCodec, or with
// codec.Append when f has none.
func appendAcc[R, A, V any](w *snapWriter, f aggregate.Func[R, A, V], acc *A) {
	if w.err != nil {
		return
	}
	if sc, ok := f.(aggregate.StateCodec[A]); ok {
		w.b, w.err = sc.AppendState(w.b, acc)
		return
	}
	w.b, w.err = codec.Append(w.b, *acc)
}

// readAcc reads an accumulator written by appendAcc.
func readAcc[R, A, V any](r *snapReader, f aggregate.Func[R, A, V], acc *A) {
	if r.err != nil {
		return
	}
	var n int
	var err error
	if sc, ok := f.(aggregate.StateCodec[A]); ok {
		n, err = sc.ReadState(acc, r.b)
	} else {
		n, err = codec.Read(r.b, acc)
	}
	if err == nil && (n < 0 || n > len(r.b)) {
		err = fmt.Errorf("accumulator codec used %d of %d bytes", n, len(r.b))
	}
	if err != nil {
		r.fail("accumulator: %v", err)
		return
	}
	r.b = r.b[n:]
}

func (k *kernel[R, K, A, V]) appendAcc(w *snapWriter, acc *A) { appendAcc(w, k.f, acc) }
func (k *kernel[R, K, A, V]) readAcc(r *snapReader, acc *A)   { readAcc(r, k.f, acc) }

// sortPending sorts a copy of a reorder buffer into processing order, in
// which snapshots write it.
func sortPending[R any](b []pending[R]) {
	slices.SortFunc(b, func(x, y pending[R]) int {
		if pendingLess(&x, &y) {
			return -1
		}
		return 1 // (t, seq) pairs are unique
	})
}

type snapWriter struct {
	b   []byte
	err error
}

func (w *snapWriter) i64(x int64)  { w.b = binary.AppendVarint(w.b, x) }
func (w *snapWriter) u64(x uint64) { w.b = binary.AppendUvarint(w.b, x) }
func (w *snapWriter) bool(x bool)  { w.b = append(w.b, b2u8(x)) }
func (w *snapWriter) str(s string) { w.u64(uint64(len(s))); w.b = append(w.b, s...) }

func b2u8(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func appendValue[T any](w *snapWriter, v T) {
	if w.err == nil {
		w.b, w.err = codec.Append(w.b, v)
	}
}

// snapReader reads a snapshot; the first error sticks and later reads
// return zero values.
type snapReader struct {
	b   []byte
	err error
}

func (r *snapReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrSnapshot}, args...)...)
	}
}

func (r *snapReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail("truncated")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *snapReader) bool() bool {
	switch v := r.byte(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		r.fail("bad bool %d", v)
		return false
	}
}

func (r *snapReader) i64() int64  { return readVarint(r, binary.Varint, "varint") }
func (r *snapReader) u64() uint64 { return readVarint(r, binary.Uvarint, "uvarint") }

func readVarint[T int64 | uint64](r *snapReader, decode func([]byte) (T, int), what string) T {
	if r.err != nil {
		return 0
	}
	v, n := decode(r.b)
	if n <= 0 {
		r.fail("bad %s", what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// end checks that the reader took every byte, and returns its error.
func (r *snapReader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}

func (r *snapReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail("truncated")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *snapReader) str() string {
	n := r.u64()
	if n > uint64(len(r.b)) {
		r.fail("truncated")
		return ""
	}
	return string(r.take(int(n)))
}

// count reads a count of items that each take at least one byte, so that a
// corrupt count cannot make the reader allocate more than the input.
func (r *snapReader) count() int {
	n := r.u64()
	if n > uint64(len(r.b)) {
		r.fail("count %d exceeds the %d bytes left", n, len(r.b))
		return 0
	}
	return int(n)
}

func (r *snapReader) int32(max int) int32 {
	v := r.i64()
	if v < 0 || v > int64(max) {
		r.fail("index %d out of range [0, %d]", v, max)
		return 0
	}
	return int32(v)
}

func readValue[T any](r *snapReader, v *T) {
	if r.err != nil {
		return
	}
	n, err := codec.Read(r.b, v)
	if err != nil {
		r.fail("%v", err)
		return
	}
	r.b = r.b[n:]
}

// Tumbling windows: the held windows by start, each with its slots in
// order of first appearance: key, accumulator.

func (e *tumbler[R, K, A, V]) appendState(w *snapWriter) {
	w.u64(uint64(len(e.order)))
	for _, id := range e.order {
		win := &e.wins[id]
		w.i64(int64(win.span.Start))
		w.i64(int64(win.span.End))
		w.bool(win.closed)
		w.u64(uint64(len(win.slots)))
		for _, ref := range win.slots {
			sl := e.slot(ref)
			appendValue(w, e.keys.keys[e.keyOf(ref)])
			e.appendAcc(w, &sl.acc)
		}
	}
}

func (e *tumbler[R, K, A, V]) readState(r *snapReader) {
	c := e.c
	n := r.count()
	prevEnd := record.MinTime
	for i := 0; i < n && r.err == nil; i++ {
		span := Span{record.Time(r.i64()), record.Time(r.i64())}
		closed := r.bool()
		if r.err != nil {
			return
		}
		if span.Start >= span.End || (i > 0 && span.Start < prevEnd) {
			r.fail("window %v out of order", span)
			return
		}
		// (A held window may be past this operator's Lateness, when the
		// writer's was longer: Restore then drops it.)
		if closed != (span.End <= c.wm) {
			r.fail("window %v inconsistent with watermark %d", span, c.wm)
			return
		}
		prevEnd = span.End
		wid := e.newWindow(span, closed)
		m := r.count()
		if m == 0 && !closed {
			r.fail("open window %v without state", span)
		}
		for j := 0; j < m && r.err == nil; j++ {
			var k K
			readValue(r, &k)
			if r.err != nil {
				return
			}
			ki, ok := e.keys.get(k)
			if !ok {
				ki = e.newKey(k)
			} else if _, dup := e.findSlot(ki, wid); dup {
				r.fail("key repeated in window %v", span)
				return
			}
			ref := e.newSlot(ki, wid)
			e.readAcc(r, &e.slot(ref).acc)
		}
	}
	e.setDue()
}

// Hopping windows: the window cursor and counters, then each active key
// with its deque of panes and the two-stack FIFO exactly as it stands, so
// that merges after a restore happen in the same order.

func (e *hopper[R, K, A, V]) appendState(w *snapWriter) {
	w.i64(e.next)
	w.u64(e.seq)
	w.i64(int64(e.due))
	w.i64(int64(e.retain))
	w.u64(uint64(len(e.active)))
	for _, ki := range e.active {
		h := &e.ks[ki]
		appendValue(w, e.keys.keys[ki])
		// The current pane, if any, is written as the newest of the deque.
		w.u64(uint64(len(h.panes) - h.keep + b2i(h.hasCur)))
		w.u64(uint64(h.head - h.keep))
		w.u64(uint64(h.mid - h.keep))
		w.u64(uint64(h.in - h.keep))
		w.bool(h.dirty)
		w.u64(h.backSeq)
		e.appendAcc(w, &h.back)
		for i := h.keep; i < len(h.panes); i++ {
			p := &h.panes[i]
			w.i64(p.p)
			w.u64(p.seq)
			e.appendAcc(w, &p.acc)
			if i >= h.head && i < h.mid {
				w.u64(p.sufSeq)
				e.appendAcc(w, &p.suf)
			}
		}
		if h.hasCur {
			w.i64(h.cur.p)
			w.u64(h.cur.seq)
			e.appendAcc(w, &h.cur.acc)
		}
	}
}

func (e *hopper[R, K, A, V]) readState(r *snapReader) {
	c := e.c
	e.next = r.i64()
	e.seq = r.u64()
	e.due = record.Time(r.i64())
	e.retain = record.Time(r.i64())
	if r.err == nil && (e.next < e.firstOpen(record.MinTime) || e.next > e.firstOpen(c.wm)) {
		r.fail("window cursor %d inconsistent with watermark %d", e.next, c.wm)
		return
	}
	n := r.count()
	for i := 0; i < n && r.err == nil; i++ {
		var k K
		readValue(r, &k)
		if r.err != nil {
			return
		}
		if _, dup := e.keys.get(k); dup {
			r.fail("key repeated")
			return
		}
		ki := e.newKey(k)
		e.active = append(e.active, ki)
		h := &e.ks[ki]
		np := r.count()
		head, mid, in := int(r.u64()), int(r.u64()), int(r.u64())
		if r.err == nil && (np == 0 || head > mid || mid > in || in > np) {
			r.fail("bad pane runs %d/%d/%d of %d", head, mid, in, np)
			return
		}
		h.head, h.mid, h.in = head, mid, in
		h.dirty = r.bool()
		h.backSeq = r.u64()
		e.readAcc(r, &h.back)
		for j := 0; j < np && r.err == nil; j++ {
			p := hpane[A]{p: r.i64(), seq: r.u64()}
			if r.err != nil {
				return
			}
			if j > 0 && p.p <= h.panes[j-1].p {
				r.fail("panes out of order")
				return
			}
			if p.p < math.MinInt64/e.pane || p.p > math.MaxInt64/e.pane {
				r.fail("pane %d out of range", p.p)
				return
			}
			if _, _, err := hopRange(record.Time(p.p*e.pane), e.w.size, e.w.slide); err != nil {
				r.fail("pane %d out of range", p.p)
				return
			}
			h.panes = append(h.panes, p)
			q := &h.panes[j]
			e.readAcc(r, &q.acc)
			if j >= head && j < mid {
				q.sufSeq = r.u64()
				e.readAcc(r, &q.suf)
			}
		}
		e.panes += np
	}
	if len(e.active) > 0 {
		e.due = min(e.due, e.dueEnd(e.next))
	}
}

// Session and stagger windows: counters, the open windows in order of
// end, the held windows, and the reorder heap in its array order.

func (e *sequencer[R, K, A, V]) appendState(w *snapWriter) {
	w.u64(e.seq)
	w.u64(e.bufSeq)
	w.u64(uint64(e.nOpen))
	for id := e.open.first; id >= 0; id = e.open.next(id) {
		e.appendWin(w, id)
	}
	w.u64(uint64(len(e.held)))
	for _, id := range e.held {
		e.appendWin(w, id)
	}
	w.u64(uint64(len(e.buf)))
	for i := range e.buf {
		b := &e.buf[i]
		appendValue(w, e.keys.keys[b.key])
		w.u64(b.seq)
		appendValue(w, b.r)
	}
}

func (e *sequencer[R, K, A, V]) appendWin(w *snapWriter, id int32) {
	win := &e.wins[id]
	appendValue(w, e.keys.keys[win.key])
	w.i64(int64(win.start))
	w.i64(int64(win.last))
	w.u64(win.seq)
	e.appendAcc(w, &win.acc)
}

func (e *sequencer[R, K, A, V]) readState(r *snapReader) {
	c := e.c
	e.seq = r.u64()
	e.bufSeq = r.u64()
	key := func() int32 {
		var k K
		readValue(r, &k)
		if r.err != nil {
			return -1
		}
		ki, ok := e.keys.get(k)
		if !ok {
			ki = e.newKey(k)
		}
		return ki
	}
	readWin := func(open bool) {
		ki := key()
		start, last := record.Time(r.i64()), record.Time(r.i64())
		seq := r.u64()
		if r.err != nil {
			return
		}
		if last < start || int64(last) > int64(record.MaxTime)-e.length || (e.stagger && int64(last) >= int64(start)+e.length) {
			r.fail("bad window [%d, %d]", start, last)
			return
		}
		id := int32(len(e.wins))
		e.wins = append(e.wins, swin[A]{start: start, last: last, key: ki, seq: seq})
		e.readAcc(r, &e.wins[id].acc)
		end := e.end(&e.wins[id])
		ks := &e.kst[ki]
		ks.nwin++
		if open {
			if ks.open >= 0 || end <= c.wm || (e.open.last >= 0 && end < e.end(&e.wins[e.open.last])) {
				r.fail("bad open window")
				return
			}
			ks.open = id
			e.open.pushBack(id)
			e.nOpen++
		} else {
			if end > c.wm || (len(e.held) > 0 && end < e.end(&e.wins[e.held[len(e.held)-1]])) {
				r.fail("bad held window")
				return
			}
			e.held = append(e.held, id)
		}
	}
	n := r.count()
	for i := 0; i < n && r.err == nil; i++ {
		readWin(true)
	}
	n = r.count()
	for i := 0; i < n && r.err == nil; i++ {
		readWin(false)
	}
	n = r.count()
	for i := 0; i < n && r.err == nil; i++ {
		ki := key()
		b := pending[R]{key: ki, seq: r.u64()}
		if r.err != nil {
			return
		}
		readValue(r, &b.r)
		if r.err != nil {
			return
		}
		b.t = b.r.EventTime()
		if got, ok := e.keys.get(e.keyFor(b.r)); !ok || got != ki {
			r.fail("buffered record under another key")
			return
		}
		e.buf = append(e.buf, b)
		if j := len(e.buf) - 1; b.t < c.wm || int64(b.t) > int64(record.MaxTime)-e.length || (j > 0 && e.buf.less(j, (j-1)/2)) {
			r.fail("bad buffered record")
			return
		}
		e.kst[ki].nbuf++
	}
}

func (e *tumbler[R, K, A, V]) empty(c *core[R]) engine[R, Result[K, V]] {
	k := e.kernel
	k.c = c
	return newTumbler(k)
}

func (e *tumbler[R, K, A, V]) restored(oldLateness int64) {
	if c := e.c; c.lateness != oldLateness && c.wm >= e.due {
		e.advance(c.wm, discard[Result[K, V]]) // drops windows past Lateness; emits none
	}
}

func (e *hopper[R, K, A, V]) empty(c *core[R]) engine[R, Result[K, V]] {
	k := e.kernel
	k.c = c
	return newHopper(k)
}

func (e *hopper[R, K, A, V]) restored(oldLateness int64) {
	if e.c.lateness != oldLateness {
		e.reexpire()
	}
}

func (e *sequencer[R, K, A, V]) empty(c *core[R]) engine[R, Result[K, V]] {
	k := e.kernel
	k.c = c
	return newSequencer(k)
}

func (e *sequencer[R, K, A, V]) restored(int64) { e.dropHeld(e.c.wm) }

// describe adds the records of the reorder buffer to what the kernel stores.
func (e *sequencer[R, K, A, V]) describe() *record.Descriptor {
	return e.kernel.describe().Type("record", reflect.TypeFor[R]())
}

func (e *sequencer[R, K, A, V]) checkTypes() error {
	if err := e.kernel.checkTypes(); err != nil {
		return err
	}
	return codecErr[R]("record")
}
