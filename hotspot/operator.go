package hotspot

import (
	"fmt"
	"math"
	"slices"

	"github.com/rowtime/rowtime/record"
)

// Options tunes an [Operator]. A nil *Options means the defaults: points of
// any one dimension (fixed by the first), a result for every record, panes of
// the default size. The zero Options is the same as nil.
type Options struct {
	// Dims is the number of coordinates of every point; 0 means the number
	// the first accepted point has. Must be ≥ 0.
	Dims int

	// Every emits a result only for every Every-th accepted record (the
	// Every-th, the 2·Every-th, ...); 0 or 1 means every record. Must be ≥ 0.
	Every int

	// OnlyChanges emits a result only when its hotspots differ from those of
	// the last result emitted (before the first, from no hotspots at all).
	// With Every, only every Every-th record is considered.
	OnlyChanges bool

	// PaneSize is the number of consecutive points under one k-d tree; 0
	// means [DefaultPaneSize]. Must be between 0 and N.
	PaneSize int
}

// Stats describes what an [Operator] has done and holds.
type Stats struct {
	Records        uint64 // records taken into the window
	Rejected       uint64 // records refused by Push (invalid point)
	Emitted        uint64 // results emitted
	Searches       uint64 // k-d tree range searches (at most one per tree pane per record)
	Reexaminations uint64 // clusters re-examined for a split after losing core points
	Window         int    // points in the window
	Panes          int    // panes holding a k-d tree (the newest pane has none)
	Hotspots       int    // current number of hotspots
}

// Result is the output for one record: the record and the hotspots of the
// window after it entered, in [Compare] order.
//
// Hotspots and the slices inside them belong to the operator and are valid
// only until its next Push or Restore: use [Result.Clone] to keep them.
// AppendJSON writes the result in KDA's HOTSPOTS_RESULT form.
type Result[R record.Timed] struct {
	Record   R
	Hotspots []Hotspot
}

// EventTime returns the record's event time, so a result is a record itself.
func (r Result[R]) EventTime() record.Time { return r.Record.EventTime() }

// Clone returns a copy of r whose hotspots do not alias the operator's.
func (r Result[R]) Clone() Result[R] {
	hs := make([]Hotspot, len(r.Hotspots))
	for i, h := range r.Hotspots {
		hs[i] = h.Clone()
	}
	r.Hotspots = hs
	return r
}

// An Operator reports the hotspots of the last N records: KDA's
// HOTSPOTS(window, scanRadius, minPoints). It is a [record.Operator] from R
// to [Result] driven by record count: Advance and Flush emit nothing, and no
// record is ever late (each valid record enters the window, whatever its
// time); a record with an invalid point is refused with an error wrapping
// [ErrPoint] and counted in Stats.Rejected.
//
// An Operator is not safe for concurrent use.
type Operator[R record.Timed] struct {
	coords   func(dst []float64, r R) []float64
	n        int
	eps      float64
	minPts   int
	optDims  int
	every    int
	changes  bool
	paneSize int

	w    *window
	buf  []float64
	hs   []Hotspot
	flat []float64
	at   uint64 // window version hs was computed at; 0 = not computed

	since    int       // accepted records since the last one considered
	last     []Hotspot // last emitted, when OnlyChanges
	lastFlat []float64

	records, rejected, emitted uint64
	flushed                    bool // Flush was called: the input has ended

	desc *record.Descriptor // of snapshots, built at the first use
}

// New returns an operator that clusters the last n records' points, read by
// coords, with radius eps and at least minPts points per core
// neighbourhood, as [Find] defines. coords appends the coordinates of a record
// to dst and returns the extended slice; the operator passes a reused
// buffer, so coords need not allocate.
//
// n must be between 2 and 2³¹−1, eps positive with a finite, non-zero
// square (about 1.5e-162 to 1.3e154), minPts between 2
// and n; the error wraps [ErrInvalid] otherwise.
func New[R record.Timed](n int, eps float64, minPts int, coords func(dst []float64, r R) []float64, opts *Options) (*Operator[R], error) {
	if n < 2 || n > math.MaxInt32 {
		return nil, fmt.Errorf("%w: window N must be between 2 and %d, got %d", ErrInvalid, math.MaxInt32, n)
	}
	if err := checkEps(eps); err != nil {
		return nil, err
	}
	if minPts < 2 || minPts > n {
		return nil, fmt.Errorf("%w: minPts must be between 2 and N=%d, got %d", ErrInvalid, n, minPts)
	}
	if coords == nil {
		return nil, fmt.Errorf("%w: nil coordinates function", ErrInvalid)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Dims < 0 || o.Every < 0 || o.PaneSize < 0 || o.PaneSize > n {
		return nil, fmt.Errorf("%w: options Dims=%d, Every=%d, PaneSize=%d (PaneSize ≤ N)", ErrInvalid, o.Dims, o.Every, o.PaneSize)
	}
	if o.PaneSize == 0 {
		o.PaneSize = DefaultPaneSize(n)
	}
	op := &Operator[R]{
		coords: coords, n: n, eps: eps, minPts: minPts,
		optDims: o.Dims, every: max(o.Every, 1), changes: o.OnlyChanges, paneSize: o.PaneSize,
	}
	if o.Dims > 0 {
		op.w = op.newWindow(o.Dims)
	}
	return op, nil
}

// DefaultPaneSize is the pane size an operator over a window of n points uses
// unless told otherwise: 16·√n clamped to [16, n]. A record costs one tree
// search per pane (n/pane of them, each about log pane deep plus what it
// finds), a linear scan of the newest pane (half a pane on average) and,
// amortized, a share of one tree build (log² pane comparisons). Measured on
// the workload of package hotspottest (BenchmarkHotspots), 16·√n balances
// them: 2 trees at n = 1,000, 7 at n = 10,000, 63 at n = 1,000,000, each
// searched in a few hundred ns.
func DefaultPaneSize(n int) int {
	p := int(16 * math.Sqrt(float64(n)))
	return min(max(p, 16), n)
}

func (op *Operator[R]) newWindow(dims int) *window {
	return newWindow(op.n, dims, op.minPts, op.paneSize, op.eps)
}

// Push adds the record's point to the window, expiring the oldest point once
// the window holds N, and emits the record with the window's hotspots (unless
// Options say to skip it). A point of the wrong dimension or with a NaN or
// infinite coordinate is refused with an error wrapping [ErrPoint]; the
// record does not enter the window and nothing changes.
func (op *Operator[R]) Push(r R, emit func(Result[R])) error {
	if op.flushed {
		return fmt.Errorf("hotspot: %w", record.ErrFlushed)
	}
	op.buf = op.coords(op.buf[:0], r)
	dims := op.optDims
	if op.w != nil {
		dims = op.w.dims
	} else if dims == 0 {
		dims = len(op.buf)
		if dims == 0 {
			op.rejected++
			return fmt.Errorf("%w: no coordinates", ErrPoint)
		}
	}
	if err := checkPoint(op.buf, dims); err != nil {
		op.rejected++
		return err
	}
	if op.w == nil {
		op.w = op.newWindow(dims)
	}
	op.w.push(op.buf)
	op.records++
	op.since++
	if op.since < op.every {
		return nil
	}
	op.since = 0
	hs := op.current()
	if op.changes {
		if equalHotspots(hs, op.last) {
			return nil
		}
		op.last, op.lastFlat = copyHotspots(op.last[:0], op.lastFlat[:0], hs)
	}
	op.emitted++
	if emit != nil {
		emit(Result[R]{Record: r, Hotspots: hs})
	}
	return nil
}

// current returns the window's hotspots in result order, recomputing them
// only if a cluster changed since the last call.
func (op *Operator[R]) current() []Hotspot {
	w := op.w
	if op.at == w.version+1 {
		return op.hs
	}
	nc := w.liveClusters()
	if cap(op.flat) < 2*w.dims*nc {
		op.flat = make([]float64, 0, 2*w.dims*nc*2)
	}
	op.hs, op.flat = w.hotspots(op.hs[:0], op.flat[:0])
	op.at = w.version + 1
	return op.hs
}

// Hotspots returns the hotspots of the current window, in result order, with
// the same lifetime as a [Result]'s.
func (op *Operator[R]) Hotspots() []Hotspot {
	if op.w == nil {
		return nil
	}
	return op.current()
}

func equalHotspots(a, b []Hotspot) bool {
	return slices.EqualFunc(a, b, func(x, y Hotspot) bool {
		return x.Count == y.Count && x.Density == y.Density &&
			slices.Equal(x.Min, y.Min) && slices.Equal(x.Max, y.Max)
	})
}

// copyHotspots copies hs into dst, with all coordinates in flat.
func copyHotspots(dst []Hotspot, flat []float64, hs []Hotspot) ([]Hotspot, []float64) {
	need := 0
	for _, h := range hs {
		need += len(h.Min) + len(h.Max)
	}
	if cap(flat) < need {
		flat = make([]float64, 0, 2*need)
	}
	for _, h := range hs {
		i := len(flat)
		flat = append(flat, h.Min...)
		flat = append(flat, h.Max...)
		d := len(h.Min)
		dst = append(dst, Hotspot{Count: h.Count, Density: h.Density,
			Min: flat[i : i+d : i+d], Max: flat[i+d : i+2*d : i+2*d]})
	}
	return dst, flat
}

// Advance emits nothing: HOTSPOTS is driven by record count, not time. After
// Flush it returns record.ErrFlushed.
func (op *Operator[R]) Advance(record.Time, func(Result[R])) error {
	if op.flushed {
		return fmt.Errorf("hotspot: %w", record.ErrFlushed)
	}
	return nil
}

// Flush ends the input. It emits nothing, since every result was emitted by
// Push, and keeps the window for Hotspots and Stats; Push and Advance
// afterwards return record.ErrFlushed.
func (op *Operator[R]) Flush(func(Result[R])) error {
	op.flushed = true
	return nil
}

// Stats reports what the operator has done and holds.
func (op *Operator[R]) Stats() Stats {
	s := Stats{Records: op.records, Rejected: op.rejected, Emitted: op.emitted}
	if w := op.w; w != nil {
		s.Searches = w.searches
		s.Reexaminations = w.reexams
		s.Window = w.size()
		s.Panes = w.trees()
		s.Hotspots = w.liveClusters()
	}
	return s
}
