package window

import (
	"cmp"
	"math"
	"slices"
	"unsafe"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// hopper is the engine for hopping windows.
//
// The time line is cut into panes of gcd(size, slide); a window is a run of
// size/pane consecutive panes, and the next window starts slide/pane panes
// later. A record updates the accumulator of its key's pane, found through
// one map lookup. Each key keeps its panes in a deque, in pane order, cut in
// four runs:
//
//	[keep, head)   panes of emitted windows held for allowed lateness
//	[head, mid)    the front stack of a two-stack FIFO: each entry also
//	               holds the merge of itself and every later front entry
//	[mid, in)      the back stack, folded into one running accumulator
//	[in, len)      panes beyond the last emitted window, still filling
//
// Emitting a window pushes the panes it ends with onto the back, pops the
// panes it no longer covers from the front (when the front is empty, the
// back is turned into a new front in one pass), and merges the front's top
// with the back. Every pane is pushed, turned and popped once, so the cost
// per record and per result does not grow with size/slide.
type hopper[R record.Timed, K comparable, A, V any] struct {
	size, slide int64 // window length and step, in panes
	kernel[R, K, A, V]
	pane int64 // pane length, ns

	keys   keyTable[K]
	ks     []hkey[A] // per key index
	active []int32   // keys holding panes
	panes  int       // (key, pane) accumulators held
	seq    uint64    // counts (key, pane) creations: first appearances

	next   int64       // index of the next window to emit
	due    record.Time // the smallest watermark at which advance has work
	retain record.Time // the smallest watermark at which a held pane expires

	// The pane of the last record: most records fall into it.
	cp        int64 // pane index
	cs, ce    record.Time
	cFirstEnd record.Time // end of the first window containing the pane
	cLastEnd  record.Time // end of the last window containing the pane

	scratch []hemit
	sortBuf []hemit
	outKeys []K
	outVals []V
	tmp     A
}

type hkey[A any] struct {
	// cur is the newest pane, kept out of the deque while it fills so that
	// a record touches this struct alone; every pane in the deque is older.
	cur    hpane[A]
	hasCur bool

	panes    []hpane[A]
	keep     int
	head     int
	mid      int
	in       int
	back     A      // merge of panes[mid:in]
	backSeq  uint64 // smallest seq in panes[mid:in]
	dirty    bool   // a pane in [head, in) changed: rebuild the FIFO
	emitting bool
}

type hpane[A any] struct {
	p      int64  // pane index
	seq    uint64 // when the key first appeared in the pane
	acc    A      // the pane's records
	suf    A      // front entries: merge of this and later front entries
	sufSeq uint64 // front entries: smallest seq of this and later ones
}

type hemit struct {
	seq uint64 // first appearance of the key in the window
	idx int32  // into outKeys, outVals
}

func newHopper[R record.Timed, K comparable, A, V any](k kernel[R, K, A, V]) *hopper[R, K, A, V] {
	w := k.w
	e := &hopper[R, K, A, V]{kernel: k, keys: newKeyTable[K](), size: w.size / w.pane, slide: w.slide / w.pane, pane: w.pane,
		due: record.MaxTime, retain: record.MaxTime}
	e.next = e.firstOpen(record.MinTime)
	e.uncache()
	return e
}

func (e *hopper[R, K, A, V]) flush(emit func(Result[K, V])) { flushWindows(e, e.c, emit) }

func (e *hopper[R, K, A, V]) uncache() { e.cs, e.ce = record.MaxTime, record.MinTime }

// windowEnd returns the end of window k, which must be representable.
func (e *hopper[R, K, A, V]) windowEnd(k int64) record.Time {
	return record.Time(k*e.slide*e.pane + e.size*e.pane)
}

// dueEnd returns the end of window k, or MaxTime if that overflows.
func (e *hopper[R, K, A, V]) dueEnd(k int64) record.Time {
	sn := e.slide * e.pane
	if k > (math.MaxInt64-e.size*e.pane)/sn {
		return record.MaxTime
	}
	return e.windowEnd(k)
}

// firstWindow returns the index of the first window that contains pane p.
func (e *hopper[R, K, A, V]) firstWindow(p int64) int64 {
	return record.FloorDiv(p-e.size, e.slide) + 1
}

// lastEnd returns the end of the last window that contains pane p.
func (e *hopper[R, K, A, V]) lastEnd(p int64) record.Time {
	return e.windowEnd(record.FloorDiv(p, e.slide))
}

func (e *hopper[R, K, A, V]) push(emit func(Result[K, V]), r R) error {
	c := e.c
	if c.flushed {
		return c.flushedErr
	}
	t := r.EventTime()
	if t < e.cs || t >= e.ce {
		if _, _, err := hopRange(t, e.w.size, e.w.slide); err != nil {
			return err
		}
		p := record.FloorDiv(int64(t), e.pane)
		e.cp, e.cs, e.ce = p, record.Time(p*e.pane), record.Time(p*e.pane+e.pane)
		e.cFirstEnd, e.cLastEnd = e.windowEnd(e.firstWindow(p)), e.lastEnd(p)
	}
	p := e.cp
	k := e.keyFor(r)
	if k != k {
		return keyErr(k)
	}
	if !c.limited() && t > c.maxSeen {
		if nwm := c.watermarkFor(t); nwm > c.wm && nwm >= e.due {
			e.advance(nwm, emit)
		}
	}
	if e.cLastEnd <= c.wm {
		// Every window of the record has been emitted.
		if addSat(e.cLastEnd, c.lateness) <= c.wm {
			c.stats.Records++
			c.handleLate(r, func() error {
				last := Span{e.cLastEnd - record.Time(e.size*e.pane), e.cLastEnd}
				return lateErr(t, last, c.wm)
			})
			return nil
		}
	}
	var ki int32
	var ok bool
	if e.keys.idx.ints { // keys.get, written out to inline the table's lookup
		ki, ok = e.keys.idx.tab.get(bitsOf(k))
	} else {
		ki, ok = e.keys.idx.m[k]
	}
	i := -1
	inCur := false
	if ok {
		h := &e.ks[ki]
		if h.hasCur && h.cur.p == p && e.cFirstEnd > c.wm {
			// The fast path: the key's newest pane, all of whose windows
			// are open.
			e.f.Add(&h.cur.acc, r)
			c.stats.Records++
			e.raise(t, emit)
			return nil
		}
		inCur = h.hasCur && h.cur.p == p
		if !inCur && !(h.hasCur && h.cur.p < p) {
			i = h.find(p) // (a pane newer than cur is not in the deque)
		}
	}
	if i < 0 && !inCur && c.limited() {
		if err := c.limitErr(e.keys.len(), b2i(!ok), e.panes, 1); err != nil {
			if t > c.maxSeen {
				if nwm := c.watermarkFor(t); nwm > c.wm && e.fitsAfter(nwm, ki, ok) {
					e.advance(nwm, emit)
					return e.push(emit, r)
				}
			}
			return err
		}
	}
	if !ok {
		ki = e.newKey(k)
		e.active = append(e.active, ki)
	}
	h := &e.ks[ki]
	var acc *A
	if inCur {
		acc = &h.cur.acc
	} else if i < 0 {
		e.panes++
		// next ≤ the first open window of p: see advance.
		e.due = min(e.due, e.dueEnd(e.next))
		if (!h.hasCur && (len(h.panes) == h.keep || h.panes[len(h.panes)-1].p < p)) || (h.hasCur && h.cur.p < p) {
			// A new newest pane: it becomes the key's current one.
			h.flushCur()
			h.cur = hpane[A]{p: p, seq: e.seq}
			h.hasCur = true
			acc = &h.cur.acc
		} else {
			i = h.insert(p, e.seq)
		}
		e.seq++
	}
	if acc == nil {
		acc = &h.panes[i].acc
	}
	e.f.Add(acc, r)
	c.stats.Records++
	if i >= 0 && i < h.in {
		// The pane already feeds emitted windows: the record is below the
		// watermark (not late, as some of its windows are open).
		h.dirty = true
	}
	if e.cFirstEnd <= c.wm {
		e.updateClosed(ki, p, t, emit)
	}
	e.raise(t, emit)
	return nil
}

// updateClosed re-emits the emitted windows of pane p held under allowed
// lateness, for key ki, after a record at t went into the pane.
func (e *hopper[R, K, A, V]) updateClosed(ki int32, p int64, t record.Time, emit func(Result[K, V])) {
	c := e.c
	if c.lateness == 0 {
		return
	}
	h := &e.ks[ki]
	h.flushCur()
	for k := e.firstWindow(p); k <= record.FloorDiv(p, e.slide); k++ {
		end := e.windowEnd(k)
		if end > c.wm {
			break
		}
		if addSat(end, c.lateness) <= c.wm {
			continue
		}
		// Merge the window's panes afresh: late records are rare.
		lo, hi := k*e.slide, k*e.slide+e.size
		var acc A
		for j := h.keep; j < len(h.panes); j++ {
			if q := h.panes[j].p; q >= lo && q < hi {
				e.f.Merge(&acc, &h.panes[j].acc)
			}
		}
		c.stats.Updates++
		c.stats.Emitted++
		emit(Result[K, V]{Start: end - record.Time(e.size*e.pane), End: end, Key: e.keys.keys[ki], Value: e.f.Result(&acc), Update: true})
	}
	// The pane must outlive the windows just updated.
	e.retain = min(e.retain, addSat(e.lastEnd(p), c.lateness))
	e.due = min(e.due, e.retain)
}

// flushCur moves the current pane to the end of the deque.
func (h *hkey[A]) flushCur() {
	if h.hasCur {
		h.panes = append(h.panes, h.cur)
		h.cur = hpane[A]{}
		h.hasCur = false
	}
}

// empty reports whether h holds no pane.
func (h *hkey[A]) empty() bool { return h.keep == len(h.panes) && !h.hasCur }

// firstLive returns the oldest pane of h that a window still to be emitted
// may need, or MaxInt64.
func (h *hkey[A]) firstLive() int64 {
	if h.head < len(h.panes) {
		return h.panes[h.head].p
	}
	if h.hasCur {
		return h.cur.p
	}
	return math.MaxInt64
}

// find returns the position of pane p in h's deque, or -1.
func (h *hkey[A]) find(p int64) int {
	for i := len(h.panes) - 1; i >= h.keep; i-- {
		if q := h.panes[i].p; q == p {
			return i
		} else if q < p {
			break
		}
	}
	return -1
}

// insert adds an empty pane p to h's deque, in order, and returns its
// position.
func (h *hkey[A]) insert(p int64, seq uint64) int {
	i := len(h.panes)
	for i > h.keep && h.panes[i-1].p > p {
		i--
	}
	if i == len(h.panes) {
		h.panes = append(h.panes, hpane[A]{p: p, seq: seq})
		return i
	}
	h.panes = slices.Insert(h.panes, i, hpane[A]{p: p, seq: seq})
	if i < h.in {
		// Inside the FIFO (a late record): shift the runs and rebuild.
		h.in++
		if i < h.mid {
			h.mid++
		}
		if i < h.head {
			h.head++
		}
		h.dirty = true
	}
	return i
}

func (e *hopper[R, K, A, V]) newKey(k K) int32 {
	ki := e.keys.insert(k)
	if int(ki) == len(e.ks) {
		e.ks = append(e.ks, hkey[A]{})
	}
	return ki
}

// dropKey frees key ki, whose deque is empty, keeping its memory for reuse.
func (e *hopper[R, K, A, V]) dropKey(ki int32) {
	h := &e.ks[ki]
	clear(h.panes)
	*h = hkey[A]{panes: h.panes[:0]}
	e.keys.remove(ki)
}

// fitsAfter reports whether, once the watermark is at wm, a new pane (and
// key ki, or a new key when !ok) fits within the limits.
func (e *hopper[R, K, A, V]) fitsAfter(wm record.Time, ki int32, ok bool) bool {
	c := e.c
	freedPanes, freedKeys := 0, 0
	newKey := !ok
	for _, kj := range e.active {
		h := &e.ks[kj]
		n := 0
		for j := h.keep; j < len(h.panes) && addSat(e.lastEnd(h.panes[j].p), c.lateness) <= wm; j++ {
			n++
		}
		if n == len(h.panes)-h.keep && h.hasCur && addSat(e.lastEnd(h.cur.p), c.lateness) <= wm {
			n++
		}
		freedPanes += n
		if n == len(h.panes)-h.keep+b2i(h.hasCur) {
			freedKeys++
			if ok && kj == ki {
				newKey = true
			}
		}
	}
	return c.limitErr(e.keys.len()-freedKeys, b2i(newKey), e.panes-freedPanes, 1) == nil
}

func (e *hopper[R, K, A, V]) advance(wm record.Time, emit func(Result[K, V])) {
	c := e.c
	c.wm = wm
	if wm < e.due {
		if e.panes == 0 {
			// Nothing to emit, but windows may have closed: a record that
			// comes now must not join them (see the invariant below).
			e.next = max(e.next, e.firstOpen(wm))
		}
		return
	}
	// Invariant: every window before next has been emitted or holds no
	// pane and ends by the watermark, and next ≤ firstOpen(watermark), so
	// a record that is not late never falls before next.
	open := e.firstOpen(wm)
	minP := int64(math.MaxInt64)
	for _, ki := range e.active {
		minP = min(minP, e.ks[ki].firstLive())
	}
	for {
		// Skip windows that hold no pane, but none that may still take
		// records (ending after wm).
		if minP == math.MaxInt64 {
			e.next = max(e.next, open)
		} else {
			e.next = max(e.next, min(e.firstWindow(minP), open))
		}
		if minP == math.MaxInt64 || e.windowEnd(e.next) > wm {
			break // (no pane left to emit, or nothing due)
		}
		minP = e.emitWindow(e.next, emit)
		e.next++
	}
	if wm >= e.retain {
		e.expire(wm)
	}
	e.due = e.retain
	if minP != math.MaxInt64 {
		e.due = min(e.due, e.dueEnd(e.next))
	}
}

// firstOpen returns the index of the first window that ends after wm.
func (e *hopper[R, K, A, V]) firstOpen(wm record.Time) int64 {
	// k·slide + size > wm/pane, in panes; wm may be MaxTime.
	// Windows starting before MinTime hold nothing: Push refuses their records.
	kmin := int64(record.MinTime) / (e.slide * e.pane) // rounds up
	w := record.FloorDiv(int64(wm), e.pane)
	if w < math.MinInt64+e.size {
		return kmin
	}
	return max(kmin, record.FloorDiv(w-e.size, e.slide)+1)
}

// emitWindow emits window k for every key with panes in it, and returns
// the smallest pane index held afterwards for a later window (MaxInt64 if
// none).
func (e *hopper[R, K, A, V]) emitWindow(k int64, emit func(Result[K, V])) int64 {
	c := e.c
	f := e.f
	lo, hi := k*e.slide, k*e.slide+e.size
	end := e.windowEnd(k)
	start := end - record.Time(e.size*e.pane)
	minP := int64(math.MaxInt64)
	em := e.scratch[:0]
	outK, outV := e.outKeys[:0], e.outVals[:0]
	j := 0
	for _, ki := range e.active {
		h := &e.ks[ki]
		if h.hasCur && h.cur.p < hi {
			h.flushCur() // complete: it ends by the watermark
		}
		// Push the panes that end by hi.
		for h.in < len(h.panes) && h.panes[h.in].p < hi {
			q := &h.panes[h.in]
			if h.in == h.mid {
				var zero A
				h.back = zero
				h.backSeq = math.MaxUint64
			}
			f.Merge(&h.back, &q.acc)
			h.backSeq = min(h.backSeq, q.seq)
			h.in++
		}
		if h.dirty {
			e.rebuild(h)
		}
		// Pop the panes before lo.
		e.pop(h, lo)
		if h.head < h.in {
			s := h.backSeq
			if h.head < h.mid {
				s = min(s, h.panes[h.head].sufSeq)
			}
			em = append(em, hemit{seq: s, idx: int32(len(outV))})
			outK = append(outK, e.keys.keys[ki])
			outV = append(outV, e.query(h))
			// The panes before the next window are in no later one.
			e.pop(h, lo+e.slide)
		}
		if !e.settle(ki, c.wm) {
			continue
		}
		minP = min(minP, h.firstLive())
		e.active[j] = ki
		j++
	}
	e.active = e.active[:j]
	em = e.sortEmits(em)
	for _, m := range em {
		c.stats.Emitted++
		emit(Result[K, V]{Start: start, End: end, Key: outK[m.idx], Value: outV[m.idx]})
	}
	clear(outK)
	clear(outV)
	e.scratch, e.outKeys, e.outVals = em[:0], outK[:0], outV[:0]
	return minP
}

// pop pops the panes before lo off h's FIFO.
func (e *hopper[R, K, A, V]) pop(h *hkey[A], lo int64) {
	for h.head < h.in && h.panes[h.head].p < lo {
		if h.head == h.mid {
			e.turn(h)
		}
		h.head++
	}
}

// query returns the result of the panes in h's FIFO.
func (e *hopper[R, K, A, V]) query(h *hkey[A]) V {
	f := e.f
	switch {
	case h.head < h.mid && h.mid < h.in:
		var zero A
		e.tmp = zero
		f.Merge(&e.tmp, &h.panes[h.head].suf)
		f.Merge(&e.tmp, &h.back)
		return f.Result(&e.tmp)
	case h.head < h.mid:
		return f.Result(&h.panes[h.head].suf)
	}
	return f.Result(&h.back)
}

// sortEmits sorts em by seq, the order of first appearance. Sorting is the
// one cost of an emission that is more than constant per result, so it is a
// radix sort on the seq range of the window: a few linear passes.
func (e *hopper[R, K, A, V]) sortEmits(em []hemit) []hemit {
	if len(em) < 64 {
		slices.SortFunc(em, func(x, y hemit) int { return cmp.Compare(x.seq, y.seq) })
		return em
	}
	lo, hi := uint64(math.MaxUint64), uint64(0)
	for _, m := range em {
		lo, hi = min(lo, m.seq), max(hi, m.seq)
	}
	if cap(e.sortBuf) < len(em) {
		e.sortBuf = make([]hemit, len(em))
	}
	src, dst := em, e.sortBuf[:len(em)]
	var count [256]int
	for shift := uint(0); shift < 64 && (hi-lo)>>shift != 0; shift += 8 {
		count = [256]int{}
		for _, m := range src {
			count[byte((m.seq-lo)>>shift)]++
		}
		n := 0
		for i, c := range count {
			count[i] = n
			n += c
		}
		for _, m := range src {
			b := byte((m.seq - lo) >> shift)
			dst[count[b]] = m
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &em[0] {
		copy(em, src)
	}
	return em
}

// turn makes the back stack the front: each entry gets the merge of itself
// and every later one.
func (e *hopper[R, K, A, V]) turn(h *hkey[A]) {
	f := e.f
	var zero A
	for i := h.in - 1; i >= h.mid; i-- {
		q := &h.panes[i]
		q.suf = zero
		f.Merge(&q.suf, &q.acc)
		q.sufSeq = q.seq
		if i+1 < h.in {
			f.Merge(&q.suf, &h.panes[i+1].suf)
			q.sufSeq = min(q.sufSeq, h.panes[i+1].sufSeq)
		}
	}
	h.mid = h.in
	h.back = zero
	h.backSeq = math.MaxUint64
}

// rebuild recomputes the FIFO after a pane inside it changed.
func (e *hopper[R, K, A, V]) rebuild(h *hkey[A]) {
	h.mid = h.head
	e.turn(h)
	h.dirty = false
}

// compact moves the deque down when its dead prefix is at least a quarter
// of it and 16 panes, so the slice does not grow without bound. The dead
// prefix is then at most the larger of 16 panes and a third of the live ones,
// at an amortized copy of at most three panes per pane popped: sequential
// copies, which cost less than the cache misses of a deque that grows to
// twice its live panes (BenchmarkHop with 60 panes a window runs about
// 15% faster this way than compacting at half).
func (h *hkey[A]) compact() {
	if h.keep < 16 || h.keep < len(h.panes)/4 {
		return
	}
	n := copy(h.panes, h.panes[h.keep:])
	clear(h.panes[n:])
	h.panes = h.panes[:n]
	h.head -= h.keep
	h.mid -= h.keep
	h.in -= h.keep
	h.keep = 0
}

// reexpire applies a Lateness other than the one the panes were held
// under (after a restore): panes it no longer covers go now, and retain is
// recomputed.
func (e *hopper[R, K, A, V]) reexpire() {
	e.expire(e.c.wm)
	e.due = min(e.due, e.retain)
}

// expire drops held panes whose windows are past allowed lateness.
func (e *hopper[R, K, A, V]) expire(wm record.Time) {
	e.retain = record.MaxTime
	j := 0
	for _, ki := range e.active {
		if e.settle(ki, wm) {
			e.active[j] = ki
			j++
		}
	}
	e.active = e.active[:j]
}

// settle drops key ki's popped panes that no window held for allowed
// lateness needs at watermark wm, and the key when it holds no pane
// (returning false); otherwise it lowers retain to when its oldest held
// pane expires.
func (e *hopper[R, K, A, V]) settle(ki int32, wm record.Time) bool {
	c := e.c
	h := &e.ks[ki]
	for h.keep < h.head && addSat(e.lastEnd(h.panes[h.keep].p), c.lateness) <= wm {
		h.keep++
		e.panes--
	}
	if h.empty() {
		e.dropKey(ki)
		return false
	}
	h.compact()
	if h.keep < h.head && c.lateness > 0 {
		e.retain = min(e.retain, addSat(e.lastEnd(h.panes[h.keep].p), c.lateness))
	}
	return true
}

func (e *hopper[R, K, A, V]) fillStats(s *Stats) {
	s.OpenWindows = e.panes
	s.Keys = e.keys.len()
	var hp hpane[A]
	var hk hkey[A]
	b := e.keys.bytes() + int64(cap(e.ks))*int64(unsafe.Sizeof(hk)) + int64(cap(e.active))*4
	for i := range e.ks {
		b += int64(cap(e.ks[i].panes)) * int64(unsafe.Sizeof(hp))
	}
	if z, ok := e.f.(aggregate.Sizer[A]); ok {
		for i := range e.ks {
			b += e.ks[i].stateSize(z)
		}
	}
	s.StateBytes = b
}

// stateSize adds up what h's live accumulators hold behind pointers: the
// filling pane, every pane not yet expired, the suffix merges of the front
// stack and the back stack's running merge.
func (h *hkey[A]) stateSize(z aggregate.Sizer[A]) int64 {
	var n int64
	if h.hasCur {
		n += int64(z.StateSize(&h.cur.acc))
	}
	for j := h.keep; j < len(h.panes); j++ {
		n += int64(z.StateSize(&h.panes[j].acc))
	}
	for j := h.head; j < h.mid; j++ {
		n += int64(z.StateSize(&h.panes[j].suf))
	}
	if h.mid < h.in {
		n += int64(z.StateSize(&h.back))
	}
	return n
}

// raise records that a record at t was taken: a new largest time raises the
// automatic watermark, which emits what it closes once it reaches due.
func (e *hopper[R, K, A, V]) raise(t record.Time, emit func(Result[K, V])) {
	if nwm, ok := e.c.raise(t, e.due); ok {
		e.advance(nwm, emit)
	}
}
