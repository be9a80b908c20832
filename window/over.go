package window

import (
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// A Frame is the extent of a per-record window, the part of an SQL OVER
// clause after PARTITION BY: [Rows] n PRECEDING or [Range] d PRECEDING.
// The zero Frame is ROWS 0 PRECEDING, the current row alone.
type Frame struct {
	byTime bool
	n      int64 // ROWS n, or RANGE d in nanoseconds
}

// Rows returns the frame ROWS n PRECEDING: the current row and up to n rows
// of its partition before it, n+1 rows in all. n must be ≥ 0 ([NewOver]
// rejects a negative n).
func Rows(n int) Frame { return Frame{n: int64(n)} }

// Range returns the frame RANGE INTERVAL d PRECEDING: the rows of the current
// row's partition with event time in [t−d, t] that were processed before it,
// and the current row. The lower bound is inclusive. d must be ≥ 0 ([NewOver]
// rejects a negative d); Range(0) is allowed and covers the rows stamped with
// exactly the current row's time that came before it, as SQL's RANGE 0
// PRECEDING does.
func Range(d time.Duration) Frame { return Frame{byTime: true, n: int64(d)} }

// String returns the frame in SQL form, such as "ROWS 10 PRECEDING" or
// "RANGE INTERVAL '24h0m0s' PRECEDING".
func (f Frame) String() string {
	if f.byTime {
		return fmt.Sprintf("RANGE INTERVAL '%v' PRECEDING", time.Duration(f.n))
	}
	return fmt.Sprintf("ROWS %d PRECEDING", f.n)
}

// OverRow is the output of [Over] for one input record: the record and the
// aggregate over each of the operator's frames.
type OverRow[R record.Timed, V any] struct {
	Record R
	// Value is the aggregate over the first frame. It is the caller's to
	// keep.
	Value V
	// Values holds the aggregate over every frame, in the order the frames
	// were given to NewOver, so Values[0] == Value. The slice belongs to the
	// operator and is overwritten by its next output: read it inside emit,
	// and copy it (see Clone) to keep it.
	Values []V
}

// EventTime returns the record's event time, so an OverRow is a record for a
// downstream operator.
func (r OverRow[R, V]) EventTime() record.Time { return r.Record.EventTime() }

// Clone returns r with a Values slice of its own, safe to keep after emit
// returns.
func (r OverRow[R, V]) Clone() OverRow[R, V] {
	r.Values = append([]V(nil), r.Values...)
	return r
}

// Over is the per-record sliding-window operator, KDA's
//
//	SELECT STREAM *, AGG(x) OVER w FROM s
//	WINDOW w AS (PARTITION BY k RANGE INTERVAL 'd' PRECEDING)   -- or ROWS n PRECEDING
//
// For every record it emits one [OverRow]: the record and, for each of its
// frames, the aggregate over the frame's rows of the record's partition,
// the record included. Several frames over one stream are computed in one
// pass (KDA's "avg(price) OVER last2rows, avg(price) OVER last10rows"), and
// several aggregates over one frame are one aggregate over a struct
// (aggregate.Pair or a user type). Every frame computes the same aggregate;
// for MIN over one frame and AVG over another, give both frames
// aggregate.Pair(min, avg) and read the half each frame is for. A late
// record (below the watermark on arrival) is by default dropped and counted
// in Stats.Late, without a row: set Options.Late to receive each one, or a
// larger Options.Delay to wait for it.
//
// # Order, watermark and late records
//
// Records are processed in event-time order, and among equal times in
// arrival order: the first of two rows stamped equal does not see the second,
// while the second sees the first. The watermark is (largest time pushed) −
// Options.Delay, or a larger value given to Advance. A record that arrives
// with a time at or above the watermark waits in a reorder buffer until the
// watermark reaches it, and is then processed; with Delay 0 (the default) an
// in-order record never waits, and its row is emitted by the Push that took
// it. A record below the watermark on arrival is late: it is dropped and
// counted in Stats.Late, or handed to Options.Late. Options.Lateness has no
// meaning here, since a row, once emitted, is never revised: NewOver rejects
// a non-zero Lateness.
//
// Advance emits the rows of the buffered records that the new watermark
// releases. Flush emits the rows of every buffered record, then drops all
// window state (the end of input); the watermark becomes record.MaxTime, as
// after the Flush of every operator, and Push and Advance afterwards return
// record.ErrFlushed. Nothing is emitted when rows merely age out of a
// window.
//
// # Partitions and limits
//
// key gives each record's partition; [Unkeyed] puts every record in one
// partition (no PARTITION BY), and a nil key is refused with ErrInvalid.
// A partition is held from its first record on.
// When every frame is a RANGE frame, a partition whose rows have all fallen
// out of range of any record still to come (its last time < watermark − the
// largest d) is released; a ROWS frame keeps the last n rows of each
// partition until Flush. Options.MaxKeys bounds the partitions held, and
// Options.MaxWindows the (partition, frame) windows: a record of a new
// partition beyond either limit is refused with an error wrapping
// [ErrLimit], and the operator is unchanged. The reorder buffer is bounded by
// Delay times the input rate, not by a limit.
//
// # Cost
//
// When agg implements [aggregate.Remover] (Count, Sum, Avg, Var), each
// frame keeps one accumulator and subtracts the rows that leave it. When it
// implements [aggregate.Extreme] (Min, Max), each frame keeps a queue of
// candidate rows, none beaten by a later row of the window: a row drops the
// candidates it beats and joins, so it costs one call of agg and the
// comparisons with the rows it outdoes, O(1) amortized, and the window's
// result is its oldest candidate. Otherwise (First, Last, any mergeable
// Func) each frame keeps a two-stack FIFO aggregation: a back accumulator
// of the newest rows and the suffix aggregates of the oldest ones, rebuilt
// from the ring of rows once every window length; an output merges the
// two. Every way a record costs O(1) aggregate calls per frame, amortized,
// whatever the window length, and no allocation in steady state: rows live
// in a ring per partition, suffix aggregates and candidates in slices per
// frame, all reused. A rebuild of the suffix
// aggregates (a flip) costs one Add and one Merge per row of the window at
// once, so one Push in a window length carries that work: the cost is O(1)
// amortized, not in the worst case. An aggregate whose accumulator holds maps
// or slices allocates when accumulators are combined; one without references
// is cloned by assignment.
//
// Subtracting is exact only as far as the Remover undoes Add exactly:
// integer sums are exact, compensated float sums stay within rounding, and
// the built-in float aggregates count NaN and infinite inputs apart from the
// finite ones, so such a value stops affecting results once it leaves.
//
// A snapshot holds the rows of every window and the subtracted accumulators;
// Restore rebuilds the two-stack accumulators and the candidates from the
// rows, which gives back the same values when Add and Merge are
// deterministic, as aggregates are. Min and Max give the same results and
// the same snapshots either way: the value of the first row with the best
// value, a NaN being the best.
//
// An Over is not safe for concurrent use, and emit must not call back into
// the Over that is emitting.
type Over[R record.Timed, K comparable, V any] struct {
	shell[R, OverRow[R, V]]         // with an overOp, whose type has the accumulator's
	frames                  []Frame // the overOp's, for Frames
}

// overOp is the per-record operator over accumulators of type A.
type overOp[R record.Timed, K comparable, A, V any] struct {
	key      func(R) K
	agg      aggregate.Func[R, A, V]
	rm       aggregate.Remover[R, A] // nil: two-stack aggregation
	an       Analytic[R, A, V]       // non-nil: an analytic function, see analytic.go
	lookback uint64                  // rows an analytic function reads before its frame
	frames   []Frame
	// expireAfter is the largest RANGE d when every frame is a RANGE frame,
	// or -1: partitions are then never released before Flush.
	expireAfter record.Time

	st   overState[R, K, A]
	vals []V // the Values buffer of the OverRow being emitted
	tmp  A   // scratch accumulator for two-stack outputs
	// copyA: an A holds no references, so assigning one clones it.
	// clearR: an R holds references, so a ring slot a row leaves is zeroed
	// to let the garbage collector have what it points to.
	copyA, clearR bool
	// two: the windows aggregate on two stacks (no Remover, no analytic
	// function, not an aggregate.Extreme).
	two bool
	// ext: agg is an aggregate.Extreme, so each window keeps a queue of
	// candidates (see overWin) through these funcs.
	ext  bool
	cand func(q []A, head int, r R) ([]A, V)

	// c holds the settings, watermark, flushed flag and stats that every
	// operator of the package keeps (Lateness is always 0 here).
	c *core[R]
}

var _ record.Operator[record.Time, OverRow[record.Time, int]] = (*Over[record.Time, int, int])(nil)

// overState is the windows a snapshot holds, so Restore can build it
// apart, with a core, and swap both in whole.
type overState[R any, K comparable, A any] struct {
	seq uint64 // arrival counter, orders equal times in the buffer

	keys keyTable[K] // key → partition id (key nil: the zero key, the one partition)
	one  int32       // the partition when key is nil, or -1
	// The key of the last record found in keys and its partition (lastP <
	// 0: none), so that runs of one key skip the table.
	lastK K
	lastP int32
	parts []overPart[R, A] // partitions by id; a released one is kept for reuse
	pseq  uint64           // rows processed, numbering them for overPart.seq
	lru   idList           // with expiry only: the partitions with rows, least recently processed first
	buf   reorder[R]       // the records waiting for the watermark
}

// overPart is one partition: its recent rows in a ring, and one window per
// frame over them.
type overPart[R, A any] struct {
	rows       []R           // ring; len is a power of two
	states     []A           // analytic functions only: running state per row, a ring like rows
	times      []record.Time // the rows' event times, a ring of the same size, read without a method call
	head, tail uint64        // absolute positions of the rows held: [head, tail)
	win        []overWin[A]
	pending    int    // records of this partition in the reorder buffer
	seq        uint64 // number of the partition's last row processed
}

// overWin is one frame's window over a partition's rows: [start, tail).
//
// With a Remover, acc aggregates the whole window. Otherwise the window is
// split at mid: acc aggregates the back rows [mid, tail), and front[i]
// aggregates rows [mid−1−i, mid), so front[len(front)−1] covers the front
// rows [start, mid) and len(front) == mid − start. Evicting the oldest row
// pops front; when front is empty it is rebuilt from the rows (a flip).
//
// With an aggregate.Extreme, front[qh:] are instead the window's
// candidates: accumulators of one row each, of the rows at qpos[qh:], each
// one not beaten by any later row of the window, so front[qh] holds the
// window's result. A row drops the candidates it beats from the back and
// joins; candidates leave the front with their rows. mid then moves as the
// two stacks' would, for snapshots, which hold it.
type overWin[A any] struct {
	start uint64
	mid   uint64
	acc   A
	front []A
	qpos  []uint64
	qh    int
}

// NewOver returns a per-record sliding-window operator computing agg over
// each of frames (at least one) for every record, per partition given by key.
// A nil opts means the defaults. NewOver returns an error wrapping
// [ErrInvalid] for a nil key or agg, no frames, a negative ROWS n or RANGE d, a
// negative Delay or limit, or a non-zero Lateness.
func NewOver[R record.Timed, K comparable, A, V any](key func(R) K, agg aggregate.Func[R, A, V], opts *Options[R], frames ...Frame) (*Over[R, K, V], error) {
	if key == nil {
		return nil, fmt.Errorf("%w: nil key function (use Unkeyed for one partition)", ErrInvalid)
	}
	if agg == nil {
		return nil, fmt.Errorf("%w: nil aggregate", ErrInvalid)
	}
	if _, unkeyed := any(*new(K)).(NoKey); unkeyed {
		key = nil // one partition, found without a map
	}
	if len(frames) == 0 {
		return nil, fmt.Errorf("%w: Over needs at least one frame", ErrInvalid)
	}
	c, err := newCore(opts)
	if err != nil {
		return nil, err
	}
	if c.lateness != 0 {
		return nil, fmt.Errorf("%w: Over has no allowed lateness (a row is never revised); use Delay for out-of-order input", ErrInvalid)
	}
	op := &overOp[R, K, A, V]{
		key:    key,
		agg:    agg,
		frames: append([]Frame(nil), frames...),
		vals:   make([]V, len(frames)),
		c:      &c,
	}
	for _, f := range frames {
		if f.n < 0 {
			return nil, fmt.Errorf("%w: %v: negative extent", ErrInvalid, f)
		}
		switch {
		case !f.byTime:
			op.expireAfter = -1
		case op.expireAfter >= 0 && record.Time(f.n) > op.expireAfter:
			op.expireAfter = record.Time(f.n)
		}
	}
	op.rm, _ = agg.(aggregate.Remover[R, A])
	if an, ok := agg.(Analytic[R, A, V]); ok {
		if v, ok := agg.(interface{ invalid() error }); ok && v.invalid() != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, v.invalid())
		}
		op.an, op.rm = an, nil
		if n := an.Lookback(); n > 0 {
			op.lookback = uint64(n)
			op.expireAfter = -1 // a partition's rows are read however old
		}
	}
	op.two = op.rm == nil && op.an == nil
	if e, ok := agg.(aggregate.Extreme[R, A, V]); ok && op.two {
		op.two, op.ext = false, true
		op.cand = e.Candidates()
	}
	op.copyA = !overRefs(reflect.TypeFor[A](), false)
	op.clearR = overRefs(reflect.TypeFor[R](), true)
	op.st.reset()
	return &Over[R, K, V]{shell: newShell(&c, engine[R, OverRow[R, V]](op), "Over", flushedErr(), basicCore), frames: op.frames}, nil
}

func (s *overState[R, K, A]) reset() {
	*s = overState[R, K, A]{
		seq:   s.seq,
		keys:  newKeyTable[K](),
		one:   -1,
		lastP: -1,
		lru:   newIDList(),
		buf:   s.buf[:0],
	}
}

// push takes one record (see Over.Push).
func (op *overOp[R, K, A, V]) push(emit func(OverRow[R, V]), r R) error {
	s, c := &op.st, op.c
	if c.flushed {
		return c.flushedErr
	}
	t := r.EventTime()
	var p int32
	var k K
	var ok bool
	if op.key == nil {
		p, ok = s.one, s.one >= 0
	} else {
		k = keyOf(op.key, r)
		if p, ok = s.lastP, s.lastP >= 0; !ok || k != s.lastK {
			if s.keys.idx.ints { // keys.get, written out to inline the table's lookup
				p, ok = s.keys.idx.tab.get(bitsOf(k))
			} else {
				p, ok = s.keys.idx.m[k]
			}
			if !ok && k != k {
				return keyErr(k)
			}
			if ok {
				s.lastK, s.lastP = k, p
			}
		}
	}
	if t < c.wm {
		c.stats.Records++
		c.handleLate(r, func() error {
			return fmt.Errorf("%w: time %s is below the watermark %s", ErrLate, t, c.wm)
		})
		return nil
	}
	if !ok {
		var err error
		if p, err = op.newPartition(k); err != nil {
			return err
		}
	}
	c.stats.Records++
	if wm, ok := c.raise(t, record.MinTime); ok {
		c.wm = wm // nothing waits on the watermark but the buffer, released below
	}
	if len(s.buf) == 0 && t <= c.wm {
		op.process(p, r, t, emit)
	} else {
		s.buf.push(pending[R]{r: r, t: t, seq: s.seq, key: p})
		s.seq++
		s.parts[p].pending++
		op.release(c.wm, emit)
	}
	if op.expireAfter >= 0 {
		op.expire()
	}
	return nil
}

// advance raises the watermark to wm and emits the rows of the buffered
// records it releases.
func (op *overOp[R, K, A, V]) advance(wm record.Time, emit func(OverRow[R, V])) {
	op.c.wm = wm
	op.release(wm, emit)
	op.expire()
}

// flush emits the rows of every buffered record, then drops the window
// state; the watermark moves up to the largest time pushed.
func (op *overOp[R, K, A, V]) flush(emit func(OverRow[R, V])) {
	c := op.c
	op.release(record.MaxTime, emit)
	c.wm = record.MaxTime
	op.st.reset()
}

// fillStats adds the windows, partitions and memory held (see Over.Stats).
func (op *overOp[R, K, A, V]) fillStats(st *Stats) {
	s := &op.st
	var zr R
	var za A
	bytes := int64(cap(s.buf)) * int64(unsafe.Sizeof(pending[R]{}))
	bytes += int64(cap(s.parts)) * int64(unsafe.Sizeof(overPart[R, A]{}))
	bytes += s.keys.bytes()
	for i := range s.parts {
		p := &s.parts[i]
		bytes += int64(cap(p.rows)) * int64(unsafe.Sizeof(zr)+8)
		bytes += int64(cap(p.states)) * int64(unsafe.Sizeof(za))
		bytes += int64(cap(p.win)) * int64(unsafe.Sizeof(overWin[A]{}))
		for j := range p.win {
			bytes += int64(cap(p.win[j].front))*int64(unsafe.Sizeof(za)) + int64(cap(p.win[j].qpos))*8
		}
	}
	// Memory the accumulators hold behind pointers. A released partition's
	// windows are zero with an empty front, so walking every partition
	// counts the live accumulators only.
	if z, ok := op.agg.(aggregate.Sizer[A]); ok {
		for i := range s.parts {
			for j := range s.parts[i].win {
				w := &s.parts[i].win[j]
				bytes += int64(z.StateSize(&w.acc))
				for k := range w.front {
					bytes += int64(z.StateSize(&w.front[k]))
				}
			}
		}
	}
	st.OpenWindows = s.keys.len() * len(op.frames)
	st.Keys = s.keys.len()
	st.StateBytes = bytes
}

// newPartition creates the partition of key k (any k when key is nil), if
// the limits allow.
func (op *overOp[R, K, A, V]) newPartition(k K) (int32, error) {
	s := &op.st
	nf := len(op.frames)
	if err := op.c.heldErr(s.keys.len(), 1, s.keys.len()*nf, nf, "partitions", "windows", "MaxWindows"); err != nil {
		return -1, err
	}
	return s.newPart(op.key == nil, k, len(op.frames)), nil
}

func (s *overState[R, K, A]) newPart(single bool, k K, nframes int) int32 {
	id := s.keys.insert(k)
	if int(id) == len(s.parts) {
		s.parts = append(s.parts, overPart[R, A]{})
	}
	p := &s.parts[id]
	if len(p.win) != nframes { // a new slot; a released one was reset by drop
		p.win = make([]overWin[A], nframes)
	}
	if single {
		s.one = id
	}
	return id
}

// release processes the buffered records with time ≤ wm, in (time, arrival)
// order.
func (op *overOp[R, K, A, V]) release(wm record.Time, emit func(OverRow[R, V])) {
	s := &op.st
	for len(s.buf) > 0 && s.buf[0].t <= wm {
		e := s.buf.pop()
		s.parts[e.key].pending--
		op.process(e.key, e.r, e.t, emit)
	}
}

// process runs one record, in time order, through every frame of its
// partition and emits its row.
func (op *overOp[R, K, A, V]) process(id int32, r R, t record.Time, emit func(OverRow[R, V])) {
	s := &op.st
	p := &s.parts[id]
	if p.tail-p.head == uint64(len(p.rows)) {
		p.grow()
	}
	mask := uint64(len(p.rows) - 1)
	p.rows[p.tail&mask] = r
	p.times[p.tail&mask] = t
	if op.an != nil {
		op.analyticState(p, mask, r)
	}
	p.tail++
	head := p.tail
	if op.an != nil { // keep the rows an analytic function reads before its frame
		head = p.tail - 1 - min(op.lookback, p.tail-1-p.head)
	}
	for i := range p.win {
		w := &p.win[i]
		f := op.frames[i]
		// Evict the rows that leave the window.
		if f.byTime {
			if lo, ok := lowBound(t, f.n); ok {
				for w.start < p.tail-1 && p.times[w.start&mask] < lo {
					op.evict(p, w, mask)
				}
			}
		} else {
			for p.tail-w.start > uint64(f.n)+1 {
				// evict does not inline: what a ROWS frame does for every
				// record is written out.
				if op.ext {
					w.leave(p.tail)
					continue
				}
				if op.two && w.start != w.mid { // the two-stack pop
					w.front = w.front[:len(w.front)-1]
					w.start++
					continue
				}
				op.evict(p, w, mask)
			}
		}
		switch {
		case op.an != nil:
			op.vals[i] = op.an.Value(FrameRows[R, A]{p: p, start: w.start})
		case op.ext:
			op.vals[i] = op.extPush(w, r, p.tail-1)
		default:
			op.agg.Add(&w.acc, r)
			op.vals[i] = op.result(w, p.tail)
		}
		head = min(head, w.start)
	}
	// Release the slots no window needs any more, so they are not kept alive.
	if op.clearR {
		var zero R
		for i := p.head; i < head; i++ {
			p.rows[i&mask] = zero
		}
	}
	p.head = head
	p.seq = s.pseq
	s.pseq++
	if op.expireAfter >= 0 {
		s.lru.moveBack(id)
	}
	op.c.stats.Emitted++
	emit(OverRow[R, V]{Record: r, Value: op.vals[0], Values: op.vals})
}

// leave takes the oldest row out of a window of candidates whose rows end
// at tail, moving mid as a two-stack window's flip would.
func (w *overWin[A]) leave(tail uint64) {
	if w.start == w.mid {
		w.mid = tail - 1
	}
	w.start++
}

// extPush makes the row r at pos a candidate of w, after the candidates of
// the rows that left w and those r beats, and returns w's result.
func (op *overOp[R, K, A, V]) extPush(w *overWin[A], r R, pos uint64) V {
	for w.qh < len(w.qpos) && w.qpos[w.qh] < w.start {
		var zero A
		w.front[w.qh] = zero
		w.qh++
	}
	if w.qh >= 16 && 2*w.qh >= len(w.qpos) { // compact the dead prefix
		n := copy(w.front, w.front[w.qh:])
		copy(w.qpos, w.qpos[w.qh:])
		clear(w.front[n:])
		w.front, w.qpos, w.qh = w.front[:n], w.qpos[:n], 0
	}
	var v V
	w.front, v = op.cand(w.front, w.qh, r)
	w.qpos = append(w.qpos[:len(w.front)-1], pos)
	return v
}

// evict takes the oldest row out of w. The newest row, at p.tail−1, is not
// in w.acc yet.
func (op *overOp[R, K, A, V]) evict(p *overPart[R, A], w *overWin[A], mask uint64) {
	if op.ext {
		w.leave(p.tail)
		return
	}
	if op.an != nil { // no accumulators; mid follows start, so a snapshot writes no front
		w.start++
		w.mid = w.start
		return
	}
	if op.rm != nil {
		op.rm.Remove(&w.acc, p.rows[w.start&mask])
		w.start++
		return
	}
	if w.start == w.mid {
		op.flip(p, w, p.tail-1)
	}
	w.front = w.front[:len(w.front)-1]
	w.start++
}

// flip moves the rows [w.start, end) into the front stack as suffix
// aggregates, and empties the back.
func (op *overOp[R, K, A, V]) flip(p *overPart[R, A], w *overWin[A], end uint64) {
	mask := uint64(len(p.rows) - 1)
	var zero A
	front := w.front[:0]
	for i := end; i > w.start; i-- {
		front = append(front, zero)
		a := &front[len(front)-1]
		op.agg.Add(a, p.rows[(i-1)&mask])
		if len(front) > 1 {
			op.agg.Merge(a, &front[len(front)-2])
		}
	}
	w.front = front
	w.mid = end
	w.acc = zero
}

// result is the aggregate over w, whose rows end at tail.
func (op *overOp[R, K, A, V]) result(w *overWin[A], tail uint64) V {
	if op.rm != nil || w.start == w.mid {
		return op.agg.Result(&w.acc)
	}
	top := &w.front[len(w.front)-1]
	if w.mid == tail {
		return op.agg.Result(top)
	}
	if op.copyA {
		op.tmp = *top
	} else { // a copy would share references with top: merge into an empty one
		var zero A
		op.tmp = zero
		op.agg.Merge(&op.tmp, top)
	}
	op.agg.Merge(&op.tmp, &w.acc)
	return op.agg.Result(&op.tmp)
}

// grow doubles the ring, keeping absolute positions.
func (p *overPart[R, A]) grow() {
	n := max(8, 2*len(p.rows))
	rows, times := make([]R, n), make([]record.Time, n)
	oldMask, newMask := uint64(len(p.rows)-1), uint64(n-1)
	for i := p.head; i < p.tail; i++ {
		rows[i&newMask] = p.rows[i&oldMask]
		times[i&newMask] = p.times[i&oldMask]
	}
	p.rows, p.times = rows, times
	if p.states != nil {
		states := make([]A, n)
		for i := p.head; i < p.tail; i++ {
			states[i&newMask] = p.states[i&oldMask]
		}
		p.states = states
	}
}

// expire releases the partitions whose rows are all out of range of any
// record still to come. Only operators whose frames are all RANGE frames do
// this: a ROWS frame needs its rows however old they are.
func (op *overOp[R, K, A, V]) expire() {
	if op.expireAfter < 0 {
		return
	}
	s := &op.st
	bound, ok := lowBound(op.c.wm, int64(op.expireAfter))
	if !ok {
		return // nothing is that old
	}
	for s.lru.first >= 0 {
		id := s.lru.first
		p := &s.parts[id]
		if p.pending > 0 || p.times[(p.tail-1)&uint64(len(p.times)-1)] >= bound {
			return
		}
		s.lru.unlink(id)
		op.drop(id)
	}
}

// drop releases partition id, keeping its buffers for reuse.
func (op *overOp[R, K, A, V]) drop(id int32) {
	s := &op.st
	p := &s.parts[id]
	if op.key == nil {
		s.one = -1
	}
	if s.lastP == id {
		var zero K
		s.lastK, s.lastP = zero, -1
	}
	s.keys.remove(id)
	clear(p.rows)
	clear(p.states)
	for i := range p.win {
		w := &p.win[i]
		clear(w.front)
		*w = overWin[A]{front: w.front[:0], qpos: w.qpos[:0]}
	}
	p.head, p.tail, p.pending = 0, 0, 0
}

// overRefs reports whether values of type t refer to memory outside
// themselves: pointers, slices, maps, channels, functions, interfaces, and
// strings when withStrings is set (a copied string shares its bytes, which
// is harmless for cloning since strings are immutable, but keeps them alive).
func overRefs(t reflect.Type, withStrings bool) bool {
	switch t.Kind() {
	case reflect.String:
		return withStrings
	case reflect.Array:
		return t.Len() > 0 && overRefs(t.Elem(), withStrings)
	case reflect.Struct:
		for i := range t.NumField() {
			if overRefs(t.Field(i).Type, withStrings) {
				return true
			}
		}
		return false
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func,
		reflect.Interface, reflect.UnsafePointer:
		return true
	}
	return false
}
