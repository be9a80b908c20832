package window

import (
	"fmt"

	"github.com/rowtime/rowtime/record"
)

// An engine is the state and the logic of one kind of window on a core,
// which holds the watermark, the settings and the stats they share: the
// tumbling, hopping and sequential (session, stagger) windows of [Agg],
// the per-record windows of [Over], and the join of [Join]. In is what the
// operator takes, Out what it emits. The types an engine works with beyond
// those (an accumulator) are its own, so an operator's type names its
// input and output only; the price is an interface call per Push (see
// BenchmarkStepSum and BenchmarkOver; Join, whose type names all of its
// engine's, calls its engine directly).
//
// The shell around an engine turns a nil emit into discard, checks the
// flushed flag, and opens, closes and swaps snapshots, so that an engine's
// methods are called with a non-nil emit and, all but push, on an
// operator that has not been flushed. Agg.Push and Over.Push write out
// their part of a push (emit, the call): a shell method between them and
// the engine would take Push over the compiler's inlining budget, and
// Push, inlined into the method that an interface call on the operator
// reaches, costs one call, not two.
type engine[In record.Timed, Out any] interface {
	// push takes r, or refuses it after Flush with the core's flushedErr
	// (the tumbler checks on its slow path only: Flush empties its cached
	// window, so a flushed tumbler never takes the fast one). The record
	// comes last: the dispatch of a generic type's method passes the
	// receiver and its dictionary first, and a record too large for the
	// registers left then goes on the stack in one copy, which the engine
	// reads in place; passed first, it came in registers, to be stored and
	// copied again. Each engine writes this opening out rather than calling
	// a core method, which would copy a large record once more.
	push(emit func(Out), r In) error
	advance(wm record.Time, emit func(Out)) // wm above the watermark
	flush(emit func(Out))                   // the end of input; the shell sets the flag
	fillStats(*Stats)                       // beyond the core's counts and watermark

	// Snapshots: what the engine stores, its types' codec check, its state
	// (after the core, or with the core when the engine writes it in a
	// layout of its own: see coreFormat), and an empty engine of the same
	// kind on another core, for Restore.
	describe() *record.Descriptor
	checkTypes() error
	appendState(*snapWriter)
	readState(*snapReader)
	restored(oldLateness int64) // apply a Lateness other than the writer's
	empty(c *core[In]) engine[In, Out]
}

// legacyReader is an engine whose operator wrote snapshots before the
// envelope: openLegacy checks the head of one and returns a reader of the
// rest and the writer's Lateness.
type legacyReader interface {
	openLegacy(data []byte) (r *snapReader, lateness int64, err error)
}

// adopter is an engine that stays the same object across Restore, because
// something outside the operator points to it (a Lane): adopt takes the
// state of a restored engine of its kind.
type adopter[In record.Timed, Out any] interface {
	adopt(from engine[In, Out])
}

// A laneEngine is an engine whose Lane takes records without touching the
// core (see Lane): sync folds the records taken since the last sync into
// the core's count and watermark. The shell syncs before it reads the core
// (Stats, snapshots) or calls the engine (Advance and Flush too, which
// nothing the lane takes can change, so that an engine always starts from
// the core as it is); the engine's own push needs no sync on its fast path
// (see tumbler.take) and syncs on its slow one.
type laneEngine interface {
	sync()
}

// shell is what the windowed operators of the package are: a core, an
// engine on it, and what the public methods share around the engine's
// calls. Agg, Over and Join hold one and add their documentation.
type shell[In record.Timed, Out any] struct {
	c   *core[In]
	eng engine[In, Out]
	// what names the operator in its snapshot errors ("Over", "Join"; ""
	// for Agg, whose errors were the package's first).
	what string
	f    coreFormat // which of the core's fields snapshots hold

	desc    *record.Descriptor // of snapshots, built at the first use
	typesOK bool               // the stored types passed the codec check
	// none is discard, made once: a func value of a generic function made
	// per call would be allocated, since the engine's emit escapes.
	none func(Out)
	// lane is the engine, once a Lane serves it; else nil.
	lane laneEngine
}

// flushed is what Push and Advance return after Flush.
func newShell[In record.Timed, Out any](c *core[In], e engine[In, Out], what string, flushed error, f coreFormat) shell[In, Out] {
	c.flushedErr = flushed
	return shell[In, Out]{c: c, eng: e, what: what, f: f, none: discard[Out]}
}

// prefix is the start of the operator's restore errors: "window",
// "window: Over" or "window: Join".
func (o *shell[In, Out]) prefix() string {
	if o.what == "" {
		return "window"
	}
	return "window: " + o.what
}

// sync folds what the engine's Lane took into the core.
func (o *shell[In, Out]) sync() {
	if o.lane != nil {
		o.lane.sync()
	}
}

func (o *shell[In, Out]) advance(wm record.Time, emit func(Out)) error {
	o.sync()
	if o.c.flushed {
		return o.c.flushedErr
	}
	if wm > o.c.wm {
		o.eng.advance(wm, o.or(emit))
	}
	return nil
}

func (o *shell[In, Out]) flush(emit func(Out)) error {
	o.sync()
	if o.c.flushed {
		return nil
	}
	o.eng.flush(o.or(emit))
	o.c.flushed = true
	return nil
}

// or returns emit, or discard for a nil one.
func (o *shell[In, Out]) or(emit func(Out)) func(Out) {
	if emit == nil {
		return o.none
	}
	return emit
}

func (o *shell[In, Out]) stats() Stats {
	o.sync()
	s := o.c.stats
	s.Watermark = o.c.wm
	o.eng.fillStats(&s)
	return s
}

// descriptor says what the operator's snapshots store (see each engine's
// describe). Delay, Lateness and the limits are not part of it: they may
// change between the writer and the reader of a snapshot.
func (o *shell[In, Out]) descriptor() *record.Descriptor {
	if o.desc == nil {
		o.desc = o.eng.describe().Schema(o.c.schema)
	}
	return o.desc
}

// checkTypes reports the first stored type that the codec cannot
// round-trip, so that a snapshot refuses it before writing any state,
// whatever the operator holds at the time.
func (o *shell[In, Out]) checkTypes() error {
	if !o.typesOK {
		if err := o.eng.checkTypes(); err != nil {
			return err
		}
		o.typesOK = true
	}
	return nil
}

func (o *shell[In, Out]) snapshotErr(err error) error {
	if o.what == "" {
		return fmt.Errorf("window: snapshot: %w", err)
	}
	return fmt.Errorf("window: %s snapshot: %w", o.what, err)
}

// appendSnapshot writes the envelope with the operator's descriptor around
// the core and the engine's state; on error it returns dst unchanged.
func (o *shell[In, Out]) appendSnapshot(dst []byte) ([]byte, error) {
	if err := o.checkTypes(); err != nil {
		return dst, o.snapshotErr(err)
	}
	o.sync()
	start := len(dst)
	w := &snapWriter{b: record.BeginSnapshot(dst, o.descriptor())}
	if !o.f.own {
		o.c.appendCore(w, o.f)
	}
	o.eng.appendState(w)
	if w.err != nil {
		return dst, o.snapshotErr(w.err)
	}
	return record.EndSnapshot(w.b, start), nil
}

// restore reads a snapshot into an empty engine on a core with the
// operator's settings, and swaps both in only when all of it was read, so
// that on error the operator is unchanged.
func (o *shell[In, Out]) restore(data []byte) error {
	fc := o.c.emptied()
	c := &fc
	eng := o.eng.empty(c)
	oldLateness := c.lateness
	var r *snapReader
	if lr, ok := eng.(legacyReader); ok && record.IsLegacySnapshot(data) {
		var err error
		if r, oldLateness, err = lr.openLegacy(data); err != nil {
			return err
		}
	} else {
		body, err := record.OpenSnapshot(data, o.descriptor())
		if err != nil {
			return fmt.Errorf("%s: restore: %w", o.prefix(), err)
		}
		r = &snapReader{b: body}
		if !o.f.own {
			oldLateness = c.readHead(r, o.f)
		}
	}
	if !o.f.own {
		c.readTail(r, o.f)
	}
	eng.readState(r)
	if err := r.end(); err != nil {
		return fmt.Errorf("%s: restore: %w", o.prefix(), err) // err wraps ErrSnapshot
	}
	if a, ok := o.eng.(adopter[In, Out]); ok {
		a.adopt(eng)
		eng = o.eng
	}
	o.c, o.eng = c, eng
	eng.restored(oldLateness)
	return nil
}
