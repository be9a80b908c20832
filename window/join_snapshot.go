package window

import (
	"cmp"
	"reflect"
	"slices"

	"github.com/rowtime/rowtime/record"
)

// descriptor says what a Join snapshot holds: the join type, the windows
// (durations as durations), and the codec shapes of the key and of both
// row types. Delay, OneClock and the limits decide about rows not yet seen
// and are left out.
func (j *joinEng[L, R, K, O]) describe() *record.Descriptor {
	d := record.NewDescriptor("window.Join").Param("type", j.typ)
	if j.win.interval {
		d.Param("lower", j.win.lower).Param("upper", j.win.upper)
	} else {
		d.Param("left window", j.win.left).Param("right window", j.win.right)
	}
	return d.Type("key", reflect.TypeFor[K]()).
		Type("left", reflect.TypeFor[L]()).
		Type("right", reflect.TypeFor[R]())
}

// AppendSnapshot appends the join's state to dst, in the record snapshot
// envelope with the join's descriptor: the watermark and the largest times
// of both inputs, the stats counters, the held rows of both sides in
// processing order with whether each has matched, and the reorder buffer.
// Rows are encoded with codec.Append; keys are not written, since
// Restore recomputes them from the rows. It fails, returning dst
// unchanged, when a row type cannot be encoded (such as a struct with
// unexported fields and no MarshalBinary), whether or not a row of it is
// held.
func (j *Join[L, R, K, O]) AppendSnapshot(dst []byte) ([]byte, error) { return j.appendSnapshot(dst) }

// Restore replaces the join's state with one written by AppendSnapshot of a
// join with the same type, windows, key and row types (the descriptor);
// Delay, OneClock, the limits and the Late callback may differ, and the
// limits are not applied to the restored state. On error, which wraps
// [ErrSnapshot] (and record.ErrSnapshot for an envelope or descriptor that
// does not fit), the join is unchanged.
func (j *Join[L, R, K, O]) Restore(data []byte) error { return j.restore(data) }

// checkTypes reports a row type the codec cannot encode.
func (j *joinEng[L, R, K, O]) checkTypes() error {
	if err := codecErr[L]("left row"); err != nil {
		return err
	}
	return codecErr[R]("right row")
}

// appendState writes the join's core in its own layout (the watermark and
// the largest times of both inputs first), the held rows and the reorder
// buffer.
func (j *joinEng[L, R, K, O]) appendState(w *snapWriter) {
	s, c := &j.st, j.c
	w.i64(int64(c.wm))
	w.i64(int64(s.maxL))
	w.i64(int64(s.maxR))
	w.i64(int64(s.out))
	w.bool(c.flushed)
	c.appendCounts(w, basicCore)

	// Held rows, both sides merged in processing order.
	type ref struct {
		seq   uint64
		right bool
		i     int32
	}
	var held []ref
	for i := range s.left.ents {
		if e := &s.left.ents[i]; e.key >= 0 {
			held = append(held, ref{e.seq, false, int32(i)})
		}
	}
	for i := range s.right.ents {
		if e := &s.right.ents[i]; e.key >= 0 {
			held = append(held, ref{e.seq, true, int32(i)})
		}
	}
	slices.SortFunc(held, func(a, b ref) int { return cmp.Compare(a.seq, b.seq) })
	w.u64(uint64(len(held)))
	for _, h := range held {
		w.bool(h.right)
		if h.right {
			e := &s.right.ents[h.i]
			w.bool(e.matched)
			appendValue(w, e.row)
		} else {
			e := &s.left.ents[h.i]
			w.bool(e.matched)
			appendValue(w, e.row)
		}
	}

	// The reorder buffer in processing order; Restore numbers it afresh.
	sorted := append([]pending[Either[L, R]](nil), s.buf...)
	sortPending(sorted)
	w.u64(uint64(len(sorted)))
	for i := range sorted {
		in := &sorted[i].r
		w.bool(in.IsRight)
		if in.IsRight {
			appendValue(w, in.Right)
		} else {
			appendValue(w, in.Left)
		}
	}
}

func (j *joinEng[L, R, K, O]) empty(c *core[Either[L, R]]) engine[Either[L, R], record.Of[O]] {
	e := *j
	e.c = c
	e.st = joinState[L, R, K]{}
	e.st.init()
	return &e
}

func (j *joinEng[L, R, K, O]) restored(int64) {} // a Join has no Lateness

// readState reads the core and the state appendState wrote into an empty
// engine.
func (j *joinEng[L, R, K, O]) readState(r *snapReader) {
	c, st := j.c, &j.st
	c.wm = record.Time(r.i64())
	st.maxL = record.Time(r.i64())
	st.maxR = record.Time(r.i64())
	st.out = record.Time(r.i64())
	c.flushed = r.bool()
	c.readCounts(r, basicCore)
	c.maxSeen = max(st.maxL, st.maxR)
	key := func(in *Either[L, R]) int32 {
		var k K
		if in.IsRight {
			k = keyOf(j.rkey, in.Right)
		} else {
			k = keyOf(j.lkey, in.Left)
		}
		if id, ok := st.ids.getArrival(k); ok {
			return id
		}
		return st.newKey(k)
	}

	n := r.count()
	if r.err == nil && c.flushed && n > 0 {
		r.fail("rows held after Flush")
	}
	prevT := record.MinTime
	for range n {
		in, matched := readJoinRow[L, R](r, true)
		if r.err != nil {
			break
		}
		sd, h := 0, &j.win.left
		if in.IsRight {
			sd, h = 1, &j.win.right
		}
		t := in.EventTime()
		switch {
		case h.kind == joinNone:
			r.fail("a %s row held, but that side has no window", joinSideName(in.IsRight))
		case t < prevT:
			r.fail("held rows out of time order")
		case t > c.wm || t > st.largest(in.IsRight):
			r.fail("held row at %s above the watermark %s or its input's largest time", t, c.wm)
		case h.kind == joinRange && addSat(t, h.back) < c.wm:
			r.fail("held row at %s expired before the watermark %s", t, c.wm)
		}
		if r.err != nil {
			break
		}
		prevT = t
		id := key(&in)
		if h.kind == joinRows && int64(st.keys[id].count[sd]) > h.n {
			r.fail("%v window of a key holds more rows", h.frame)
			break
		}
		if in.IsRight {
			hold(st, &st.right, 1, h, &in.Right, t, id, matched)
		} else {
			hold(st, &st.left, 0, h, &in.Left, t, id, matched)
		}
	}

	n = r.count()
	if r.err == nil && c.flushed && n > 0 {
		r.fail("rows buffered after Flush")
	}
	prevT = c.wm
	for range n {
		in, _ := readJoinRow[L, R](r, false)
		if r.err != nil {
			break
		}
		t := in.EventTime()
		if t <= c.wm || t < prevT || t > st.largest(in.IsRight) {
			r.fail("buffered row at %s out of order, not above the watermark %s or above its input's largest time", t, c.wm)
			break
		}
		prevT = t
		id := key(&in)
		st.keys[id].pending++
		// Appended in (t, seq) order, which is a valid heap.
		st.buf = append(st.buf, pending[Either[L, R]]{r: in, t: t, seq: st.seq, key: id})
		st.seq++
	}
}

// readJoinRow reads a row of either side as AppendSnapshot writes it: the
// side, for a held row (held) whether it matched, then the row.
func readJoinRow[L, R record.Timed](r *snapReader, held bool) (in Either[L, R], matched bool) {
	in.IsRight = r.bool()
	if held {
		matched = r.bool()
	}
	if in.IsRight {
		readValue(r, &in.Right)
	} else {
		readValue(r, &in.Left)
	}
	return in, matched
}

// largest returns the largest time pushed on the right input, or the left.
func (s *joinState[L, R, K]) largest(right bool) record.Time {
	if right {
		return s.maxR
	}
	return s.maxL
}
