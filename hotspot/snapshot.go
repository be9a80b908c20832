package hotspot

import (
	"fmt"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
)

// legacyVersion is the first byte of a snapshot of the format before the
// envelope, which Restore still reads.
const legacyVersion = 1

// legacySnapshot is that format: the parameters, then what snapshotBody
// holds but Flushed.
type legacySnapshot struct {
	N, MinPts, OptDims, Every, PaneSize int
	Eps                                 float64
	OnlyChanges                         bool

	Dims                                            int
	Records, Rejected, Emitted, Searches, Reexamins uint64
	Since                                           int
	Last                                            []snapHotspot
	Next                                            uint64
	Points                                          []float64
}

// snapshotBody is the serialized state of an Operator: its counters, where
// its emission schedule stands, and the window's points in arrival order.
// Everything else (neighbour counts, trees, clusters) is derived from the
// points on Restore. The parameters are in the envelope's descriptor.
type snapshotBody struct {
	Flushed bool

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

func (op *Operator[R]) descriptor() *record.Descriptor {
	if op.desc == nil {
		op.desc = record.NewDescriptor("hotspot.Operator").
			Param("N", op.n).Param("eps", op.eps).Param("minPts", op.minPts).
			Param("Dims", op.optDims).Param("Every", op.every).Param("PaneSize", op.paneSize).
			Param("OnlyChanges", op.changes)
	}
	return op.desc
}

// AppendSnapshot appends the operator's state to dst in a record envelope
// that [Operator.Restore] reads: a descriptor of the parameters (N, ε,
// minPts, Options), then the statistics, the emission schedule and the
// window's points in arrival order, then a checksum. Its size is about
// 8·dims bytes per point in the window.
func (op *Operator[R]) AppendSnapshot(dst []byte) ([]byte, error) {
	s := snapshotBody{
		Flushed: op.flushed,
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
	start := len(dst)
	out, err := codec.Append(record.BeginSnapshot(dst, op.descriptor()), s)
	if err != nil {
		return dst, err
	}
	return record.EndSnapshot(out, start), nil
}

// Restore replaces the operator's state with one written by AppendSnapshot
// of an operator built with the same parameters (N, ε, minPts and Options),
// and rebuilds the trees, counts and clusters from the points, so the
// operator goes on exactly as the one that wrote the snapshot would. (Only
// Stats.Searches may grow a little slower afterwards: the oldest pane's tree
// is rebuilt from its live points alone, so its bounding box may let a
// search skip it where the original tree was searched.) Snapshots of the
// format before the envelope are read too.
//
// Corrupt, truncated or mismatched data gives an error wrapping
// record.ErrSnapshot (a snapshot of an operator with other parameters names
// both sides), and the operator is left unchanged.
func (op *Operator[R]) Restore(data []byte) error {
	var s snapshotBody
	if record.IsLegacySnapshot(data) {
		var err error
		if s, err = op.readLegacy(data); err != nil {
			return err
		}
	} else {
		body, err := record.OpenSnapshot(data, op.descriptor())
		if err != nil {
			return fmt.Errorf("hotspot: restore: %w", err)
		}
		n, err := codec.Read(body, &s)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSnapshot, err)
		}
		if n != len(body) {
			return fmt.Errorf("%w: %d bytes after the snapshot", ErrSnapshot, len(body)-n)
		}
	}
	if s.Dims < 0 || s.Next >= 1<<62 || op.optDims != 0 && s.Dims != op.optDims || s.Since < 0 || s.Since >= op.every {
		return fmt.Errorf("%w: inconsistent state", ErrSnapshot)
	}
	var w *window
	if s.Dims == 0 {
		if len(s.Points) != 0 || len(s.Last) != 0 || s.Next != 0 {
			return fmt.Errorf("%w: points without a dimension", ErrSnapshot)
		}
	} else {
		if len(s.Points)%s.Dims != 0 || len(s.Points)/s.Dims > op.n || uint64(len(s.Points)/s.Dims) > s.Next {
			return fmt.Errorf("%w: %d coordinates for a window of %d points of %d dimensions", ErrSnapshot, len(s.Points), op.n, s.Dims)
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
	op.flushed = s.Flushed
	op.at = 0
	return nil
}

// readLegacy reads a snapshot of the format before the envelope, whose
// parameters must be the operator's.
func (op *Operator[R]) readLegacy(data []byte) (snapshotBody, error) {
	if data[0] != legacyVersion {
		return snapshotBody{}, fmt.Errorf("%w: unknown version", ErrSnapshot)
	}
	var s legacySnapshot
	n, err := codec.Read(data[1:], &s)
	if err != nil {
		return snapshotBody{}, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	if 1+n != len(data) {
		return snapshotBody{}, fmt.Errorf("%w: %d bytes after the snapshot", ErrSnapshot, len(data)-1-n)
	}
	if s.N != op.n || s.MinPts != op.minPts || s.Eps != op.eps || s.OptDims != op.optDims ||
		s.Every != op.every || s.PaneSize != op.paneSize || s.OnlyChanges != op.changes {
		return snapshotBody{}, fmt.Errorf("%w: written with N=%d ε=%v minPts=%d Dims=%d Every=%d PaneSize=%d OnlyChanges=%v, restoring into N=%d ε=%v minPts=%d Dims=%d Every=%d PaneSize=%d OnlyChanges=%v",
			ErrSnapshot, s.N, s.Eps, s.MinPts, s.OptDims, s.Every, s.PaneSize, s.OnlyChanges,
			op.n, op.eps, op.minPts, op.optDims, op.every, op.paneSize, op.changes)
	}
	return snapshotBody{
		Dims: s.Dims, Records: s.Records, Rejected: s.Rejected, Emitted: s.Emitted,
		Searches: s.Searches, Reexamins: s.Reexamins, Since: s.Since, Last: s.Last, Next: s.Next, Points: s.Points,
	}, nil
}
