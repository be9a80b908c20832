package window

import (
	"slices"
	"unsafe"

	"github.com/rowtime/rowtime/record"
)

// tumbler is the engine for tumbling windows (Step, Months, Floor).
//
// Layout: one map lookup turns a key into a dense index, whose entry in
// heads is the key's newest (key, window) slot; the slots of a key form a
// short chain, newest first, so a record finds its accumulator by walking
// one or two links (usually none). Keys keep their index while the operator
// holds few enough dead ones (at most 4·live + 4096), so a key that comes
// back in the next window costs one lookup and no map write. Each window
// lists its slots in the order their keys first appeared in it, which is
// the emission order. Slots and windows live in slices and are reused
// through free lists, so steady-state pushes do not allocate.
type tumbler[R record.Timed, K comparable, A, V any] struct {
	a     *Agg[R, K, A, V]
	idx   map[K]int32 // key → index
	klist []K         // index → key
	heads []int32     // index → newest slot, or -1 when the key has none
	kfree []int32     // indexes of keys swept from idx
	keys  int         // keys with slots

	slots     []tslot[A]
	freeSlots []int32
	live      int // slots in use

	wins     []twin
	freeWins []int32
	order    []int32 // ids of held windows, by start

	// The open window that took the last record: most records fall into it.
	cs, ce record.Time
	cw     int32

	due record.Time // the smallest watermark at which advance has work
}

type tslot[A any] struct {
	acc  A
	key  int32 // index
	win  int32
	next int32 // next slot of the same key, older; -1 ends the chain
}

type twin struct {
	span   Span
	slots  []int32 // slots in order of their keys' first appearance
	closed bool    // emitted; held for allowed lateness
}

func newTumbler[R record.Timed, K comparable, A, V any](a *Agg[R, K, A, V]) *tumbler[R, K, A, V] {
	e := &tumbler[R, K, A, V]{a: a, idx: make(map[K]int32), due: record.MaxTime}
	e.uncache()
	return e
}

func (e *tumbler[R, K, A, V]) uncache() { e.cs, e.ce, e.cw = record.MaxTime, record.MinTime, -1 }

func (e *tumbler[R, K, A, V]) push(r R, emit func(Result[K, V])) error {
	c := &e.a.core
	t := r.EventTime()
	if t >= e.cs && t < e.ce {
		// The fast path: the record's window is the open one of the last
		// record, and its key already has a slot there.
		k := e.a.key(r)
		ki, ok := e.idx[k]
		if ok {
			if s := e.heads[ki]; s >= 0 && e.slots[s].win == e.cw {
				e.a.f.Add(&e.slots[s].acc, r)
				c.stats.Records++
				if t > c.maxSeen {
					c.maxSeen = t
					if nwm := c.watermarkFor(t); nwm > c.wm {
						if nwm >= e.due {
							e.advance(nwm, emit)
						} else {
							c.wm = nwm
						}
					}
				}
				return nil
			}
		}
		return e.pushSlow(r, t, k, ki, ok, true, emit)
	}
	return e.pushSlow(r, t, e.a.key(r), -1, false, false, emit)
}

// pushSlow takes a record that opens a slot, a window or a key, or is late.
// ki and ok are k's index, when push looked it up (looked).
func (e *tumbler[R, K, A, V]) pushSlow(r R, t record.Time, k K, ki int32, ok, looked bool, emit func(Result[K, V])) error {
	c := &e.a.core
	wid := int32(-1)
	var span Span
	if t >= e.cs && t < e.ce {
		wid = e.cw
		if e.advanceFirst(t, emit) {
			looked = false
		}
	} else {
		var err error
		if span, err = e.a.w.Window(t); err != nil {
			return err
		}
		if e.advanceFirst(t, emit) {
			looked = false
		}
		if span.End <= c.wm {
			return e.pushLate(r, t, span, emit)
		}
		if wid = e.findWindow(span.Start); wid >= 0 {
			e.cs, e.ce, e.cw = span.Start, span.End, wid
		}
	}
	if !looked {
		// (Closing windows may have swept keys since push looked.)
		ki, ok = e.idx[k]
	}
	head := int32(-1)
	if ok {
		head = e.heads[ki]
	}
	slot := int32(-1)
	if head >= 0 && wid >= 0 {
		slot = e.findSlot(head, wid)
	}
	if slot < 0 && c.limited() {
		if err := c.limitErr(e.keys, b2i(head < 0), e.live, 1); err != nil {
			// The watermark this record brings may close windows and make room.
			if t > c.maxSeen {
				if nwm := c.watermarkFor(t); nwm > c.wm && e.fitsAfter(nwm, head) {
					e.advance(nwm, emit)
					return e.push(r, emit)
				}
			}
			return err
		}
	}
	if wid < 0 {
		wid = e.newWindow(span, false)
		e.cs, e.ce, e.cw = span.Start, span.End, wid
	}
	if !ok {
		ki = e.newKey(k)
	}
	if slot < 0 {
		slot = e.newSlot(ki, wid)
	}
	e.a.f.Add(&e.slots[slot].acc, r)
	c.stats.Records++
	if t > c.maxSeen {
		c.maxSeen = t
		if nwm := c.watermarkFor(t); nwm > c.wm {
			if nwm >= e.due {
				e.advance(nwm, emit)
			} else {
				c.wm = nwm
			}
		}
	}
	return nil
}

// advanceFirst closes what the watermark of a record at t completes before
// the record is taken. The record's own window ends after t, so this changes
// no result, and at a window boundary the old window's state is then alone,
// to be dropped at once. With limits, push advances after taking the record
// instead, so that a refused record changes nothing.
func (e *tumbler[R, K, A, V]) advanceFirst(t record.Time, emit func(Result[K, V])) bool {
	c := &e.a.core
	if t > c.maxSeen && !c.limited() {
		if nwm := c.watermarkFor(t); nwm > c.wm && nwm >= e.due {
			e.advance(nwm, emit)
			return true
		}
	}
	return false
}

// pushLate takes a record whose window has already been emitted.
func (e *tumbler[R, K, A, V]) pushLate(r R, t record.Time, span Span, emit func(Result[K, V])) error {
	c := &e.a.core
	if addSat(span.End, c.lateness) <= c.wm {
		c.stats.Records++
		c.handleLate(r, func() error { return lateErr(t, span, c.wm) })
		return nil
	}
	// Within allowed lateness: update the held window and re-emit.
	wid := e.findWindow(span.Start)
	k := e.a.key(r)
	ki, ok := e.idx[k]
	head := int32(-1)
	if ok {
		head = e.heads[ki]
	}
	slot := int32(-1)
	if head >= 0 && wid >= 0 {
		slot = e.findSlot(head, wid)
	}
	if slot < 0 {
		if err := c.limitErr(e.keys, b2i(head < 0), e.live, 1); err != nil {
			return err
		}
	}
	if wid < 0 {
		wid = e.newWindow(span, true)
	}
	if !ok {
		ki = e.newKey(k)
	}
	if slot < 0 {
		slot = e.newSlot(ki, wid)
	}
	s := &e.slots[slot]
	e.a.f.Add(&s.acc, r)
	c.stats.Records++
	if t > c.maxSeen {
		c.maxSeen = t
	}
	c.stats.Updates++
	c.stats.Emitted++
	emit(Result[K, V]{Start: span.Start, End: span.End, Key: e.klist[s.key], Value: e.a.f.Result(&s.acc), Update: true})
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// findSlot returns the slot of window wid in the chain from head, or -1.
func (e *tumbler[R, K, A, V]) findSlot(head, wid int32) int32 {
	for s := head; s >= 0; s = e.slots[s].next {
		if e.slots[s].win == wid {
			return s
		}
	}
	return -1
}

// findWindow returns the id of the held window starting at start, or -1.
func (e *tumbler[R, K, A, V]) findWindow(start record.Time) int32 {
	for i := len(e.order) - 1; i >= 0; i-- {
		id := e.order[i]
		if s := e.wins[id].span.Start; s == start {
			return id
		} else if s < start {
			break
		}
	}
	return -1
}

func (e *tumbler[R, K, A, V]) newWindow(span Span, closed bool) int32 {
	var id int32
	if n := len(e.freeWins); n > 0 {
		id = e.freeWins[n-1]
		e.freeWins = e.freeWins[:n-1]
	} else {
		id = int32(len(e.wins))
		e.wins = append(e.wins, twin{})
	}
	w := &e.wins[id]
	w.span, w.closed = span, closed
	i := len(e.order)
	for i > 0 && e.wins[e.order[i-1]].span.Start > span.Start {
		i--
	}
	e.order = slices.Insert(e.order, i, id)
	due := span.End
	if closed {
		due = addSat(span.End, e.a.core.lateness)
	}
	e.due = min(e.due, due)
	return id
}

func (e *tumbler[R, K, A, V]) newKey(k K) int32 {
	var ki int32
	if n := len(e.kfree); n > 0 {
		ki = e.kfree[n-1]
		e.kfree = e.kfree[:n-1]
		e.klist[ki], e.heads[ki] = k, -1
	} else {
		ki = int32(len(e.klist))
		e.klist = append(e.klist, k)
		e.heads = append(e.heads, -1)
	}
	e.idx[k] = ki
	return ki
}

// newSlot adds a slot of window wid for key ki and returns it.
func (e *tumbler[R, K, A, V]) newSlot(ki, wid int32) int32 {
	head := e.heads[ki]
	if head < 0 {
		e.keys++
	}
	var s int32
	if n := len(e.freeSlots); n > 0 {
		s = e.freeSlots[n-1]
		e.freeSlots = e.freeSlots[:n-1]
		e.slots[s] = tslot[A]{key: ki, win: wid, next: head}
	} else {
		s = int32(len(e.slots))
		e.slots = append(e.slots, tslot[A]{key: ki, win: wid, next: head})
	}
	e.heads[ki] = s
	e.live++
	w := &e.wins[wid]
	w.slots = append(w.slots, s)
	return s
}

// sweep forgets the keys without slots once they outnumber the live ones
// by far, so that key churn does not grow the map without bound.
func (e *tumbler[R, K, A, V]) sweep() {
	if len(e.idx) <= 4*e.keys+4096 {
		return
	}
	var zero K
	for k, ki := range e.idx {
		if e.heads[ki] < 0 {
			delete(e.idx, k)
			e.klist[ki] = zero
			e.kfree = append(e.kfree, ki)
		}
	}
}

// fitsAfter reports whether, once the watermark is at wm, a new slot (and
// the key whose chain starts at head, or a new key when head < 0) fits
// within the limits.
func (e *tumbler[R, K, A, V]) fitsAfter(wm record.Time, head int32) bool {
	c := &e.a.core
	freedSlots, freedKeys := 0, 0
	purged := func(wid int32) bool { return addSat(e.wins[wid].span.End, c.lateness) <= wm }
	keyFreed := func(head int32) bool {
		for s := head; s >= 0; s = e.slots[s].next {
			if !purged(e.slots[s].win) {
				return false
			}
		}
		return true
	}
	for _, id := range e.order {
		if !purged(id) {
			break
		}
		for _, s := range e.wins[id].slots {
			freedSlots++
			if e.heads[e.slots[s].key] == s && keyFreed(s) {
				freedKeys++
			}
		}
	}
	newKey := head < 0 || keyFreed(head)
	return c.limitErr(e.keys-freedKeys, b2i(newKey), e.live-freedSlots, 1) == nil
}

func (e *tumbler[R, K, A, V]) advance(wm record.Time, emit func(Result[K, V])) {
	c := &e.a.core
	c.wm = wm
	if wm < e.due {
		return
	}
	j := 0
	for i, id := range e.order {
		w := &e.wins[id]
		if w.span.End > wm {
			j += copy(e.order[j:], e.order[i:])
			break
		}
		if !w.closed {
			w.closed = true
			if id == e.cw {
				e.uncache()
			}
			for _, s := range w.slots {
				sl := &e.slots[s]
				c.stats.Emitted++
				emit(Result[K, V]{Start: w.span.Start, End: w.span.End, Key: e.klist[sl.key], Value: e.a.f.Result(&sl.acc)})
			}
		}
		if addSat(w.span.End, c.lateness) <= wm {
			e.purge(id)
		} else {
			e.order[j] = id
			j++
		}
	}
	e.order = e.order[:j]
	e.due = record.MaxTime
	for _, id := range e.order {
		w := &e.wins[id]
		if w.closed {
			e.due = min(e.due, addSat(w.span.End, c.lateness))
		} else {
			e.due = min(e.due, w.span.End)
			break // later windows end later
		}
	}
}

// purge drops window id and its slots, and the keys left without slots.
func (e *tumbler[R, K, A, V]) purge(id int32) {
	w := &e.wins[id]
	if len(w.slots) == e.live {
		// The last window: drop every slot at once, and keep the keys
		// unless there are far more of them than this window had.
		if len(e.idx) > 4*e.keys+4096 {
			clear(e.idx)
			clear(e.klist)
			e.klist, e.heads, e.kfree = e.klist[:0], e.heads[:0], e.kfree[:0]
		}
		for i := range e.heads {
			e.heads[i] = -1
		}
		e.keys = 0
		clear(e.slots)
		e.slots = e.slots[:0]
		e.freeSlots = e.freeSlots[:0]
		e.live = 0
	} else {
		for _, s := range w.slots {
			ki := e.slots[s].key
			// Unlink s from its key's chain.
			if p := e.heads[ki]; p == s {
				e.heads[ki] = e.slots[s].next
				if e.heads[ki] < 0 {
					e.keys--
				}
			} else {
				for e.slots[p].next != s {
					p = e.slots[p].next
				}
				e.slots[p].next = e.slots[s].next
			}
			e.slots[s] = tslot[A]{}
			e.freeSlots = append(e.freeSlots, s)
			e.live--
		}
		e.sweep()
	}
	w.slots = w.slots[:0]
	w.closed = false
	e.freeWins = append(e.freeWins, id)
}

func (e *tumbler[R, K, A, V]) fillStats(s *Stats) {
	s.OpenWindows = e.live
	s.Keys = e.keys
	var sl tslot[A]
	var k K
	ks := int64(unsafe.Sizeof(k))
	b := int64(len(e.idx))*(ks+4+8) + int64(cap(e.klist))*ks + int64(cap(e.heads)+cap(e.kfree))*4 +
		int64(cap(e.slots))*int64(unsafe.Sizeof(sl)) + int64(cap(e.freeSlots))*4
	b += int64(cap(e.wins))*int64(unsafe.Sizeof(twin{})) + int64(cap(e.order)+cap(e.freeWins))*4
	for i := range e.wins {
		b += int64(cap(e.wins[i].slots)) * 4
	}
	s.StateBytes = b
}
