package hotspot

import (
	"fmt"

	"github.com/rowtime/rowtime/record"
)

const snapshotVersion = 1

// snapshot is the serialized state of an Operator: its parameters, its
// counters, where its emission schedule stands, and the window's points in
// arrival order. Everything else (neighbour counts, trees, clusters) is
// derived from the points on Restore.
type snapshot struct {
	N, MinPts, OptDims, Every, PaneSize int
	Eps                                 float64
	OnlyChanges                         bool

	Dims                                            int // 0: no point yet
	Records, Rejected, Emitted, Searches, Reexamins uint64
	Since                                           int
	Last                                            []snapHotspot
	Next                                            uint64    // seq of the next point
	Points                                          []float64 // Dims coordinates per point, oldest first
}

type snapHotspot struct {
	Count    int
	Density  float64
	Min, Max []float64
}

// AppendSnapshot appends the operator's state to dst in a versioned binary
// form that [Operator.Restore] reads: the parameters, the statistics, the
// emission schedule and the window's points in arrival order. Its size is
// about 8·dims bytes per point in the window.
func (op *Operator[R]) AppendSnapshot(dst []byte) ([]byte, error) {
	s := snapshot{
		N: op.n, MinPts: op.minPts, OptDims: op.optDims, Every: op.every, PaneSize: op.paneSize,
		Eps: op.eps, OnlyChanges: op.changes,
		Records: op.records, Rejected: op.rejected, Emitted: op.emitted,
		Since: op.since,
	}
	for _, h := range op.last {
		s.Last = append(s.Last, snapHotspot(h))
	}
	if w := op.w; w != nil {
		s.Dims = w.dims
		s.Searches, s.Reexamins = w.searches, w.reexams
		s.Next = w.next
		s.Points = make([]float64, 0, w.size()*w.dims)
		for q := w.oldest; q < w.next; q++ {
			s.Points = append(s.Points, w.coords(q)...)
		}
	}
	dst = append(dst, snapshotVersion)
	return record.AppendBinary(dst, s)
}

// Restore replaces the operator's state with one written by AppendSnapshot
// of an operator built with the same parameters (N, ε, minPts and Options),
// and rebuilds the trees, counts and clusters from the points, so the
// operator goes on exactly as the one that wrote the snapshot would. (Only
// Stats.Searches may grow a little slower afterwards: the oldest pane's tree
// is rebuilt from its live points alone, so its bounding box may let a
// search skip it where the original tree was searched.)
// Corrupt, truncated or mismatched data gives an error wrapping
// [ErrSnapshot], and the operator is left unchanged.
func (op *Operator[R]) Restore(data []byte) error {
	if len(data) == 0 || data[0] != snapshotVersion {
		return fmt.Errorf("%w: unknown version", ErrSnapshot)
	}
	var s snapshot
	n, err := record.ReadBinary(data[1:], &s)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	if 1+n != len(data) {
		return fmt.Errorf("%w: %d bytes after the snapshot", ErrSnapshot, len(data)-1-n)
	}
	if s.N != op.n || s.MinPts != op.minPts || s.Eps != op.eps || s.OptDims != op.optDims ||
		s.Every != op.every || s.PaneSize != op.paneSize || s.OnlyChanges != op.changes {
		return fmt.Errorf("%w: written with N=%d ε=%v minPts=%d Dims=%d Every=%d PaneSize=%d OnlyChanges=%v, restoring into N=%d ε=%v minPts=%d Dims=%d Every=%d PaneSize=%d OnlyChanges=%v",
			ErrSnapshot, s.N, s.Eps, s.MinPts, s.OptDims, s.Every, s.PaneSize, s.OnlyChanges,
			op.n, op.eps, op.minPts, op.optDims, op.every, op.paneSize, op.changes)
	}
	if s.Dims < 0 || s.Next >= 1<<62 || s.OptDims != 0 && s.Dims != s.OptDims || s.Since < 0 || s.Since >= s.Every {
		return fmt.Errorf("%w: inconsistent state", ErrSnapshot)
	}
	var w *window
	if s.Dims == 0 {
		if len(s.Points) != 0 || len(s.Last) != 0 || s.Next != 0 {
			return fmt.Errorf("%w: points without a dimension", ErrSnapshot)
		}
	} else {
		if len(s.Points)%s.Dims != 0 || len(s.Points)/s.Dims > s.N || uint64(len(s.Points)/s.Dims) > s.Next {
			return fmt.Errorf("%w: %d coordinates for a window of %d points of %d dimensions", ErrSnapshot, len(s.Points), s.N, s.Dims)
		}
		size := len(s.Points) / s.Dims
		for i := range size {
			if err := checkPoint(s.Points[i*s.Dims:(i+1)*s.Dims], s.Dims); err != nil {
				return fmt.Errorf("%w: point %d: %w", ErrSnapshot, i, err)
			}
		}
		for _, h := range s.Last {
			if h.Count < 1 || len(h.Min) != s.Dims || len(h.Max) != s.Dims {
				return fmt.Errorf("%w: malformed hotspot", ErrSnapshot)
			}
		}
		w = op.newWindow(s.Dims)
		w.oldest = s.Next - uint64(size)
		w.next, w.base = w.oldest, w.oldest
		for i := range size {
			w.insert(s.Points[i*s.Dims : (i+1)*s.Dims])
		}
		w.searches, w.reexams = s.Searches, s.Reexamins
	}
	last := make([]Hotspot, len(s.Last))
	for i, h := range s.Last {
		last[i] = Hotspot(h)
	}
	op.w = w
	op.last, op.lastFlat = copyHotspots(op.last[:0], op.lastFlat[:0], last)
	op.since = s.Since
	op.records, op.rejected, op.emitted = s.Records, s.Rejected, s.Emitted
	op.at = 0
	return nil
}
