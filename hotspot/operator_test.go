package hotspot

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rowtime/rowtime/hotspot/hotspottest"
	"github.com/rowtime/rowtime/record"
)

type pt = record.Of[[]float64]

func pointCoords(dst []float64, r pt) []float64 { return append(dst, r.Value...) }

// stream is a named fixed-seed point stream.
type stream struct {
	name           string
	points         [][]float64
	n              int
	eps            float64
	minPts         int
	wantNoHotspots bool
}

func generatorPoints(seed uint64, count int) [][]float64 {
	g := hotspottest.NewGenerator(seed)
	pts := make([][]float64, count)
	for i := range pts {
		p := g.Next()
		pts[i] = []float64{p.X, p.Y}
	}
	return pts
}

func streams(short bool) []stream {
	count := 20000
	if short {
		count = 3000
	}
	rng := rand.New(rand.NewPCG(3, 3))
	var d3 [][]float64
	for i := range count / 4 {
		// Three blobs that drift, plus background, in 3-D.
		t := float64(i) / 1000
		switch rng.IntN(4) {
		case 0:
			d3 = append(d3, []float64{rng.Float64() * 5, rng.Float64() * 5, rng.Float64() * 5})
		default:
			c := float64(rng.IntN(3))
			d3 = append(d3, []float64{
				c + math.Sin(t) + rng.NormFloat64()*0.4,
				c + rng.NormFloat64()*0.4,
				math.Cos(t) + rng.NormFloat64()*0.4,
			})
		}
	}
	var sparse [][]float64
	for range count / 4 {
		sparse = append(sparse, []float64{rng.Float64() * 1000, rng.Float64() * 1000})
	}
	return []stream{
		{name: "generator", points: generatorPoints(1, count), n: 1000, eps: 0.2, minPts: 17},
		{name: "3d", points: d3, n: 200, eps: 0.25, minPts: 6},
		{name: "sparse", points: sparse, n: 300, eps: 0.5, minPts: 3, wantNoHotspots: true},
		{name: "grid", points: testPoints(9, 2, count/5, 0.25), n: 120, eps: 0.25, minPts: 4},
		{name: "small-window", points: testPoints(5, 2, count/8, 0.5), n: 7, eps: 0.5, minPts: 2},
	}
}

// TestOperatorMatchesFind checks the operator against Find on the current
// window after every record for the first 3,000 records and every 25th after
// (under -short, every 40th record of shorter streams).
func TestOperatorMatchesFind(t *testing.T) {
	check := func(i int) bool { return i < 3000 || i%25 == 0 }
	if testing.Short() {
		check = func(i int) bool { return i%40 == 0 }
	}
	for _, s := range streams(testing.Short()) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			op, err := New(s.n, s.eps, s.minPts, pointCoords, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []Hotspot
			emits, seen := 0, 0
			for i, p := range s.points {
				err := op.Push(pt{Time: record.Time(i), Value: p}, func(r Result[pt]) {
					emits++
					got = r.Hotspots
				})
				if err != nil {
					t.Fatal(err)
				}
				if !check(i) {
					continue
				}
				lo := max(0, i+1-s.n)
				want, err := Find(s.points[lo:i+1], s.eps, s.minPts)
				if err != nil {
					t.Fatal(err)
				}
				if len(want) > 0 {
					seen++
				}
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("after record %d: operator differs from Find (-want +got):\n%s", i, diff)
				}
			}
			if emits != len(s.points) {
				t.Errorf("emitted %d results for %d records", emits, len(s.points))
			}
			if s.wantNoHotspots != (seen == 0) {
				t.Errorf("hotspots found after %d checked records; want none: %v", seen, s.wantNoHotspots)
			}
			st := op.Stats()
			if st.Window != min(s.n, len(s.points)) || st.Records != uint64(len(s.points)) {
				t.Errorf("Stats = %+v", st)
			}
		})
	}
}

func TestNewInvalid(t *testing.T) {
	for _, c := range []struct {
		name   string
		n      int
		eps    float64
		minPts int
		opts   *Options
	}{
		{"n<2", 1, 0.2, 2, nil},
		{"eps=0", 10, 0, 2, nil},
		{"eps<0", 10, -1, 2, nil},
		{"eps=NaN", 10, math.NaN(), 2, nil},
		{"eps=Inf", 10, math.Inf(1), 2, nil},
		{"minPts<2", 10, 0.2, 1, nil},
		{"minPts>n", 10, 0.2, 11, nil},
		{"dims<0", 10, 0.2, 2, &Options{Dims: -1}},
		{"every<0", 10, 0.2, 2, &Options{Every: -1}},
		{"pane>n", 10, 0.2, 2, &Options{PaneSize: 11}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.n, c.eps, c.minPts, pointCoords, c.opts)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("New: err = %v, want ErrInvalid", err)
			}
		})
	}
}

// TestLargeWindow builds a window of a million points (KDA stopped at
// 1,000) and checks it against Find while it fills.
func TestLargeWindow(t *testing.T) {
	t.Parallel()
	const n = 1_000_000
	pane := DefaultPaneSize(n)
	if testing.Short() {
		pane = 1000
	}
	op, err := New(n, 0.2, 17, xyCoords, &Options{PaneSize: pane})
	if err != nil {
		t.Fatal(err)
	}
	count := pane * 3 / 2 // two panes: one tree, one scanned
	recs := benchRecords(count)
	pts := make([][]float64, len(recs))
	for i, r := range recs {
		pts[i] = []float64{r.Value[0], r.Value[1]}
		if err := op.Push(r, func(Result[xy]) {}); err != nil {
			t.Fatal(err)
		}
	}
	want, err := Find(pts, 0.2, 17)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, op.Hotspots(), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if st := op.Stats(); st.Window != count || st.Panes != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestResultClone(t *testing.T) {
	op := mustNew(t, 10, 0.5, 2, nil)
	var kept []Result[pt]
	for i, p := range [][]float64{{0, 0}, {0.25, 0}, {5, 5}, {5, 5.25}} {
		op.Push(pt{Time: record.Time(i), Value: p}, func(r Result[pt]) {
			kept = append(kept, r.Clone())
		})
	}
	want := []string{
		`{"hotspots":[]}`,
		`{"hotspots":[{"density":8,"minValues":[0,0],"maxValues":[0.25,0]}]}`,
		`{"hotspots":[{"density":8,"minValues":[0,0],"maxValues":[0.25,0]}]}`,
		`{"hotspots":[{"density":8,"minValues":[0,0],"maxValues":[0.25,0]},{"density":8,"minValues":[5,5],"maxValues":[5,5.25]}]}`,
	}
	for i, r := range kept {
		b, _ := r.AppendJSON(nil)
		if string(b) != want[i] {
			t.Errorf("clone %d = %s, want %s", i, b, want[i])
		}
		if r.EventTime() != record.Time(i) {
			t.Errorf("clone %d has time %d", i, r.EventTime())
		}
	}
}
