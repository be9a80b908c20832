package hotspot

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// bruteForce is DBSCAN written straight from the definition, O(n²): the
// oracle for Find and for the operator.
func bruteForce(points [][]float64, eps float64, minPts int) []Hotspot {
	n := len(points)
	eps2 := eps * eps
	near := func(i, j int) (float64, bool) {
		s := 0.0
		for d := range points[i] {
			x := points[i][d] - points[j][d]
			s += x * x
		}
		return s, s <= eps2
	}
	core := make([]bool, n)
	for i := range n {
		c := 0
		for j := range n {
			if _, ok := near(i, j); ok {
				c++
			}
		}
		core[i] = c >= minPts
	}
	// Union-find over core points.
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			i = parent[i]
		}
		return i
	}
	for i := range n {
		for j := range i {
			if core[i] && core[j] {
				if _, ok := near(i, j); ok {
					parent[find(i)] = find(j)
				}
			}
		}
	}
	group := make([]int, n) // root of the cluster, -1 for noise
	for i := range n {
		group[i] = -1
		if core[i] {
			group[i] = find(i)
			continue
		}
		best, bestD := -1, math.Inf(1)
		for j := range n { // ascending j: the earliest wins a tie
			if d, ok := near(i, j); ok && core[j] && d < bestD {
				best, bestD = j, d
			}
		}
		if best >= 0 {
			group[i] = find(best)
		}
	}
	byRoot := map[int]*Hotspot{}
	for i, p := range points {
		g := group[i]
		if g < 0 {
			continue
		}
		h, ok := byRoot[g]
		if !ok {
			h = &Hotspot{Min: slices.Clone(p), Max: slices.Clone(p)}
			byRoot[g] = h
		}
		h.Count++
		for d, x := range p {
			h.Min[d] = min(h.Min[d], x)
			h.Max[d] = max(h.Max[d], x)
		}
	}
	var hs []Hotspot
	for _, h := range byRoot {
		area := 1.0
		for d := range h.Min {
			area *= max(h.Max[d]-h.Min[d], eps)
		}
		h.Density = float64(h.Count) / area
		hs = append(hs, *h)
	}
	slices.SortFunc(hs, Compare)
	return hs
}

// testPoints makes fixed-seed data of the given dimension: a few Gaussian
// clusters, uniform noise, exact duplicates, collinear runs and pairs
// exactly ε apart on a grid.
func testPoints(seed uint64, dims, n int, eps float64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	var pts [][]float64
	centres := make([][]float64, 3)
	for i := range centres {
		centres[i] = make([]float64, dims)
		for d := range dims {
			centres[i][d] = rng.Float64() * 4
		}
	}
	for len(pts) < n {
		p := make([]float64, dims)
		switch k := rng.IntN(10); {
		case k < 4: // cluster
			c := centres[rng.IntN(len(centres))]
			for d := range dims {
				p[d] = c[d] + rng.NormFloat64()*eps
			}
		case k < 6: // noise
			for d := range dims {
				p[d] = rng.Float64() * 4
			}
		case k < 7 && len(pts) > 0: // duplicate
			copy(p, pts[rng.IntN(len(pts))])
		case k < 8: // collinear, on the first axis
			p[0] = float64(rng.IntN(40)) * eps / 3
			for d := 1; d < dims; d++ {
				p[d] = 1
			}
		default: // a grid with spacing ε (binary fractions, exact)
			for d := range dims {
				p[d] = float64(rng.IntN(6)) * eps
			}
		}
		pts = append(pts, p)
	}
	return pts
}

func TestFindMatchesBruteForce(t *testing.T) {
	t.Parallel()
	size, seeds := 300, uint64(3)
	if testing.Short() {
		size, seeds = 120, 2
	}
	for dims := 1; dims <= 4; dims++ {
		for _, eps := range []float64{0.25, 0.5} { // exact binary fractions
			for _, minPts := range []int{2, 4, 9} {
				for seed := range seeds {
					pts := testPoints(seed, dims, size, eps)
					got, err := Find(pts, eps, minPts)
					if err != nil {
						t.Fatal(err)
					}
					want := bruteForce(pts, eps, minPts)
					if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
						t.Fatalf("dims=%d eps=%v minPts=%d seed=%d: Find differs from brute force (-want +got):\n%s", dims, eps, minPts, seed, diff)
					}
				}
			}
		}
	}
}
