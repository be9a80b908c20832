package window

import (
	"errors"
	"time"

	"github.com/rowtime/rowtime/record"
)

// Options tunes a windowed operator. A nil *Options means the defaults: no
// delay, no allowed lateness, late records dropped and counted, no limits.
// The zero Options is the same as nil. Delay, Lateness and the limits decide
// only about records not yet seen: an operator may restore a snapshot
// written under other values, and its own apply from then on.
type Options[R any] struct {
	// Delay is the bounded out-of-orderness of the input. The operator's
	// automatic watermark is (largest event time seen) − Delay, so a record up
	// to Delay older than the newest one is still on time. Must be ≥ 0.
	Delay time.Duration

	// Lateness is the allowed lateness: a window's state is kept for this long
	// after the watermark passes its end, and a late record that still falls
	// in such a window updates it and re-emits its result at once, marked
	// Update. Must be ≥ 0.
	Lateness time.Duration

	// Late, if set, receives every record that is too late to be used, with
	// an error saying why (wrapping [ErrLate]). Without it such records are
	// dropped and counted in Stats.Late.
	Late func(r R, err error)

	// MaxWindows limits the number of open (key, window) states, and MaxKeys
	// the number of distinct keys held at once; 0 means no limit. A record
	// that would exceed a limit is refused: Push returns an error wrapping
	// [ErrLimit], the operator is unchanged, and the caller may Advance or
	// Flush to make room and push it again.
	MaxWindows int
	MaxKeys    int

	// Schema names the version of the record and key types, for a type
	// that changes its meaning on purpose while keeping its codec shape
	// (say, a field that now counts cents instead of dollars). It is part
	// of every snapshot's descriptor: bump it, and snapshots written under
	// the old name are refused instead of read as new state. Empty means no
	// name.
	Schema string
}

// Errors returned by the package. Constructors wrap ErrInvalid; Push wraps
// ErrLate (in what it hands to Options.Late), ErrLimit and ErrOverflow;
// Restore wraps record.ErrSnapshot. ErrLimit and ErrOverflow are refusals:
// they wrap record.ErrRefused, so record.IsRefused reports true for them,
// and the operator is as it was before the call. Push and Advance after
// Flush return record.ErrFlushed.
var (
	ErrInvalid        = errors.New("window: invalid parameter")
	ErrLate           = errors.New("window: record is late")
	ErrLimit    error = refusal("window: state limit reached")
	ErrOverflow error = refusal("window: window end overflows record.Time")

	// ErrKey refuses a record whose key is not equal to itself: a float
	// NaN, or a struct or array holding one. Go's == says NaN ≠ NaN, so
	// such a key could never be found again: every record would be a group
	// of its own, held until its window closes. Map NaN to a value of your
	// choice in the key function to group such records.
	ErrKey error = refusal("window: key is not equal to itself")

	// ErrSnapshot is record.ErrSnapshot, which every Restore error wraps.
	//
	// Deprecated: test for record.ErrSnapshot; this name stays so that
	// errors.Is with it keeps working.
	ErrSnapshot = record.ErrSnapshot
)

// A refusal is a sentinel error that wraps record.ErrRefused without
// saying so in its message.
type refusal string

func (e refusal) Error() string { return string(e) }
func (e refusal) Unwrap() error { return record.ErrRefused }

// Stats describes what an operator has seen and holds. Every windowed
// operator in the package reports the same fields.
//
// StateBytes counts the operator's tables, buffers and accumulators and,
// when the aggregate is an aggregate.Sizer, what its live accumulators
// hold behind pointers (a distinct count's sketch, a top-K summary). It is
// computed when Stats is called, walking the state: call Stats per batch,
// not per record.
type Stats struct {
	Records     uint64      // records taken by Push (late ones included)
	Late        uint64      // late records dropped or handed to Options.Late
	Updates     uint64      // results re-emitted under allowed lateness
	Emitted     uint64      // results emitted, updates included
	OpenWindows int         // (key, window) states held; (key, pane) ones for Hop
	Keys        int         // distinct keys held
	StateBytes  int64       // estimate of the memory held by state
	Watermark   record.Time // current watermark (record.MinTime before any)
}

// Result is the outcome of one window for one key. It is a record itself:
// its EventTime is End − 1 ns, the last instant inside the window, so it
// falls into the same window of a downstream operator with the same assigner.
type Result[K, V any] struct {
	Start, End record.Time // the window [Start, End)
	Key        K
	Value      V
	Update     bool // a correction of a result already emitted (allowed lateness)
}

// EventTime returns End − 1 ns.
func (r Result[K, V]) EventTime() record.Time { return r.End - 1 }
