package hotspot

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/kyroy/kdtree"
	"github.com/kyroy/kdtree/kdrange"

	"github.com/rowtime/rowtime/record"
)

// Errors returned by the package. Constructors and [Find] wrap ErrInvalid,
// [Operator.Push] wraps ErrPoint, and [Operator.Restore] wraps
// record.ErrSnapshot.
var (
	ErrInvalid = errors.New("hotspot: invalid parameter")

	// ErrPoint refuses a record whose point is invalid. It wraps
	// record.ErrRefused: the operator is unchanged but for
	// Stats.Rejected, and the caller may go on with the next record.
	ErrPoint error = pointErr{}

	// ErrSnapshot is record.ErrSnapshot, which every Restore error wraps.
	//
	// Deprecated: test for record.ErrSnapshot; this name stays so that
	// errors.Is with it keeps working.
	ErrSnapshot = record.ErrSnapshot
)

type pointErr struct{}

func (pointErr) Error() string { return "hotspot: invalid point" }
func (pointErr) Unwrap() error { return record.ErrRefused }

// A Hotspot is one cluster of the density clustering: its core points and the
// border points attached to it.
type Hotspot struct {
	Count   int       // points in the cluster, core and border
	Density float64   // Count / Π max(Max[i] − Min[i], ε)
	Min     []float64 // per-coordinate minimum over the cluster's points
	Max     []float64 // per-coordinate maximum over the cluster's points
}

// Clone returns a deep copy of h.
func (h Hotspot) Clone() Hotspot {
	h.Min = slices.Clone(h.Min)
	h.Max = slices.Clone(h.Max)
	return h
}

// Compare orders hotspots the way results list them: higher density first,
// then by Min and then by Max, lexicographically.
func Compare(a, b Hotspot) int {
	if a.Density != b.Density {
		if a.Density > b.Density {
			return -1
		}
		return 1
	}
	if c := slices.Compare(a.Min, b.Min); c != 0 {
		return c
	}
	return slices.Compare(a.Max, b.Max)
}

// density is count / Π max(max_i − min_i, ε), multiplied in dimension order
// so that every implementation gets the same bits.
func density(count int, lo, hi []float64, eps float64) float64 {
	area := 1.0
	for i := range lo {
		area *= max(hi[i]-lo[i], eps)
	}
	return float64(count) / area
}

// dist2 is the squared distance Σ (p_i − q_i)², summed in dimension order:
// the one neighbour test every part of the package uses.
func dist2(p, q []float64) float64 {
	s := 0.0
	for i := range p {
		d := p[i] - q[i]
		s += d * d
	}
	return s
}

// setBox sets r to the search box around p: [p_i − ε, p_i + ε] widened by a
// few ulps, so that rounding never leaves out a point that passes the exact
// test Σ (p_i − q_i)² ≤ ε², which the caller applies to what the box finds.
func setBox(r kdrange.Range, p []float64, eps float64) {
	for i, x := range p {
		slack := (math.Abs(x) + eps) * 0x1p-40
		r[i] = [2]float64{x - eps - slack, x + eps + slack}
	}
}

func checkEps(eps float64) error {
	if !(eps > 0) || math.IsInf(eps, 1) {
		return fmt.Errorf("%w: radius ε must be positive and finite, got %v", ErrInvalid, eps)
	}
	// Distances are compared squared: an ε whose square overflows to +Inf
	// (or underflows to 0) would make every pair (or none) neighbours.
	if sq := eps * eps; math.IsInf(sq, 1) || sq == 0 {
		return fmt.Errorf("%w: radius ε = %v: its square %v is not a positive finite float64", ErrInvalid, eps, sq)
	}
	return nil
}

func checkPoint(p []float64, dims int) error {
	if len(p) != dims {
		return fmt.Errorf("%w: %d coordinates, want %d", ErrPoint, len(p), dims)
	}
	for i, x := range p {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: coordinate %d is %v", ErrPoint, i, x)
		}
	}
	return nil
}

// findPoint adapts one input point to kdtree.Point.
type findPoint struct {
	c []float64
	i int
}

func (p *findPoint) Dimensions() int         { return len(p.c) }
func (p *findPoint) Dimension(i int) float64 { return p.c[i] }

// Find clusters points by density, in the manner of DBSCAN, and returns the
// clusters as hotspots in result order (see [Compare]). The order of points
// is their arrival order: it breaks ties when a border point is equally
// near to two core points.
//
// q is in the ε-neighbourhood of p when Σ (p_i − q_i)² ≤ ε², summed in
// float64 in dimension order; the neighbourhood includes p itself. p is a core
// point when its neighbourhood holds at least minPts points. Core points
// within ε of each other are in the same cluster. A point that is not core
// but lies within ε of a core point is a border point of the cluster of its
// nearest core point (the earliest one on a tie); any other point is noise.
//
// Every point must have the same number (at least one) of coordinates, all
// finite: otherwise Find returns an error wrapping [ErrPoint]. ε must be
// positive with a finite, non-zero square (distances are compared squared)
// and minPts at least 2, or the error wraps [ErrInvalid].
// Find builds one k-d tree over the points and runs one range search per
// point: O(n log n) for sparse data, O(n²) when everything is within ε.
func Find(points [][]float64, eps float64, minPts int) ([]Hotspot, error) {
	if err := checkEps(eps); err != nil {
		return nil, err
	}
	if minPts < 2 {
		return nil, fmt.Errorf("%w: minPts must be at least 2, got %d", ErrInvalid, minPts)
	}
	if len(points) == 0 {
		return nil, nil
	}
	dims := len(points[0])
	if dims == 0 {
		return nil, fmt.Errorf("%w: point 0 has no coordinates", ErrPoint)
	}
	for i, p := range points {
		if err := checkPoint(p, dims); err != nil {
			return nil, fmt.Errorf("point %d: %w", i, err)
		}
	}
	n := len(points)
	fps := make([]findPoint, n)
	tps := make([]kdtree.Point, n)
	for i, p := range points {
		fps[i] = findPoint{c: p, i: i}
		tps[i] = &fps[i]
	}
	idx := make([]int32, n)
	flat := make([]float64, 0, n*dims)
	for i, p := range points {
		idx[i] = int32(i)
		flat = append(flat, p...)
	}
	tree := balanced(idx, dims, flat, func(i int32) kdtree.Point { return tps[i] })
	eps2 := eps * eps

	// Neighbour lists in one flat array: nb[start[i]:start[i+1]] are the
	// neighbours of i, itself included.
	start := make([]int, n+1)
	var nb []int
	box := make(kdrange.Range, dims)
	for i, p := range points {
		start[i] = len(nb)
		setBox(box, p, eps)
		for _, tp := range tree.RangeSearch(box) {
			q := tp.(*findPoint)
			if dist2(p, q.c) <= eps2 {
				nb = append(nb, q.i)
			}
		}
	}
	start[n] = len(nb)
	core := make([]bool, n)
	for i := range n {
		core[i] = start[i+1]-start[i] >= minPts
	}

	// Clusters: connected components of the core points.
	label := make([]int, n)
	for i := range label {
		label[i] = -1
	}
	clusters := 0
	var queue []int
	for i := range n {
		if !core[i] || label[i] >= 0 {
			continue
		}
		label[i] = clusters
		queue = append(queue[:0], i)
		for len(queue) > 0 {
			c := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			for _, q := range nb[start[c]:start[c+1]] {
				if core[q] && label[q] < 0 {
					label[q] = clusters
					queue = append(queue, q)
				}
			}
		}
		clusters++
	}
	// Border points: the cluster of the nearest core neighbour, the earliest
	// on a tie.
	for i := range n {
		if core[i] {
			continue
		}
		best, bestD := -1, math.Inf(1)
		for _, q := range nb[start[i]:start[i+1]] {
			if core[q] {
				if d := dist2(points[i], points[q]); d < bestD || d == bestD && q < best {
					best, bestD = q, d
				}
			}
		}
		if best >= 0 {
			label[i] = label[best]
		}
	}

	hs := make([]Hotspot, clusters)
	for i, p := range points {
		c := label[i]
		if c < 0 {
			continue
		}
		h := &hs[c]
		if h.Count == 0 {
			h.Min = slices.Clone(p)
			h.Max = slices.Clone(p)
		} else {
			for d, x := range p {
				h.Min[d] = min(h.Min[d], x)
				h.Max[d] = max(h.Max[d], x)
			}
		}
		h.Count++
	}
	for i := range hs {
		hs[i].Density = density(hs[i].Count, hs[i].Min, hs[i].Max, eps)
	}
	slices.SortFunc(hs, Compare)
	return hs, nil
}

// balanced returns a balanced k-d tree over the points idx, whose
// coordinates are coords[i*dims : (i+1)*dims] and whose tree points point
// returns. kdtree.New would sort the points through sort.Interface at every
// node, allocating as it goes; inserting the medians in preorder gives a
// balanced tree for a fraction of the cost. The split point is the first
// point equal to the median, so that everything before it is strictly
// smaller and Insert, which sends equal values right, lays the points out
// exactly as split. idx is reordered.
func balanced(idx []int32, dims int, coords []float64, point func(int32) kdtree.Point) *kdtree.KDTree {
	t := kdtree.New(nil)
	insertMedians(t, idx, dims, 0, coords, point)
	return t
}

func insertMedians(t *kdtree.KDTree, idx []int32, dims, axis int, coords []float64, point func(int32) kdtree.Point) {
	for len(idx) > 0 {
		slices.SortFunc(idx, func(a, b int32) int {
			return cmp.Compare(coords[int(a)*dims+axis], coords[int(b)*dims+axis])
		})
		mid := len(idx) / 2
		v := coords[int(idx[mid])*dims+axis]
		for mid > 0 && coords[int(idx[mid-1])*dims+axis] == v {
			mid--
		}
		t.Insert(point(idx[mid]))
		axis = (axis + 1) % dims
		insertMedians(t, idx[:mid], dims, axis, coords, point)
		idx = idx[mid+1:]
	}
}
