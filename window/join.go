package window

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"time"
	"unsafe"

	"github.com/rowtime/rowtime/record"
)

// JoinType says which rows a [Join] keeps when they find no match.
type JoinType uint8

// The join types: INNER emits matches only; LEFT OUTER also emits every
// left row that never matched, padded with none on the right, RIGHT OUTER
// the same for right rows, FULL OUTER both.
const (
	Inner JoinType = iota
	LeftOuter
	RightOuter
	FullOuter
)

// String returns the type in SQL form: "INNER", "LEFT OUTER", "RIGHT OUTER"
// or "FULL OUTER".
func (t JoinType) String() string {
	switch t {
	case Inner:
		return "INNER"
	case LeftOuter:
		return "LEFT OUTER"
	case RightOuter:
		return "RIGHT OUTER"
	case FullOuter:
		return "FULL OUTER"
	}
	return fmt.Sprintf("JoinType(%d)", uint8(t))
}

// preserves reports whether unmatched rows of side s (0 left, 1 right) are
// emitted.
func (t JoinType) preserves(s int) bool {
	if s == 0 {
		return t == LeftOuter || t == FullOuter
	}
	return t == RightOuter || t == FullOuter
}

// A JoinWindow says which rows of the two inputs of a [Join] meet: KDA's
// form, a window on one side or on both ([LeftWindow], [RightWindow],
// [BothWindows]), or Flink's interval form ([Interval]). The zero
// JoinWindow has no window on either side, which [NewJoin] rejects.
type JoinWindow struct {
	left, right joinHold
	interval    bool
	lower       time.Duration // interval form only
	upper       time.Duration
}

// joinHold is how one side keeps its rows. A held RANGE row at time t is
// matched by a later row of the other side at t' when t' − back ≤ t ≤
// t' − front, and expires once the watermark passes t + back. A ROWS side
// holds the last n+1 rows of each key. KDA's RANGE d is back d, front 0;
// the interval form sets both from its bounds.
type joinHold struct {
	kind  uint8 // joinNone, joinRows or joinRange
	n     int64 // ROWS n
	back  int64
	front int64
	frame Frame // as given, for String and checks
}

const (
	joinNone = iota
	joinRows
	joinRange
)

func holdOf(f Frame) joinHold {
	if f.byTime {
		return joinHold{kind: joinRange, back: f.n, frame: f}
	}
	return joinHold{kind: joinRows, n: f.n, frame: f}
}

// LeftWindow puts a window on the left input only, KDA's
//
//	FROM l OVER (RANGE INTERVAL 'd' PRECEDING) JOIN r ON …
//
// (or ROWS n PRECEDING): a right row joins the left rows of its key held in
// that window when it arrives; a left row joins nothing at its own arrival,
// since right rows are not held.
func LeftWindow(f Frame) JoinWindow { return JoinWindow{left: holdOf(f)} }

// RightWindow puts a window on the right input only; see [LeftWindow].
func RightWindow(f Frame) JoinWindow { return JoinWindow{right: holdOf(f)} }

// BothWindows puts a window on each input: a row joins the rows of the
// other side held in that side's window when it arrives, so a pair meets
// once, when its later row arrives, if the earlier row is still in its
// own side's window.
func BothWindows(left, right Frame) JoinWindow {
	return JoinWindow{left: holdOf(left), right: holdOf(right)}
}

// Interval is Flink's interval join: a left row at l and a right row at r
// of the same key meet when l + lower ≤ r ≤ l + upper, both bounds
// inclusive, whichever arrives first. lower may be negative; lower > upper
// is rejected by [NewJoin]. BothWindows(Range(a), Range(b)) is
// Interval(−b, a) except among rows with equal times: there KDA's form
// meets only a pair whose earlier-arriving row is held, the interval form
// meets every pair.
func Interval(lower, upper time.Duration) JoinWindow {
	w := JoinWindow{interval: true, lower: lower, upper: upper}
	// A left row is matched by right rows in [l+lower, l+upper]; those that
	// arrive after it are at ≥ l, so it is held for up to upper. A right
	// row likewise for up to −lower. A bound that leaves a side nothing to
	// wait for means the side is not held.
	if upper >= 0 {
		w.left = joinHold{kind: joinRange, back: int64(upper), front: max(int64(lower), 0)}
	}
	if lower <= 0 {
		w.right = joinHold{kind: joinRange, back: -int64(lower), front: max(-int64(upper), 0)}
	}
	return w
}

// String returns the window in words, such as "left RANGE INTERVAL '1m0s'
// PRECEDING, right none" or "interval [-5s, 10s]".
func (w JoinWindow) String() string {
	if w.interval {
		return fmt.Sprintf("interval [%v, %v]", w.lower, w.upper)
	}
	return "left " + w.left.String() + ", right " + w.right.String()
}

func (h joinHold) String() string {
	if h.kind == joinNone {
		return "none"
	}
	return h.frame.String()
}

// Either is one input row of a [Join]: a left row or a right row. The join
// is a record.Operator over Either, so an upstream operator can feed it
// both inputs, merged in arrival order; [FromLeft] and [FromRight] build
// one, and [Join.PushLeft] and [Join.PushRight] push one.
type Either[L, R record.Timed] struct {
	Left    L    // the row when IsRight is false
	Right   R    // the row when IsRight is true
	IsRight bool // which side the row is on
}

// FromLeft returns l as a left row.
func FromLeft[L, R record.Timed](l L) Either[L, R] { return Either[L, R]{Left: l} }

// FromRight returns r as a right row.
func FromRight[L, R record.Timed](r R) Either[L, R] { return Either[L, R]{Right: r, IsRight: true} }

// EventTime returns the time of the row it holds.
func (e Either[L, R]) EventTime() record.Time {
	if e.IsRight {
		return e.Right.EventTime()
	}
	return e.Left.EventTime()
}

// JoinOptions tunes a [Join]. A nil *JoinOptions means the defaults: no
// delay, a watermark per input, late rows dropped and counted, no limits.
// The zero JoinOptions is the same as nil.
type JoinOptions[L, R record.Timed] struct {
	// Delay is the bounded out-of-orderness of each input: an input's
	// watermark is the largest time seen on it less Delay, and the join's is
	// the smaller of the two. Must be ≥ 0.
	Delay time.Duration

	// OneClock says that both inputs are stamped from one clock, such as
	// KDA's ROWTIME (the arrival time) or a Kinesis arrival timestamp, so a
	// row of one input also bounds the other: the watermark is then the
	// largest time seen on either input less Delay. Without it, a quiet
	// input holds the join back until Advance.
	OneClock bool

	// Late, if set, receives every row that arrives below the watermark,
	// with an error wrapping [ErrLate]. Without it such rows are dropped and
	// counted in Stats.Late.
	Late func(in Either[L, R], err error)

	// RefuseLate makes Push refuse a late row instead: it returns an error
	// wrapping ErrLate and record.ErrRefused, and the join is unchanged
	// (the row is not counted, and Late is not called).
	RefuseLate bool

	// MaxKeys limits the distinct keys held, and MaxRows the rows held, in
	// windows and in the reorder buffer; 0 means no limit. A row that would
	// go beyond either is refused: Push returns an error wrapping [ErrLimit]
	// and record.ErrRefused, and the join is unchanged. The count is of what
	// is held before the row is taken: Advance (or Flush) to make room.
	MaxKeys int
	MaxRows int
}

// Join is the two-input windowed join, KDA's
//
//	SELECT STREAM … FROM orders AS o OVER (RANGE INTERVAL '1' MINUTE PRECEDING)
//	LEFT JOIN shipments AS s ON o.orderid = s.orderid
//
// and Flink's interval join. Rows of the left input (type L) and the right
// input (type R) meet when their keys are equal and the [JoinWindow] lets
// them; each match is emitted once, as result(&l, &r), and with an outer
// [JoinType] each preserved row that never matched is emitted once, as
// result(&l, nil) or result(nil, &r), when it can no longer match. The
// pointers are valid during the call only.
//
// A result is a record.Of whose Time is the later of the two rows' times
// for a match. An unmatched row of a side with a RANGE window (or the
// interval form) at time t is emitted when the watermark passes t plus its
// side's window length (for the interval form, upper for a left row and
// −lower for a right one), with that time; one of a side with a ROWS n
// window when it leaves the window, that is when the (n+1)-th later row of
// its side and key is taken, with that row's time (ROWS windows count per
// key); one of a side without a window at once, with its own time. Flush
// emits every unmatched row still held: RANGE rows with their expiry time,
// ROWS rows with the largest time seen (or emitted). Results come out in
// ascending time; among equal times, matches in the order of the row that
// completed them, a ROWS row evicted by a row before that row's matches,
// and RANGE expiries after the matches of their time.
//
// # Order, watermark and late rows
//
// Rows are processed in event-time order, both inputs merged, and among
// equal times in arrival order. Each input has a watermark, the largest
// time pushed on it less JoinOptions.Delay, and the join's is the smaller
// of the two, or a larger value given to Advance (with OneClock: the
// largest time on either input less Delay). A row at or above the watermark
// waits in a reorder buffer until the watermark reaches it; a row below it
// is late: dropped and counted in Stats.Late, handed to JoinOptions.Late,
// or refused. The watermark drops held rows for every key, so a key that
// never recurs holds no memory and does not delay its unmatched rows.
//
// # Cost
//
// A row costs one lookup in the key table the package's operators share,
// the matches it finds, and O(log b) for the reorder buffer of b rows when
// it waits there; nothing allocates per row in steady state beyond what
// result allocates. Rows live in a slab per side, linked per key and, for
// RANGE sides, in time order across keys for expiry. Integer keys handed
// out in order (sequence numbers, ids) are placed four to a cache line, so
// a window too large for the cache costs about one cache miss per four
// keys that come and per four that leave.
//
// A Join is not safe for concurrent use, and emit must not call back into
// the Join that is emitting.
type Join[L, R record.Timed, K comparable, O any] struct {
	shell[Either[L, R], record.Of[O]] // with a joinEng
	typ                               JoinType
	win                               JoinWindow
}

// joinEng is the join's engine: its settings, the row being processed and
// the state a snapshot holds.
type joinEng[L, R record.Timed, K comparable, O any] struct {
	typ        JoinType
	win        JoinWindow
	lkey       func(L) K
	rkey       func(R) K
	result     func(l *L, r *R) O
	flipped    func(r *R, l *L) O // result with the right row first
	oneClock   bool
	refuseLate bool
	clear      [2]bool // L, R holds references: clear the slots rows leave
	// c is the core every operator of the package keeps: Delay, the Late
	// callback, the limits (MaxRows as MaxWindows), the watermark, the
	// flushed flag and the stats; c.maxSeen is the larger of the inputs'.
	c *core[Either[L, R]]
	// curL and curR hold the row being processed, so that result gets a
	// pointer to it without the row escaping to the heap on every call.
	curL L
	curR R

	st joinState[L, R, K]
}

var _ record.Operator[Either[record.Of[int], record.Of[int]], record.Of[int]] = (*Join[record.Of[int], record.Of[int], int, int])(nil)

// joinState is everything a snapshot restores, built apart by Restore and
// swapped in whole.
type joinState[L, R record.Timed, K comparable] struct {
	maxL, maxR record.Time // largest time pushed on each input
	out        record.Time // largest result time emitted
	seq        uint64      // arrival counter, orders equal times in buf
	pseq       uint64      // processing counter, numbers held rows

	ids  keyTable[K] // key ↔ id, the index in keys
	keys []joinKey

	left  joinSide[L]
	right joinSide[R]
	// buf is the reorder buffer; an entry's key is the row's key id.
	buf reorder[Either[L, R]]
}

// joinKey is one key's held rows: per side a list through the side's slab,
// oldest first.
type joinKey struct {
	head, tail [2]int32
	count      [2]int32
	pending    int32 // rows of this key in the reorder buffer
}

// joinSide holds one input's rows in a slab, with a free list, and, for a
// RANGE side, a list across keys in processing order (which is time
// order, so its head expires first).
type joinSide[T any] struct {
	ents        []joinEnt[T]
	free        []int32
	first, last int32
	held        int
}

type joinEnt[T any] struct {
	row     T
	t       record.Time
	seq     uint64 // processing number
	key     int32
	next    int32 // in the key's list
	gnext   int32 // in the side's list across keys
	matched bool
}

// NewJoin returns a join of type typ over the window w, with the equality
// keys lkey and rkey and the result function result (see [Join]). A nil
// opts means the defaults. NewJoin returns an error wrapping [ErrInvalid]
// for an unknown type, nil functions, no window on either side, a negative
// ROWS n or RANGE d, an interval with lower > upper, or a negative Delay or
// limit.
func NewJoin[L, R record.Timed, K comparable, O any](typ JoinType, w JoinWindow, lkey func(L) K, rkey func(R) K, result func(l *L, r *R) O, opts *JoinOptions[L, R]) (*Join[L, R, K, O], error) {
	var o JoinOptions[L, R]
	if opts != nil {
		o = *opts
	}
	switch {
	case typ > FullOuter:
		return nil, fmt.Errorf("%w: unknown join type %v", ErrInvalid, typ)
	case lkey == nil || rkey == nil || result == nil:
		return nil, fmt.Errorf("%w: Join needs both key functions and a result function", ErrInvalid)
	case w.interval && w.lower > w.upper:
		return nil, fmt.Errorf("%w: interval lower bound %v above upper bound %v", ErrInvalid, w.lower, w.upper)
	case !w.interval && w.left.kind == joinNone && w.right.kind == joinNone:
		return nil, fmt.Errorf("%w: Join needs a window on at least one side", ErrInvalid)
	case w.left.n < 0 || w.left.back < 0 || w.right.n < 0 || w.right.back < 0:
		return nil, fmt.Errorf("%w: %v: negative extent", ErrInvalid, w)
	case o.Delay < 0:
		return nil, fmt.Errorf("%w: negative delay %v", ErrInvalid, o.Delay)
	case o.MaxKeys < 0 || o.MaxRows < 0:
		return nil, fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	c, err := newCore(&Options[Either[L, R]]{Delay: o.Delay, Late: o.Late, MaxKeys: o.MaxKeys, MaxWindows: o.MaxRows})
	if err != nil {
		return nil, err
	}
	j := &joinEng[L, R, K, O]{
		typ: typ, win: w, lkey: lkey, rkey: rkey, result: result,
		flipped:  func(r *R, l *L) O { return result(l, r) },
		oneClock: o.OneClock, refuseLate: o.RefuseLate, c: &c,
		clear: [2]bool{overRefs(reflect.TypeFor[L](), true), overRefs(reflect.TypeFor[R](), true)},
	}
	j.st.init()
	var e engine[Either[L, R], record.Of[O]] = j
	return &Join[L, R, K, O]{shell: newShell(&c, e, "Join", joinFlushedErr(), ownCore), typ: typ, win: w}, nil
}

func (s *joinState[L, R, K]) init() {
	s.ids = newArrivalKeyTable[K]()
	s.maxL, s.maxR, s.out = record.MinTime, record.MinTime, record.MinTime
	s.left.first, s.left.last = -1, -1
	s.right.first, s.right.last = -1, -1
}

// Type returns the join's type.
func (j *Join[L, R, K, O]) Type() JoinType { return j.typ }

// Window returns the join's window.
func (j *Join[L, R, K, O]) Window() JoinWindow { return j.win }

// PushLeft pushes a left row; see [Join.Push].
func (j *Join[L, R, K, O]) PushLeft(l L, emit func(record.Of[O])) error {
	return j.Push(Either[L, R]{Left: l}, emit)
}

// PushRight pushes a right row; see [Join.Push].
func (j *Join[L, R, K, O]) PushRight(r R, emit func(record.Of[O])) error {
	return j.Push(Either[L, R]{Right: r, IsRight: true}, emit)
}

// Push takes one row and emits what it completes: with Delay 0 and input in
// order, its matches and, for a row of a side without a window that found
// none, its unmatched result, at once; else those of the buffered rows the
// raised watermark releases, in time order, with the unmatched rows that
// expire before them. A late row is dropped or handed to JoinOptions.Late
// (Push returns nil), or refused with JoinOptions.RefuseLate. A row beyond
// a limit is refused with an error wrapping ErrLimit. After Flush, Push
// returns record.ErrFlushed. A nil emit discards the results.
func (j *Join[L, R, K, O]) Push(in Either[L, R], emit func(record.Of[O])) error {
	// The engine's type follows from the Join's, unlike Agg's and Over's,
	// so Push calls it directly: a type check instead of an interface call,
	// and 5–10% less per row in BenchmarkJoin.
	return j.eng.(*joinEng[L, R, K, O]).pushRow(in, j.or(emit))
}

// Advance raises the watermark to wm (a smaller wm changes nothing) and
// emits what that completes: the rows buffered at or below wm, and the
// unmatched rows that can no longer match, in time order. After Flush it
// returns record.ErrFlushed.
func (j *Join[L, R, K, O]) Advance(wm record.Time, emit func(record.Of[O])) error {
	return j.advance(wm, emit)
}

// Flush ends the input: it processes every buffered row, emits every
// unmatched row of a preserved side still held, in time order, and drops
// all state. Stats counters are kept and the watermark moves up to the
// largest time pushed. Later calls of Push and Advance return
// record.ErrFlushed; a second Flush does nothing.
func (j *Join[L, R, K, O]) Flush(emit func(record.Of[O])) error { return j.flush(emit) }

// Stats reports what the join has seen and holds. OpenWindows counts the
// rows held in windows, Keys the keys held; StateBytes estimates the slabs,
// key table and reorder buffer. It walks nothing per row, but call it per
// batch all the same.
func (j *Join[L, R, K, O]) Stats() Stats { return j.stats() }

func (j *joinEng[L, R, K, O]) push(emit func(record.Of[O]), r Either[L, R]) error {
	return j.pushRow(r, emit)
}

// pushRow takes one row (see Join.Push).
func (j *joinEng[L, R, K, O]) pushRow(in Either[L, R], emit func(record.Of[O])) error {
	s, c := &j.st, j.c
	if c.flushed {
		return c.flushedErr
	}
	t := in.EventTime()
	if t < c.wm {
		why := func() error {
			return fmt.Errorf("%w: %s row at %s is below the watermark %s", ErrLate, joinSideName(in.IsRight), t, c.wm)
		}
		if j.refuseLate {
			return refused(why())
		}
		c.stats.Records++
		c.handleLate(in, why)
		return nil
	}
	var k K
	if in.IsRight {
		k = keyOf(j.rkey, in.Right)
	} else {
		k = keyOf(j.lkey, in.Left)
	}
	id, ok := s.ids.getArrival(k)
	if c.limited() { // as in the other engines: heldErr is a call, not inlined
		if err := c.heldErr(s.ids.len(), b2i(!ok), s.left.held+s.right.held+len(s.buf), 1, "keys", "rows", "MaxRows"); err != nil {
			return refused(err)
		}
	}
	if !ok {
		id = s.newKey(k)
	}
	c.stats.Records++
	if in.IsRight {
		s.maxR = max(s.maxR, t)
	} else {
		s.maxL = max(s.maxL, t)
	}
	c.maxSeen = max(c.maxSeen, t)
	// The watermark of two inputs is the smaller of theirs, or with one
	// clock the larger: each is the input's largest time less Delay.
	m := min(s.maxL, s.maxR)
	if j.oneClock {
		m = c.maxSeen
	}
	c.wm = max(c.wm, c.watermarkFor(m))
	if len(s.buf) == 0 && t <= c.wm {
		// What expires before the row's matches; the row's key is kept
		// meanwhile, as for a buffered row.
		s.keys[id].pending++
		j.expire(t, emit)
		s.keys[id].pending--
		j.process(in, t, id, emit)
	} else {
		s.keys[id].pending++
		s.buf.push(pending[Either[L, R]]{r: in, t: t, seq: s.seq, key: id})
		s.seq++
	}
	j.release(emit)
	return nil
}

// advance raises the watermark to wm and emits what that completes.
func (j *joinEng[L, R, K, O]) advance(wm record.Time, emit func(record.Of[O])) {
	j.c.wm = wm
	j.release(emit)
}

// flush processes every buffered row, emits every unmatched row of a
// preserved side still held, in time order, and drops all state.
func (j *joinEng[L, R, K, O]) flush(emit func(record.Of[O])) {
	s, c := &j.st, j.c
	c.wm = record.MaxTime
	j.release(emit)
	// What is left: RANGE rows whose expiry saturates, and ROWS rows.
	type rest struct {
		t     record.Time
		seq   uint64
		right bool
		i     int32
	}
	var all []rest
	end := max(s.out, c.maxSeen)
	collect := func(right bool, hold joinHold, ents int, get func(i int) (record.Time, uint64, bool, bool)) {
		if !j.typ.preserves(b2i(right)) {
			return
		}
		for i := range ents {
			t, seq, live, matched := get(i)
			if !live || matched {
				continue
			}
			at := end
			if hold.kind == joinRange {
				at = max(addSat(t, hold.back), end)
			}
			all = append(all, rest{at, seq, right, int32(i)})
		}
	}
	collect(false, j.win.left, len(s.left.ents), func(i int) (record.Time, uint64, bool, bool) {
		e := &s.left.ents[i]
		return e.t, e.seq, e.key >= 0, e.matched
	})
	collect(true, j.win.right, len(s.right.ents), func(i int) (record.Time, uint64, bool, bool) {
		e := &s.right.ents[i]
		return e.t, e.seq, e.key >= 0, e.matched
	})
	slices.SortFunc(all, func(a, b rest) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	for _, x := range all {
		if x.right {
			j.emitRow(nil, &s.right.ents[x.i].row, x.t, emit)
		} else {
			j.emitRow(&s.left.ents[x.i].row, nil, x.t, emit)
		}
	}
	maxL, maxR, out := s.maxL, s.maxR, s.out
	buf := s.buf[:0]
	*s = joinState[L, R, K]{}
	s.buf = buf
	s.init()
	s.maxL, s.maxR, s.out = maxL, maxR, out
	c.wm = record.MaxTime // as after the Flush of every operator
}

// fillStats adds the rows and keys held and their memory (see Join.Stats).
func (j *joinEng[L, R, K, O]) fillStats(st *Stats) {
	s := &j.st
	bytes := int64(cap(s.left.ents))*int64(unsafe.Sizeof(joinEnt[L]{})) +
		int64(cap(s.right.ents))*int64(unsafe.Sizeof(joinEnt[R]{})) +
		int64(cap(s.left.free)+cap(s.right.free))*4 +
		int64(cap(s.keys))*int64(unsafe.Sizeof(joinKey{})) + s.ids.bytes() +
		int64(cap(s.buf))*int64(unsafe.Sizeof(pending[Either[L, R]]{}))
	st.OpenWindows = s.left.held + s.right.held
	st.Keys = s.ids.len()
	st.StateBytes = bytes
}

func (s *joinState[L, R, K]) newKey(k K) int32 {
	id := s.ids.insert(k)
	if int(id) == len(s.keys) {
		s.keys = append(s.keys, joinKey{})
	}
	s.keys[id] = joinKey{head: [2]int32{-1, -1}, tail: [2]int32{-1, -1}}
	return id
}

// releaseKey frees key id when it holds nothing.
func (s *joinState[L, R, K]) releaseKey(id int32) {
	kk := &s.keys[id]
	if kk.count[0] != 0 || kk.count[1] != 0 || kk.pending != 0 {
		return
	}
	s.ids.remove(id)
}

// release processes the buffered rows at or below the watermark and
// expires held rows, interleaved in time order: an expiry at e comes after
// the rows at e, whose matches it may still be part of.
func (j *joinEng[L, R, K, O]) release(emit func(record.Of[O])) {
	s := &j.st
	for len(s.buf) > 0 && s.buf[0].t <= j.c.wm {
		j.expire(s.buf[0].t, emit)
		p := s.buf.pop()
		s.keys[p.key].pending--
		j.process(p.r, p.t, p.key, emit)
	}
	j.expire(j.c.wm, emit)
}

// expire drops the RANGE rows of both sides whose expiry is below before
// (and below the watermark), in time order, emitting the unmatched ones of
// a preserved side.
func (j *joinEng[L, R, K, O]) expire(before record.Time, emit func(record.Of[O])) {
	s := &j.st
	before = min(before, j.c.wm)
	for {
		el, okL := sideExpiry(&s.left, &j.win.left)
		er, okR := sideExpiry(&s.right, &j.win.right)
		okL = okL && el < before
		okR = okR && er < before
		switch {
		case okL && (!okR || el < er || (el == er && s.left.ents[s.left.first].seq < s.right.ents[s.right.first].seq)):
			i := s.left.first
			e := &s.left.ents[i]
			if !e.matched && j.typ.preserves(0) {
				j.emitRow(&e.row, nil, el, emit)
			}
			s.left.first = e.gnext
			if s.left.first < 0 {
				s.left.last = -1
			}
			unlinkHead(s, &s.left, 0, i, j.clear[0])
		case okR:
			i := s.right.first
			e := &s.right.ents[i]
			if !e.matched && j.typ.preserves(1) {
				j.emitRow(nil, &e.row, er, emit)
			}
			s.right.first = e.gnext
			if s.right.first < 0 {
				s.right.last = -1
			}
			unlinkHead(s, &s.right, 1, i, j.clear[1])
		default:
			return
		}
	}
}

// sideExpiry returns the expiry time of side's oldest RANGE row.
func sideExpiry[T any](side *joinSide[T], h *joinHold) (record.Time, bool) {
	if h.kind != joinRange || side.first < 0 {
		return 0, false
	}
	return addSat(side.ents[side.first].t, h.back), true
}

// unlinkHead removes entry i, the oldest row of its key on side sd, from
// its key's list and frees it.
func unlinkHead[L, R record.Timed, K comparable, T any](s *joinState[L, R, K], side *joinSide[T], sd int, i int32, clearRow bool) {
	e := &side.ents[i]
	kk := &s.keys[e.key]
	kk.head[sd] = e.next
	if e.next < 0 {
		kk.tail[sd] = -1
	}
	kk.count[sd]--
	id := e.key
	if clearRow {
		var zero T
		e.row = zero
	}
	e.key, e.next, e.gnext, e.matched = -1, -1, -1, false
	side.free = append(side.free, i)
	side.held--
	s.releaseKey(id)
}

// hold appends a row to side sd's lists and returns its slab index.
func hold[L, R record.Timed, K comparable, T any](s *joinState[L, R, K], side *joinSide[T], sd int, h *joinHold, row *T, t record.Time, id int32, matched bool) int32 {
	i := alloc(&side.ents, &side.free)
	side.ents[i] = joinEnt[T]{row: *row, t: t, seq: s.pseq, key: id, next: -1, gnext: -1, matched: matched}
	s.pseq++
	kk := &s.keys[id]
	if kk.tail[sd] >= 0 {
		side.ents[kk.tail[sd]].next = i
	} else {
		kk.head[sd] = i
	}
	kk.tail[sd] = i
	kk.count[sd]++
	if h.kind == joinRange {
		if side.last >= 0 {
			side.ents[side.last].gnext = i
		} else {
			side.first = i
		}
		side.last = i
	}
	side.held++
	return i
}

// process runs one row, in time order: it evicts the row its ROWS window
// pushes out, joins the held rows of the other side, and holds the row or
// emits it unmatched. processRow is that for either side, given the
// result function with its own side's row first.
func (j *joinEng[L, R, K, O]) process(in Either[L, R], t record.Time, id int32, emit func(record.Of[O])) {
	if in.IsRight {
		j.curR = in.Right
		processRow(j, &j.st.right, &j.st.left, 1, &j.curR, t, id, j.flipped, emit)
	} else {
		j.curL = in.Left
		processRow(j, &j.st.left, &j.st.right, 0, &j.curL, t, id, j.result, emit)
	}
}

// processRow is process for the row *cur at t of side sd (0 left, 1 right)
// and key id, whose rows are own, the other side's other; pair is the
// result function with the row of own first. The row's key is kept while
// the row its ROWS window pushes out leaves.
func processRow[L, R record.Timed, K comparable, O, T, U any](j *joinEng[L, R, K, O], own *joinSide[T], other *joinSide[U], sd int, cur *T, t record.Time, id int32, pair func(*T, *U) O, emit func(record.Of[O])) {
	s := &j.st
	ownH, otherH := &j.win.left, &j.win.right
	if sd == 1 {
		ownH, otherH = otherH, ownH
	}
	clearRow := j.clear[sd]
	s.keys[id].pending++
	if i := s.evictee(sd, ownH, id); i >= 0 {
		if e := &own.ents[i]; !e.matched && j.typ.preserves(sd) {
			j.emitOut(pair(&e.row, nil), t, emit)
		}
		unlinkHead(s, own, sd, i, clearRow)
	}
	matched := false
	if h := otherH; h.kind != joinNone {
		lo, hi := subSat(t, h.back), subSat(t, h.front)
		for i := s.keys[id].head[1-sd]; i >= 0; {
			e := &other.ents[i]
			i = e.next
			if h.kind == joinRange && (e.t < lo || e.t > hi) {
				continue
			}
			e.matched, matched = true, true
			j.emitOut(pair(cur, &e.row), t, emit)
		}
	}
	if ownH.kind != joinNone {
		hold(s, own, sd, ownH, cur, t, id, matched)
	} else if !matched && j.typ.preserves(sd) {
		j.emitOut(pair(cur, nil), t, emit)
	}
	if clearRow {
		var zero T
		*cur = zero
	}
	s.keys[id].pending--
	s.releaseKey(id)
}

// evictee returns the row a ROWS n window of side sd pushes out to make
// room for one more row of key id, or -1.
func (s *joinState[L, R, K]) evictee(sd int, h *joinHold, id int32) int32 {
	if h.kind != joinRows || int64(s.keys[id].count[sd]) <= h.n {
		return -1
	}
	return s.keys[id].head[sd]
}

func (j *joinEng[L, R, K, O]) emitRow(l *L, r *R, t record.Time, emit func(record.Of[O])) {
	j.emitOut(j.result(l, r), t, emit)
}

// emitOut emits the result o at t.
func (j *joinEng[L, R, K, O]) emitOut(o O, t record.Time, emit func(record.Of[O])) {
	j.c.stats.Emitted++
	j.st.out = max(j.st.out, t)
	emit(record.Of[O]{Time: t, Value: o})
}

func joinFlushedErr() error {
	return fmt.Errorf("window: Join: %w", record.ErrFlushed)
}

func joinSideName(right bool) string {
	if right {
		return "right"
	}
	return "left"
}

// rowRefusal is an error that refuses a row, leaving the join unchanged: it
// wraps both its cause and record.ErrRefused, and says so to
// record.IsRefused.
type rowRefusal struct{ err error }

func refused(err error) error { return &rowRefusal{err} }

func (e *rowRefusal) Error() string   { return e.err.Error() + " (refused)" }
func (e *rowRefusal) Unwrap() []error { return []error{e.err, record.ErrRefused} }
func (e *rowRefusal) Refused() bool   { return true }
