package window

import (
	"fmt"
	"unsafe"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// Agg is the keyed windowed-aggregation operator built by [Aggregate]: it
// groups records by key and window and emits one [Result] per (key, window)
// when the watermark passes the window's end. It implements
// record.Operator[R, Result[K, V]]. A late record (one whose windows have
// all been emitted; for session and stagger windows, one below the
// watermark) is by default dropped and counted in Stats.Late: set
// Options.Late to receive each one with the reason, or Options.Lateness to
// keep emitted windows open for it and re-emit them updated.
//
// An Agg is not safe for concurrent use, and emit must not call back into
// the Agg that is emitting.
type Agg[R record.Timed, K comparable, V any] struct {
	shell[R, Result[K, V]] // with the engine of the assigner's kind of window
	w                      Assigner
}

var _ record.Operator[record.Time, Result[int, int]] = (*Agg[record.Time, int, int])(nil)

// Aggregate returns the operator that computes f over the records of each key
// (given by key) in each window of w, KDA's
//
//	SELECT STREAM key, f(...) FROM s GROUP BY key, STEP(ROWTIME BY INTERVAL ...)
//
// A nil opts means the defaults (see [Options]). Aggregate returns an error
// wrapping [ErrInvalid] when w carries an error (see [Assigner]), key or f is
// nil, or opts holds a negative Delay, Lateness or limit.
//
// Results of windows that close together come out ordered by End, then (for
// the windows of one End) by Start, then by the order in which each key
// first appeared in its window. Output is deterministic for a given input
// order.
//
// When K has size zero ([NoKey] or struct{}, for a query without GROUP
// BY), key is not called (see the package doc on keys).
func Aggregate[R record.Timed, K comparable, A, V any](w Assigner, key func(R) K, f aggregate.Func[R, A, V], opts *Options[R]) (*Agg[R, K, V], error) {
	if err := w.Err(); err != nil {
		return nil, err
	}
	if key == nil {
		return nil, fmt.Errorf("%w: nil key function", ErrInvalid)
	}
	if f == nil {
		return nil, fmt.Errorf("%w: nil aggregate", ErrInvalid)
	}
	c, err := newCore(opts)
	if err != nil {
		return nil, err
	}
	k := kernel[R, K, A, V]{c: &c, w: w, key: key, f: f}
	var e engine[R, Result[K, V]]
	switch w.kind {
	case kindStep, kindMonths, kindFloorIn:
		e = newTumbler(k)
	case kindHop:
		e = newHopper(k)
	default:
		e = newSequencer(k)
	}
	return &Agg[R, K, V]{w: w, shell: newShell(&c, e, "", flushedErr(), aggCore)}, nil
}

// Push takes one record. It returns an error wrapping [ErrOverflow] when a
// bound of a window of the record is outside the range of record.Time, and
// one wrapping [ErrLimit] when holding the record would exceed
// Options.MaxWindows or Options.MaxKeys, and one wrapping [ErrKey] when its
// key is not equal to itself (a float NaN, or a struct or array holding
// one); all of them wrap record.ErrRefused: the record is not taken and the
// operator is unchanged. A late record is taken (and counted) and
// handled as [Options] says; Push returns nil for it. After Flush, Push
// returns record.ErrFlushed. A nil emit discards the results.
//
// A record whose time raises the automatic watermark (time − Delay) emits the
// windows that watermark completes.
func (a *Agg[R, K, V]) Push(r R, emit func(Result[K, V])) error {
	if emit == nil { // written out, not a shell method: see shell
		emit = a.none
	}
	return a.eng.push(emit, r)
}

// Advance moves the watermark to wm, if that is later than the current one,
// and emits every window that ends at or before it. It fails only after
// Flush, with record.ErrFlushed. A nil emit discards the results.
func (a *Agg[R, K, V]) Advance(wm record.Time, emit func(Result[K, V])) error {
	return a.advance(wm, emit)
}

// Flush marks the end of input: it emits every open window and drops all
// state, as Advance(record.MaxTime) would. Push and Advance afterwards
// return record.ErrFlushed (a caller that means to close a batch, not the
// input, calls Advance); a second Flush does nothing. A nil emit discards
// the results.
func (a *Agg[R, K, V]) Flush(emit func(Result[K, V])) error { return a.flush(emit) }

// flushWindows is the flush of Agg's engines: every window is emitted, as
// at the watermark record.MaxTime, and the engine forgets its cached window.
func flushWindows[R, V any](e interface {
	advance(record.Time, func(V))
	uncache()
}, c *core[R], emit func(V)) {
	if c.wm < record.MaxTime {
		e.advance(record.MaxTime, emit)
	}
	e.uncache()
}

// orDiscard returns emit, or discard for a nil one.
func orDiscard[T any](emit func(T)) func(T) {
	if emit == nil {
		return discard[T]
	}
	return emit
}

func keyErr[K any](k K) error {
	return fmt.Errorf("%w: %v", ErrKey, k)
}

func flushedErr() error {
	return fmt.Errorf("window: %w", record.ErrFlushed)
}

// Stats returns what the operator has seen and holds.
func (a *Agg[R, K, V]) Stats() Stats { return a.stats() }

// Assigner returns the operator's window assigner.
func (a *Agg[R, K, V]) Assigner() Assigner { return a.w }

// kernel is what every engine is built with: the core it shares with its
// Agg, the key function, the aggregate and the assigner (in the order in
// which a record's path reads them).
type kernel[R record.Timed, K comparable, A, V any] struct {
	c   *core[R]
	key func(R) K
	f   aggregate.Func[R, A, V]
	w   Assigner
}

// keyFor returns r's key, as keyOf does. It is keyOf written out: the
// generic keyOf, even inlined, loads its dictionary from the engine's on
// every record, which cost Nexmark q=7 a tenth of its time.
func (k *kernel[R, K, A, V]) keyFor(r R) K {
	var zk K
	if unsafe.Sizeof(zk) == 0 {
		return zk
	}
	return k.key(r)
}

// keyOf returns key(r). A key type of size zero (struct{}, the key of a
// query without GROUP BY) has a single value, so key is not called: a
// keyless query pays nothing for its key. Every operator of the package
// computes its records' keys through it, or through kernel.keyFor, its
// copy for Agg's engines.
func keyOf[R any, K comparable](key func(R) K, r R) K {
	var zk K
	if unsafe.Sizeof(zk) == 0 {
		return zk
	}
	return key(r)
}

// core holds what every kind of window shares: options, watermark, stats.
type core[R any] struct {
	delay      int64
	lateness   int64
	late       func(R, error)
	maxWindows int
	maxKeys    int
	schema     string

	flushed bool // Flush was called: the input has ended
	// flushedErr is what Push and Advance return after Flush; the
	// operator sets it, as its errors name it.
	flushedErr error
	wm         record.Time // current watermark
	maxSeen    record.Time // largest event time taken
	stats      Stats       // Records, Late, Updates, Emitted
}

func newCore[R any](o *Options[R]) (core[R], error) {
	c := core[R]{wm: record.MinTime, maxSeen: record.MinTime}
	if o == nil {
		return c, nil
	}
	switch {
	case o.Delay < 0:
		return c, fmt.Errorf("%w: negative Delay %v", ErrInvalid, o.Delay)
	case o.Lateness < 0:
		return c, fmt.Errorf("%w: negative Lateness %v", ErrInvalid, o.Lateness)
	case o.MaxWindows < 0 || o.MaxKeys < 0:
		return c, fmt.Errorf("%w: negative limit (MaxWindows %d, MaxKeys %d)", ErrInvalid, o.MaxWindows, o.MaxKeys)
	}
	c.delay = int64(o.Delay)
	c.lateness = int64(o.Lateness)
	c.late = o.Late
	c.maxWindows = o.MaxWindows
	c.maxKeys = o.MaxKeys
	c.schema = o.Schema
	return c, nil
}

// watermarkFor returns the automatic watermark after seeing time t.
func (c *core[R]) watermarkFor(t record.Time) record.Time {
	return subSat(t, c.delay)
}

// raise takes the time t of a record just taken: a new largest time raises
// the automatic watermark. When that reaches due, the smallest watermark at
// which the engine has work, raise returns it for the engine to advance to;
// otherwise it moves the watermark itself and returns false.
func (c *core[R]) raise(t, due record.Time) (record.Time, bool) {
	if t > c.maxSeen {
		c.maxSeen = t
		if nwm := c.watermarkFor(t); nwm > c.wm {
			if nwm >= due {
				return nwm, true
			}
			c.wm = nwm
		}
	}
	return 0, false
}

// handleLate applies the late policy to r.
func (c *core[R]) handleLate(r R, why func() error) {
	c.stats.Late++
	if c.late != nil {
		c.late(r, why())
	}
}

// limitErr reports which limit adding newKeys keys and newWindows states
// to keys and windows would exceed, or nil.
func (c *core[R]) limitErr(keys, newKeys, windows, newWindows int) error {
	if c.maxKeys > 0 && keys+newKeys > c.maxKeys {
		return fmt.Errorf("%w: MaxKeys %d", ErrLimit, c.maxKeys)
	}
	if c.maxWindows > 0 && windows+newWindows > c.maxWindows {
		return fmt.Errorf("%w: MaxWindows %d", ErrLimit, c.maxWindows)
	}
	return nil
}

// heldErr is limitErr for Over and Join, whose messages say how many of
// what they hold (partitions and windows; keys and rows, with the window
// limit named limit).
func (c *core[R]) heldErr(keys, newKeys, held, newHeld int, keysWhat, heldWhat, limit string) error {
	if c.maxKeys > 0 && keys+newKeys > c.maxKeys {
		return fmt.Errorf("%w: %d %s held (MaxKeys)", ErrLimit, keys, keysWhat)
	}
	if c.maxWindows > 0 && held+newHeld > c.maxWindows {
		return fmt.Errorf("%w: %d %s held (%s)", ErrLimit, held, heldWhat, limit)
	}
	return nil
}

func (c *core[R]) limited() bool { return c.maxKeys > 0 || c.maxWindows > 0 }

// lowBound returns t − d for d ≥ 0, and false with record.MinTime when
// that underflows record.Time: no time is then below the bound. It is the
// package's one saturating subtraction (watermarks, frame and join bounds).
func lowBound(t record.Time, d int64) (record.Time, bool) {
	if int64(t) < int64(record.MinTime)+d {
		return record.MinTime, false
	}
	return t - record.Time(d), true
}

// subSat returns t − d, or record.MinTime if that underflows (d ≥ 0).
func subSat(t record.Time, d int64) record.Time {
	b, _ := lowBound(t, d)
	return b
}

// addSat returns t + d, or record.MaxTime if that overflows (d ≥ 0).
func addSat(t record.Time, d int64) record.Time {
	if int64(t) > int64(record.MaxTime)-d {
		return record.MaxTime
	}
	return t + record.Time(d)
}

func lateErr(t record.Time, s Span, wm record.Time) error {
	return fmt.Errorf("%w: time %s, window %v closed at watermark %s", ErrLate, t, s, wm)
}
