package window

import (
	"slices"
	"unsafe"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// A Lane is the fast lane of an [Agg] with tumbling windows, for an
// operator built on one that adds records to the accumulators itself, such
// as distinct.Counter, which hashes an item straight into a window's
// sketch. [Lane.Take] hands out the accumulator that a record of the same
// key and open window as the record before it goes to, having counted the
// record and raised the watermark, when taking the record has no other
// effect. Everything else goes through Push. The windows stay the Agg's
// alone, and the Lane holds nothing of its own: what it takes is counted
// by the Agg's engine and folded into the Agg's Stats and watermark by the
// Agg's next call.
//
// The zero Lane takes no record.
type Lane[R record.Timed, K comparable, A, V any] struct {
	e *tumbler[R, K, A, V] // the same for the Agg's life (see adopt)
}

// LaneOf returns the lane of a, whose aggregate's accumulator type must be
// A. It returns false, and the zero Lane, when a's windows are not tumbling
// (Step, Months, Floor) or A is not the accumulator type of a's aggregate.
// The lane serves a for its whole life, Restore included.
func LaneOf[A any, R record.Timed, K comparable, V any](a *Agg[R, K, V]) (Lane[R, K, A, V], bool) {
	e, ok := a.eng.(*tumbler[R, K, A, V])
	if ok {
		a.lane = e
	}
	return Lane[R, K, A, V]{e}, ok
}

// Take returns the accumulator that a record at t of key k goes to, when
// the record falls into the open window of the record before it, has that
// record's key, and completes no window: the record is then counted in
// Stats and its time raises the watermark, and the caller adds it to the
// accumulator as the aggregate's Add would, before any other call on the
// Agg. Otherwise Take returns nil, changes nothing, and the record is to be
// pushed. The accumulator has had a record added (the one before), so it
// is never the aggregate's zero one. A Take costs a few comparisons and no
// call.
func (l Lane[R, K, A, V]) Take(t record.Time, k K) *A {
	if l.e == nil {
		return nil
	}
	return l.e.take(t, k)
}

// Ok reports whether l is a lane, not the zero Lane.
func (l Lane[R, K, A, V]) Ok() bool { return l.e != nil }

// tumbler is the engine for tumbling windows (Step, Months, Floor).
//
// Layout: one lookup in keys (see keyTable), or none when the key is that of
// the last record, turns a key into a dense index, which is also the index
// of the key's primary (key, window) slot in prim, so the common case (the
// key's one open window) reads one more cache line: the accumulator.
// A key's other windows (when windows overlap in time under Delay, or are
// held for allowed lateness) sit in extra, chained from the primary slot.
// Keys keep their index while the operator holds few enough dead ones (at
// most 4·live + 4096), so a key that comes back in the next window costs one
// lookup and no map write. Each window lists its slots in the order their
// keys first appeared in it, which is the emission order. Slots and windows
// live in slices and are reused through free lists, so steady-state pushes
// do not allocate.
//
// The fields that push's fast path reads come first: for a key of up to 16
// bytes they lie within 128 bytes of the start of the struct, where the
// instructions that read them take a one-byte offset.
type tumbler[R record.Timed, K comparable, A, V any] struct {
	// The open window that took the last record: most records fall into it.
	cs, ce record.Time
	cw     int32

	// The key of the last record found in keys and its index (lastKi < 0:
	// none), so that runs of one key, and keyless queries, skip the map.
	lastKi int32
	// laneAcc is the accumulator of key lastK in window cw, or nil: take
	// hands it out for records of that key at times in [laneLo, laneHi),
	// the part of cw whose watermark stays below due (and is the time
	// less Delay without saturating). The range depends on cw and due
	// only: it is set wherever they change (setLaneRange), and the fast
	// path of push sets just laneAcc.
	laneAcc *A

	due record.Time // the smallest watermark at which advance has work

	prim  []tslot[A] // index → the key's primary slot (win < 0: unused)
	held  int        // keys with slots
	live  int        // slots in use
	lastK K

	kernel[R, K, A, V]
	keys keyTable[K] // key ↔ index

	extra     []xslot[A] // further slots; next links count from 1
	freeExtra []int32

	wins     []twin
	freeWins []int32
	order    []int32 // ids of held windows, by start

	laneLo, laneHi record.Time
	// What take took since the last sync: the number of records and their
	// largest time (MinTime: none).
	laneN   uint64
	laneMax record.Time
}

// A slot reference in a window's list is a key index i for prim[i], or
// -(j+1) for extra[j].
//
// A primary slot's key is its index, so it holds the accumulator and two
// links only: with a 24-byte accumulator (a float or integer Sum) it is 32
// bytes, half a cache line, and never straddles one. With its 4-byte
// reference in its window's list, an open (key, window) costs its
// accumulator plus 12 bytes.
type tslot[A any] struct {
	acc  A
	win  int32 // -1 when unused; then acc is zero
	next int32 // 1 + index in extra of the key's next slot; 0 ends the chain
}

// xslot is a slot in extra: a key's slot in a window other than that of its
// primary slot.
type xslot[A any] struct {
	tslot[A]
	key int32 // index
}

type twin struct {
	span   Span
	slots  []int32 // slot references in order of their keys' first appearance
	closed bool    // emitted; held for allowed lateness
}

func newTumbler[R record.Timed, K comparable, A, V any](k kernel[R, K, A, V]) *tumbler[R, K, A, V] {
	e := &tumbler[R, K, A, V]{kernel: k, keys: newKeyTable[K](), due: record.MaxTime, lastKi: -1, laneMax: record.MinTime}
	e.uncache()
	return e
}

func (e *tumbler[R, K, A, V]) flush(emit func(Result[K, V])) { flushWindows(e, e.c, emit) }

func (e *tumbler[R, K, A, V]) uncache() {
	e.cs, e.ce, e.cw = record.MaxTime, record.MinTime, -1
	e.laneAcc = nil
	e.setLaneRange()
}

// setLaneRange sets the lane's times from cw and due (empty without cw).
func (e *tumbler[R, K, A, V]) setLaneRange() {
	d := e.c.delay
	e.laneLo = max(e.cs, record.MinTime+record.Time(d))
	e.laneHi = min(e.ce, addSat(e.due, d))
}

func (e *tumbler[R, K, A, V]) slot(ref int32) *tslot[A] {
	if ref >= 0 {
		return &e.prim[ref]
	}
	return &e.extra[-ref-1].tslot
}

// keyOf returns the key index of slot ref.
func (e *tumbler[R, K, A, V]) keyOf(ref int32) int32 {
	if ref >= 0 {
		return ref
	}
	return e.extra[-ref-1].key
}

func (e *tumbler[R, K, A, V]) push(emit func(Result[K, V]), r R) error {
	t := r.EventTime()
	if t < e.cs || t >= e.ce {
		return e.pushSlow(r, t, e.keyFor(r), -1, false, false, emit)
	}
	// The fast path: the record's window is the open one of the last
	// record, and its key is known.
	c := e.c
	k := e.keyFor(r)
	ki := e.lastKi
	if ki < 0 || k != e.lastK {
		var ok bool
		if e.keys.idx.ints { // keys.get, written out to inline the table's lookup
			ki, ok = e.keys.idx.tab.get(bitsOf(k))
		} else {
			ki, ok = e.keys.idx.m[k]
		}
		if !ok {
			return e.pushSlow(r, t, k, -1, false, true, emit)
		}
		e.lastK, e.lastKi = k, ki
	}
	sl := &e.prim[ki]
	if sl.win != e.cw {
		// The key's first record in the window. When the key holds no
		// other slot and nothing else has to happen first, its primary
		// slot (empty, so zero) joins the window here.
		if sl.win >= 0 || sl.next != 0 || c.limited() || (t > c.maxSeen && c.watermarkFor(t) >= e.due) {
			return e.pushSlow(r, t, k, ki, true, true, emit)
		}
		sl.win = e.cw
		e.held++
		e.live++
		w := &e.wins[e.cw]
		w.slots = append(w.slots, ki)
	}
	e.laneAcc = &sl.acc
	e.f.Add(&sl.acc, r)
	c.stats.Records++
	if nwm, ok := c.raise(t, e.due); ok {
		e.advance(nwm, emit)
	}
	return nil
}

// take is the engine's fast lane: when a record at t of key k falls into
// the open window of the last record, k is that record's key, and taking
// it cannot complete a window
// (its watermark stays below due), take counts the record, raises the
// watermark and returns the slot's accumulator for the caller to add the
// record to. Otherwise it returns nil and changes nothing. push does the
// same and more (a key new in the window, a raise that completes windows);
// take is the part of it that an owner can run without an engine call (see
// Lane).
func (e *tumbler[R, K, A, V]) take(t record.Time, k K) *A {
	if t < e.laneLo || t >= e.laneHi || e.laneAcc == nil || k != e.lastK {
		return nil
	}
	// The core is left as it is, for sync to update: the record's watermark
	// is below due, so the core's stale count and watermark change no
	// decision of push's fast path (a raise that reaches due comes from a
	// time above every one taken here), and everything else syncs first.
	e.laneN++
	e.laneMax = max(e.laneMax, t)
	return e.laneAcc
}

// sync folds the records that take took into the core.
func (e *tumbler[R, K, A, V]) sync() {
	if e.laneN == 0 {
		return
	}
	e.c.stats.Records += e.laneN
	// Below due (see take), so raise has no window to complete.
	e.c.raise(e.laneMax, record.MaxTime)
	e.laneN, e.laneMax = 0, record.MinTime
}

// adopt takes the state of from, a tumbler restored from a snapshot, so
// that an Agg's tumbler stays the same object, which lanes point to.
func (e *tumbler[R, K, A, V]) adopt(from engine[R, Result[K, V]]) { *e = *from.(*tumbler[R, K, A, V]) }

// pushSlow takes a record that opens a slot, a window or a key, or is late.
// ki and ok are k's index, when push looked it up (looked).
func (e *tumbler[R, K, A, V]) pushSlow(r R, t record.Time, k K, ki int32, ok, looked bool, emit func(Result[K, V])) error {
	e.sync()
	c := e.c
	if c.flushed {
		return c.flushedErr
	}
	if k != k {
		return keyErr(k)
	}
	e.laneAcc = nil
	wid := int32(-1)
	var span Span
	if t >= e.cs && t < e.ce {
		wid = e.cw
		if e.advanceFirst(t, emit) {
			looked = false
		}
	} else {
		var err error
		if span, err = e.w.Window(t); err != nil {
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
			e.setLaneRange()
		}
	}
	if !looked {
		// (Closing windows may have swept keys since push looked.)
		ki, ok = e.keys.get(k)
	}
	has := ok && e.hasSlots(ki)
	ref, found := int32(0), false
	if has && wid >= 0 {
		ref, found = e.findSlot(ki, wid)
	}
	if !found && c.limited() {
		if err := c.limitErr(e.held, b2i(!has), e.live, 1); err != nil {
			// The watermark this record brings may close windows and make room.
			if t > c.maxSeen {
				if nwm := c.watermarkFor(t); nwm > c.wm && e.fitsAfter(nwm, ki, has) {
					e.advance(nwm, emit)
					return e.push(emit, r)
				}
			}
			return err
		}
	}
	if wid < 0 {
		wid = e.newWindow(span, false)
		e.cs, e.ce, e.cw = span.Start, span.End, wid
		e.setLaneRange()
	}
	if !ok {
		ki = e.newKey(k)
	}
	if !found {
		ref = e.newSlot(ki, wid)
	}
	e.lastK, e.lastKi = k, ki
	e.laneAcc = &e.slot(ref).acc // wid is cw
	e.f.Add(&e.slot(ref).acc, r)
	c.stats.Records++
	if nwm, ok := c.raise(t, e.due); ok {
		e.advance(nwm, emit)
	}
	return nil
}

// advanceFirst closes what the watermark of a record at t completes before
// the record is taken. The record's own window ends after t, so this changes
// no result, and at a window boundary the old window's state is then alone,
// to be dropped at once. With limits, push advances after taking the record
// instead, so that a refused record changes nothing.
func (e *tumbler[R, K, A, V]) advanceFirst(t record.Time, emit func(Result[K, V])) bool {
	c := e.c
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
	c := e.c
	if addSat(span.End, c.lateness) <= c.wm {
		c.stats.Records++
		c.handleLate(r, func() error { return lateErr(t, span, c.wm) })
		return nil
	}
	// Within allowed lateness: update the held window and re-emit.
	wid := e.findWindow(span.Start)
	k := e.keyFor(r)
	ki, ok := e.keys.get(k)
	has := ok && e.hasSlots(ki)
	ref, found := int32(0), false
	if has && wid >= 0 {
		ref, found = e.findSlot(ki, wid)
	}
	if !found {
		if err := c.limitErr(e.held, b2i(!has), e.live, 1); err != nil {
			return err
		}
	}
	if wid < 0 {
		wid = e.newWindow(span, true)
	}
	if !ok {
		ki = e.newKey(k)
	}
	if !found {
		ref = e.newSlot(ki, wid)
	}
	s := e.slot(ref)
	e.f.Add(&s.acc, r)
	c.stats.Records++
	if t > c.maxSeen {
		c.maxSeen = t
	}
	c.stats.Updates++
	c.stats.Emitted++
	emit(Result[K, V]{Start: span.Start, End: span.End, Key: e.keys.keys[ki], Value: e.f.Result(&s.acc), Update: true})
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// hasSlots reports whether key ki holds any slot.
func (e *tumbler[R, K, A, V]) hasSlots(ki int32) bool {
	p := &e.prim[ki]
	return p.win >= 0 || p.next != 0
}

// findSlot returns the reference of key ki's slot in window wid.
func (e *tumbler[R, K, A, V]) findSlot(ki, wid int32) (int32, bool) {
	p := &e.prim[ki]
	if p.win == wid {
		return ki, true
	}
	for x := p.next; x != 0; x = e.extra[x-1].next {
		if e.extra[x-1].win == wid {
			return -x, true
		}
	}
	return 0, false
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
	id := alloc(&e.wins, &e.freeWins)
	w := &e.wins[id]
	w.span, w.closed = span, closed
	i := len(e.order)
	for i > 0 && e.wins[e.order[i-1]].span.Start > span.Start {
		i--
	}
	e.order = slices.Insert(e.order, i, id)
	due := span.End
	if closed {
		due = addSat(span.End, e.c.lateness)
	}
	e.due = min(e.due, due)
	e.setLaneRange()
	return id
}

func (e *tumbler[R, K, A, V]) newKey(k K) int32 {
	ki := e.keys.insert(k)
	if int(ki) < len(e.prim) {
		e.prim[ki] = tslot[A]{win: -1}
	} else {
		e.prim = append(e.prim, tslot[A]{win: -1})
	}
	return ki
}

// newSlot adds a slot of window wid for key ki and returns its reference.
func (e *tumbler[R, K, A, V]) newSlot(ki, wid int32) int32 {
	if !e.hasSlots(ki) {
		e.held++
	}
	e.live++
	p := &e.prim[ki]
	var ref int32
	if p.win < 0 {
		var zero A
		p.acc, p.win = zero, wid
		ref = ki
	} else {
		var j int32
		if n := len(e.freeExtra); n > 0 {
			j = e.freeExtra[n-1]
			e.freeExtra = e.freeExtra[:n-1]
			e.extra[j] = xslot[A]{tslot: tslot[A]{win: wid, next: p.next}, key: ki}
		} else {
			j = int32(len(e.extra))
			e.extra = append(e.extra, xslot[A]{tslot: tslot[A]{win: wid, next: p.next}, key: ki})
		}
		p = &e.prim[ki]
		p.next = j + 1
		ref = -(j + 1)
	}
	w := &e.wins[wid]
	w.slots = append(w.slots, ref)
	return ref
}

// fitsAfter reports whether, once the watermark is at wm, a new slot (and
// key ki when it holds slots (has), or a new key) fits within the limits.
func (e *tumbler[R, K, A, V]) fitsAfter(wm record.Time, ki int32, has bool) bool {
	c := e.c
	purged := func(wid int32) bool { return addSat(e.wins[wid].span.End, c.lateness) <= wm }
	keyFreed := func(ki int32) bool {
		p := &e.prim[ki]
		if p.win >= 0 && !purged(p.win) {
			return false
		}
		for x := p.next; x != 0; x = e.extra[x-1].next {
			if !purged(e.extra[x-1].win) {
				return false
			}
		}
		return true
	}
	freedSlots := 0
	freed := map[int32]bool{}
	for _, id := range e.order {
		if !purged(id) {
			break
		}
		for _, ref := range e.wins[id].slots {
			freedSlots++
			if kj := e.keyOf(ref); !freed[kj] && keyFreed(kj) {
				freed[kj] = true
			}
		}
	}
	newKey := !has || freed[ki]
	return c.limitErr(e.held-len(freed), b2i(newKey), e.live-freedSlots, 1) == nil
}

func (e *tumbler[R, K, A, V]) advance(wm record.Time, emit func(Result[K, V])) {
	c := e.c
	c.wm = wm
	if wm < e.due {
		return
	}
	e.laneAcc = nil // windows close, slots may go
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
			for _, ref := range w.slots {
				sl := e.slot(ref)
				c.stats.Emitted++
				emit(Result[K, V]{Start: w.span.Start, End: w.span.End, Key: e.keys.keys[e.keyOf(ref)], Value: e.f.Result(&sl.acc)})
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
	e.setDue()
}

// setDue recomputes due from the held windows: the first open one's end,
// or earlier the end of allowed lateness of a closed one.
func (e *tumbler[R, K, A, V]) setDue() {
	e.due = record.MaxTime
	for _, id := range e.order {
		w := &e.wins[id]
		if w.closed {
			e.due = min(e.due, addSat(w.span.End, e.c.lateness))
		} else {
			e.due = min(e.due, w.span.End)
			break // later windows end later
		}
	}
	e.setLaneRange()
}

// purge drops window id and its slots.
func (e *tumbler[R, K, A, V]) purge(id int32) {
	w := &e.wins[id]
	if len(w.slots) == e.live {
		// The last window: drop every slot at once, and keep the keys
		// unless there are far more of them than this window had.
		if e.keys.len() > 4*e.held+4096 {
			e.keys.reset()
			e.forgetLast()
			e.prim = e.prim[:0]
		}
		var zero A
		for i := range e.prim {
			p := &e.prim[i]
			p.acc, p.win, p.next = zero, -1, 0
		}
		clear(e.extra)
		e.extra, e.freeExtra = e.extra[:0], e.freeExtra[:0]
		e.held, e.live = 0, 0
	} else {
		for _, ref := range w.slots {
			var ki int32
			if ref >= 0 {
				ki = ref
				p := &e.prim[ki]
				var zero A
				p.acc, p.win = zero, -1
			} else {
				j := -ref - 1
				ki = e.extra[j].key
				// Unlink j+1 from the key's chain.
				if p := &e.prim[ki]; p.next == j+1 {
					p.next = e.extra[j].next
				} else {
					x := p.next
					for e.extra[x-1].next != j+1 {
						x = e.extra[x-1].next
					}
					e.extra[x-1].next = e.extra[j].next
				}
				e.extra[j] = xslot[A]{tslot: tslot[A]{win: -1}}
				e.freeExtra = append(e.freeExtra, j)
			}
			e.live--
			if !e.hasSlots(ki) {
				e.held--
			}
		}
		e.sweep()
	}
	w.slots = w.slots[:0]
	w.closed = false
	e.freeWins = append(e.freeWins, id)
}

// sweep forgets the keys without slots once they outnumber the live ones
// by far, so that key churn does not grow the map without bound.
func (e *tumbler[R, K, A, V]) sweep() {
	if e.keys.len() <= 4*e.held+4096 {
		return
	}
	e.forgetLast()
	e.keys.removeIf(func(ki int32) bool { return !e.hasSlots(ki) })
}

// forgetLast empties the last-key cache, before keys leave idx.
func (e *tumbler[R, K, A, V]) forgetLast() {
	var zero K
	e.lastK, e.lastKi, e.laneAcc = zero, -1, nil
}

func (e *tumbler[R, K, A, V]) fillStats(s *Stats) {
	s.OpenWindows = e.live
	s.Keys = e.held
	b := e.keys.bytes() + int64(cap(e.freeExtra))*4 +
		int64(cap(e.prim))*int64(unsafe.Sizeof(tslot[A]{})) + int64(cap(e.extra))*int64(unsafe.Sizeof(xslot[A]{}))
	b += int64(cap(e.wins))*int64(unsafe.Sizeof(twin{})) + int64(cap(e.order)+cap(e.freeWins))*4
	for i := range e.wins {
		b += int64(cap(e.wins[i].slots)) * 4
	}
	// Memory the accumulators hold behind pointers: the slots a window
	// lists, open or held for lateness, are exactly the live ones.
	if z, ok := e.f.(aggregate.Sizer[A]); ok {
		for i := range e.wins {
			for _, ref := range e.wins[i].slots {
				b += int64(z.StateSize(&e.slot(ref).acc))
			}
		}
	}
	s.StateBytes = b
}
