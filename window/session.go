package window

import (
	"cmp"
	"fmt"
	"slices"
	"unsafe"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// sequencer is the engine for session and stagger windows, which take the
// records in event-time order.
//
// A record that is not late waits in a min-heap (by time, then arrival)
// until the watermark reaches its time; with Delay 0 a record that raises
// the watermark skips the heap. Records are then processed in time order,
// interleaved with the closing of windows: a window whose end E is reached
// closes before any record at E or later is processed, so a record exactly
// gap after a session's last one starts a new session.
//
// Each key has at most one open window. The open windows form a list in
// order of their end: a window's end only grows to (time being processed)
// + gap, which is the latest end so far, so extending a session moves it to
// the tail, and the head is always the next to close.
type sequencer[R record.Timed, K comparable, A, V any] struct {
	kernel[R, K, A, V]
	stagger bool
	length  int64 // the gap or the stagger length

	keys keyTable[K]
	kst  []skey

	wins     []swin[A]
	freeWins []int32
	open     idList  // open windows, by end
	held     []int32 // closed windows kept for allowed lateness, by end
	nOpen    int
	seq      uint64 // window creations

	buf    reorder[R] // the records waiting for the watermark
	bufSeq uint64     // arrivals into the heap

	group []int32 // scratch: windows closing together
}

type skey struct {
	open int32 // open window, or -1
	nwin int32 // open and held windows
	nbuf int32 // records waiting in the heap
}

type swin[A any] struct {
	acc         A
	start, last record.Time
	key         int32
	seq         uint64
}

func newSequencer[R record.Timed, K comparable, A, V any](k kernel[R, K, A, V]) *sequencer[R, K, A, V] {
	return &sequencer[R, K, A, V]{kernel: k, keys: newKeyTable[K](), stagger: k.w.kind == kindStagger, length: k.w.size, open: newIDList()}
}

func (e *sequencer[R, K, A, V]) flush(emit func(Result[K, V])) { flushWindows(e, e.c, emit) }

// uncache does nothing: the engine caches no window.
func (e *sequencer[R, K, A, V]) uncache() {
}

func (e *sequencer[R, K, A, V]) end(w *swin[A]) record.Time {
	if e.stagger {
		return w.start + record.Time(e.length)
	}
	return w.last + record.Time(e.length)
}

func (e *sequencer[R, K, A, V]) push(emit func(Result[K, V]), r R) error {
	c := e.c
	if c.flushed {
		return c.flushedErr
	}
	t := r.EventTime()
	if int64(t) > int64(record.MaxTime)-e.length {
		return overflowErr(t, e.w.String())
	}
	k := e.keyFor(r)
	if k != k {
		return keyErr(k)
	}
	if t < c.wm {
		return e.pushLate(r, t, k, emit)
	}
	ki, ok := e.keys.get(k)
	nwm := c.wm
	if t > c.maxSeen {
		nwm = c.watermarkFor(t)
	}
	direct := len(e.buf) == 0 && t == nwm
	if c.limited() {
		// A record that joins its key's open window now adds nothing;
		// any other one may open a window (held by MaxWindows as soon as
		// it waits in the heap).
		joins := direct && ok && e.kst[ki].open >= 0 && t < e.end(&e.wins[e.kst[ki].open])
		if !joins {
			if err := c.limitErr(e.keys.len(), b2i(!ok), e.nOpen+len(e.held)+len(e.buf), 1); err != nil {
				if nwm > c.wm && e.fitsAfter(nwm, ki, ok) {
					e.advance(nwm, emit)
					return e.push(emit, r)
				}
				return err
			}
		}
	}
	c.stats.Records++
	if t > c.maxSeen {
		c.maxSeen = t
	}
	if direct {
		if nwm > c.wm {
			// This may close the key's window and free its index.
			e.advance(nwm, emit)
			ki, ok = e.keys.get(k)
		}
		if !ok {
			ki = e.newKey(k)
		}
		e.process(r, t, ki)
		return nil
	}
	if !ok {
		ki = e.newKey(k)
	}
	e.kst[ki].nbuf++
	e.buf.push(pending[R]{r: r, t: t, seq: e.bufSeq, key: ki})
	e.bufSeq++
	if nwm > c.wm {
		e.advance(nwm, emit)
	}
	return nil
}

// pushLate takes a record below the watermark: under allowed lateness it
// updates the window of its key that contains it, if one is held.
func (e *sequencer[R, K, A, V]) pushLate(r R, t record.Time, k K, emit func(Result[K, V])) error {
	c := e.c
	if c.lateness > 0 && int64(t) >= int64(subSat(c.wm, c.lateness)) {
		if ki, ok := e.keys.get(k); ok {
			if id := e.kst[ki].open; id >= 0 {
				if w := &e.wins[id]; w.start <= t && t < e.end(w) {
					e.f.Add(&w.acc, r)
					c.stats.Records++
					return nil
				}
			}
			for _, id := range e.held {
				if w := &e.wins[id]; w.key == ki && w.start <= t && t < e.end(w) {
					e.f.Add(&w.acc, r)
					c.stats.Records++
					c.stats.Updates++
					c.stats.Emitted++
					emit(Result[K, V]{Start: w.start, End: e.end(w), Key: e.keys.keys[ki], Value: e.f.Result(&w.acc), Update: true})
					return nil
				}
			}
		}
	}
	c.stats.Records++
	c.handleLate(r, func() error {
		return fmt.Errorf("%w: time %s is below the watermark %s", ErrLate, t, c.wm)
	})
	return nil
}

// fitsAfter reports whether, once the watermark is at wm, the record (of key
// ki, or a new key when !ok) fits within the limits.
func (e *sequencer[R, K, A, V]) fitsAfter(wm record.Time, ki int32, ok bool) bool {
	c := e.c
	freed := 0
	freedKeys := map[int32]int32{}
	for _, id := range e.held {
		w := &e.wins[id]
		if addSat(e.end(w), c.lateness) > wm {
			break
		}
		freed++
		freedKeys[w.key]++
	}
	for id := e.open.first; id >= 0; id = e.open.next(id) {
		w := &e.wins[id]
		if addSat(e.end(w), c.lateness) > wm {
			break
		}
		freed++
		freedKeys[w.key]++
	}
	keysFreed, newKey := 0, !ok
	for kj, n := range freedKeys {
		if s := e.kst[kj]; s.nwin == n && s.nbuf == 0 {
			keysFreed++
			if ok && kj == ki {
				newKey = true
			}
		}
	}
	return c.limitErr(e.keys.len()-keysFreed, b2i(newKey), e.nOpen+len(e.held)+len(e.buf)-freed, 1) == nil
}

func (e *sequencer[R, K, A, V]) newKey(k K) int32 {
	ki := e.keys.insert(k)
	if int(ki) == len(e.kst) {
		e.kst = append(e.kst, skey{})
	}
	e.kst[ki] = skey{open: -1}
	return ki
}

// process takes record r at t, of key ki, in event-time order.
func (e *sequencer[R, K, A, V]) process(r R, t record.Time, ki int32) {
	ks := &e.kst[ki]
	if id := ks.open; id >= 0 {
		w := &e.wins[id]
		// Windows ending by t have closed before t is processed.
		if !e.stagger {
			w.last = t
			e.open.moveBack(id)
		}
		e.f.Add(&w.acc, r)
		return
	}
	id := alloc(&e.wins, &e.freeWins)
	e.wins[id] = swin[A]{start: t, last: t, key: ki, seq: e.seq}
	e.seq++
	e.f.Add(&e.wins[id].acc, r)
	e.open.pushBack(id)
	ks.open = id
	ks.nwin++
	e.nOpen++
}

func (e *sequencer[R, K, A, V]) advance(wm record.Time, emit func(Result[K, V])) {
	c := e.c
	c.wm = wm
	for {
		rt := record.MaxTime
		hasRec := len(e.buf) > 0 && e.buf[0].t <= wm
		if hasRec {
			rt = e.buf[0].t
		}
		if e.open.first >= 0 {
			if end := e.end(&e.wins[e.open.first]); end <= wm && (!hasRec || end <= rt) {
				e.closeAt(end, emit)
				continue
			}
		}
		if !hasRec {
			break
		}
		b := e.buf.pop()
		e.kst[b.key].nbuf--
		e.process(b.r, b.t, b.key)
	}
	e.dropHeld(wm)
}

// dropHeld drops the held windows past allowed lateness at watermark wm.
func (e *sequencer[R, K, A, V]) dropHeld(wm record.Time) {
	c := e.c
	n := 0
	for n < len(e.held) && addSat(e.end(&e.wins[e.held[n]]), c.lateness) <= wm {
		e.free(e.held[n])
		n++
	}
	if n > 0 {
		e.held = append(e.held[:0], e.held[n:]...)
	}
}

// closeAt emits the open windows ending at end, by start and then by first
// appearance, and holds them for allowed lateness or frees them.
func (e *sequencer[R, K, A, V]) closeAt(end record.Time, emit func(Result[K, V])) {
	c := e.c
	g := e.group[:0]
	for e.open.first >= 0 && e.end(&e.wins[e.open.first]) == end {
		id := e.open.first
		e.open.unlink(id)
		e.kst[e.wins[id].key].open = -1
		e.nOpen--
		g = append(g, id)
	}
	if len(g) > 1 {
		slices.SortFunc(g, func(x, y int32) int {
			a, b := &e.wins[x], &e.wins[y]
			return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.seq, b.seq))
		})
	}
	for _, id := range g {
		w := &e.wins[id]
		c.stats.Emitted++
		emit(Result[K, V]{Start: w.start, End: end, Key: e.keys.keys[w.key], Value: e.f.Result(&w.acc)})
		if c.lateness > 0 && addSat(end, c.lateness) > c.wm {
			e.held = append(e.held, id)
		} else {
			e.free(id)
		}
	}
	e.group = g[:0]
}

// free releases window id, and its key when that holds nothing else.
func (e *sequencer[R, K, A, V]) free(id int32) {
	w := &e.wins[id]
	ki := w.key
	*w = swin[A]{}
	e.freeWins = append(e.freeWins, id)
	ks := &e.kst[ki]
	ks.nwin--
	if ks.nwin == 0 && ks.nbuf == 0 && ks.open < 0 {
		e.keys.remove(ki)
	}
}

func (e *sequencer[R, K, A, V]) fillStats(s *Stats) {
	s.OpenWindows = e.nOpen + len(e.held)
	s.Keys = e.keys.len()
	var w swin[A]
	var b pending[R]
	s.StateBytes = e.keys.bytes() + int64(cap(e.kst))*int64(unsafe.Sizeof(skey{})) +
		int64(cap(e.wins))*int64(unsafe.Sizeof(w)) + int64(cap(e.buf))*int64(unsafe.Sizeof(b)) +
		int64(cap(e.freeWins)+cap(e.held)+cap(e.group))*4
	// Memory the accumulators hold behind pointers: the live windows are
	// the open list and the windows held for lateness.
	if z, ok := e.f.(aggregate.Sizer[A]); ok {
		for id := e.open.first; id >= 0; id = e.open.next(id) {
			s.StateBytes += int64(z.StateSize(&e.wins[id].acc))
		}
		for _, id := range e.held {
			s.StateBytes += int64(z.StateSize(&e.wins[id].acc))
		}
	}
}
