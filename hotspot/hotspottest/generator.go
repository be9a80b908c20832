// Package hotspottest generates the HOTSPOTS workload of KDA's own test
// generator, for tests, benchmarks and examples of package hotspot.
//
// A 10 × 10 field holds a 1 × 1 square, the planted hotspot, placed uniformly
// at random and moved to a new random place every 1,000 points. Each point
// falls inside the square with probability 0.2 (and is marked hot), otherwise
// uniformly anywhere in the field. KDA's example ran
// HOTSPOTS(window 1000, radius 0.2, minPts 17) over it.
package hotspottest

import "math/rand/v2"

// The workload's constants.
const (
	Field       = 10.0 // the field is [0, Field) × [0, Field)
	Side        = 1.0  // the planted square's side
	Move        = 1000 // points between moves of the square
	HotFraction = 0.2  // share of points placed inside the square
)

// Square is an axis-aligned square (or any box) [MinX, MaxX] × [MinY, MaxY].
type Square struct {
	MinX, MinY, MaxX, MaxY float64
}

// Overlaps reports whether the box min–max (two coordinates each, x then y)
// intersects s, edges included.
func (s Square) Overlaps(min, max []float64) bool {
	return min[0] <= s.MaxX && max[0] >= s.MinX && min[1] <= s.MaxY && max[1] >= s.MinY
}

// Point is one generated point.
type Point struct {
	X, Y   float64
	Hot    bool   // drawn inside the planted square
	Square Square // the planted square when the point was drawn
	Index  int    // 0 for the first point, counting up
}

// A Generator produces the workload, deterministically for a seed.
type Generator struct {
	rng    *rand.Rand
	square Square
	next   int
}

// NewGenerator returns a generator seeded with seed: two generators with the
// same seed produce the same points.
func NewGenerator(seed uint64) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// Next returns the next point.
func (g *Generator) Next() Point {
	if g.next%Move == 0 {
		x := g.rng.Float64() * (Field - Side)
		y := g.rng.Float64() * (Field - Side)
		g.square = Square{MinX: x, MinY: y, MaxX: x + Side, MaxY: y + Side}
	}
	p := Point{Square: g.square, Index: g.next}
	g.next++
	if g.rng.Float64() < HotFraction {
		p.Hot = true
		p.X = g.square.MinX + g.rng.Float64()*Side
		p.Y = g.square.MinY + g.rng.Float64()*Side
	} else {
		p.X = g.rng.Float64() * Field
		p.Y = g.rng.Float64() * Field
	}
	return p
}

// Square returns the planted square of the point Next returned last.
func (g *Generator) Square() Square { return g.square }

// Points returns the next n points.
func (g *Generator) Points(n int) []Point {
	ps := make([]Point, n)
	for i := range ps {
		ps[i] = g.Next()
	}
	return ps
}
