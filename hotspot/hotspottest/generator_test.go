package hotspottest_test

import (
	"math"
	"testing"

	"github.com/rowtime/rowtime/hotspot/hotspottest"
)

func TestGenerator(t *testing.T) {
	a, b := hotspottest.NewGenerator(3), hotspottest.NewGenerator(3)
	other := hotspottest.NewGenerator(4)
	hot, same := 0, 0
	const n = 5000
	var sq hotspottest.Square
	for i := range n {
		p, q, o := a.Next(), b.Next(), other.Next()
		if p != q {
			t.Fatalf("point %d differs between generators with one seed: %+v, %+v", i, p, q)
		}
		if p == o {
			same++
		}
		if p.Index != i || a.Square() != p.Square {
			t.Fatalf("point %d: %+v, Square() = %+v", i, p, a.Square())
		}
		if i%hotspottest.Move == 0 {
			if p.Square == sq {
				t.Fatalf("square did not move at point %d", i)
			}
			sq = p.Square
		} else if p.Square != sq {
			t.Fatalf("square moved at point %d", i)
		}
		if sq.MinX < 0 || sq.MaxX > hotspottest.Field || sq.MinY < 0 || sq.MaxY > hotspottest.Field ||
			math.Abs(sq.MaxX-sq.MinX-hotspottest.Side) > 1e-12 || math.Abs(sq.MaxY-sq.MinY-hotspottest.Side) > 1e-12 {
			t.Fatalf("square %+v is not a unit square in the field", sq)
		}
		if p.X < 0 || p.X >= hotspottest.Field || p.Y < 0 || p.Y >= hotspottest.Field {
			t.Fatalf("point %+v outside the field", p)
		}
		if p.Hot {
			hot++
			if !sq.Overlaps([]float64{p.X, p.Y}, []float64{p.X, p.Y}) {
				t.Fatalf("hot point %+v outside its square", p)
			}
		}
	}
	if same > 0 {
		t.Errorf("%d points equal across seeds", same)
	}
	if f := float64(hot) / n; math.Abs(f-hotspottest.HotFraction) > 0.03 {
		t.Errorf("hot fraction %.3f, want about %.2f", f, hotspottest.HotFraction)
	}
}
