package hotspot

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rowtime/rowtime/hotspot/hotspottest"
	"github.com/rowtime/rowtime/record"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestKDAWorkload checks what KDA's example showed on its own generator:
// with HOTSPOTS(1000, 0.2, 17), once the window is full a hotspot of density
// ≥ 40 is reported for almost every record, and such hotspots sit on the
// planted square (the current one, or the previous one still in the window).
func TestKDAWorkload(t *testing.T) {
	t.Parallel()
	count := 20000
	if testing.Short() {
		count = 6000
	}
	op, err := New(1000, 0.2, 17, xyCoords, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := hotspottest.NewGenerator(7)
	var prev, cur hotspottest.Square
	var checked, dense, onSquare int
	for i := range count {
		p := g.Next()
		if p.Square != cur {
			prev, cur = cur, p.Square
		}
		err := op.Push(xy{Time: record.Time(i), Value: [2]float64{p.X, p.Y}}, func(r Result[xy]) {
			if i < 1000 {
				return
			}
			checked++
			found, ok := false, true
			for _, h := range r.Hotspots {
				if h.Density < 40 {
					continue
				}
				found = true
				if !cur.Overlaps(h.Min, h.Max) && !prev.Overlaps(h.Min, h.Max) {
					ok = false
				}
			}
			if found {
				dense++
			}
			if ok {
				onSquare++
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := float64(dense) / float64(checked); got < 0.95 {
		t.Errorf("a hotspot of density ≥ 40 for %.2f%% of records, want ≥ 95%%", 100*got)
	}
	if got := float64(onSquare) / float64(checked); got < 0.99 {
		t.Errorf("dense hotspots on the planted squares for %.2f%% of records, want ≥ 99%%", 100*got)
	}
	t.Logf("dense %.2f%%, on square %.2f%% of %d records", 100*float64(dense)/float64(checked), 100*float64(onSquare)/float64(checked), checked)
}

// TestSearchesPerRecord checks the work a record costs: one tree search per
// pane holding a tree, so on average no more than the number of panes + 1,
// whatever N.
func TestSearchesPerRecord(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ n, pane int }{
		{100, 0}, {1000, 0}, {5000, 0}, {1000, 100}, {1000, 1000}, {2000, 37},
	} {
		t.Run(fmt.Sprintf("n=%d/pane=%d", c.n, c.pane), func(t *testing.T) {
			op, err := New(c.n, 0.2, 17, xyCoords, &Options{PaneSize: c.pane})
			if err != nil {
				t.Fatal(err)
			}
			pane := c.pane
			if pane == 0 {
				pane = DefaultPaneSize(c.n)
			}
			records := 3 * c.n
			if testing.Short() && c.n > 1000 {
				records = c.n + 1000
			}
			for _, r := range benchRecords(records) {
				if err := op.Push(r, func(Result[xy]) {}); err != nil {
					t.Fatal(err)
				}
			}
			st := op.Stats()
			panes := (c.n + pane - 1) / pane
			perRecord := float64(st.Searches) / float64(st.Records)
			if perRecord > float64(panes+1) {
				t.Errorf("%.2f tree searches per record, want ≤ panes + 1 = %d", perRecord, panes+1)
			}
			if st.Panes > panes+1 {
				t.Errorf("%d trees held, want ≤ %d", st.Panes, panes+1)
			}
			if st.Window != c.n || st.Rejected != 0 {
				t.Errorf("Stats = %+v", st)
			}
		})
	}
}

func TestGoldenJSON(t *testing.T) {
	op, err := New(300, 0.2, 10, xyCoords, &Options{Every: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, r := range benchRecords(3000) {
		err := op.Push(r, func(res Result[xy]) {
			out = fmt.Appendf(out, "%d ", res.EventTime())
			out, err = res.AppendJSON(out)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, '\n')
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join("testdata", "hotspots.golden")
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(out)); diff != "" {
		t.Errorf("JSON differs from %s (-want +got); rerun with -update if intended:\n%s", path, diff)
	}
}

func TestAppendJSONNumbers(t *testing.T) {
	hs := []Hotspot{{Count: 3, Density: 1e21, Min: []float64{-0.0000001, 0}, Max: []float64{1.5e-7, 123456789}}}
	got, err := AppendJSON([]byte("x"), hs)
	if err != nil {
		t.Fatal(err)
	}
	want := `x{"hotspots":[{"density":1e+21,"minValues":[-1e-7,0],"maxValues":[1.5e-7,123456789]}]}`
	if string(got) != want {
		t.Errorf("AppendJSON = %s\nwant          %s", got, want)
	}
	empty, _ := AppendJSON(nil, nil)
	if string(empty) != `{"hotspots":[]}` {
		t.Errorf("no hotspots: %s", empty)
	}
	if _, err := AppendJSON(nil, []Hotspot{{Count: 1, Density: math.Inf(1), Min: []float64{0}, Max: []float64{0}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("infinite density: err = %v", err)
	}
}

func TestOptions(t *testing.T) {
	recs := randomRecords(5, 600, 2, false)
	all := trace(t, mustNew(t, 50, 0.25, 5, nil), recs)
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"every 1", Options{Every: 1}},
		{"every 7", Options{Every: 7}},
		{"only changes", Options{OnlyChanges: true}},
		{"every 3, only changes", Options{Every: 3, OnlyChanges: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var want []string
			last := `{"hotspots":[]}`
			every := max(c.opts.Every, 1)
			for i, line := range all {
				if (i+1)%every != 0 {
					continue
				}
				_, js, _ := bytesCut(line)
				if c.opts.OnlyChanges && js == last {
					continue
				}
				last = js
				want = append(want, line)
			}
			got := trace(t, mustNew(t, 50, 0.25, 5, &c.opts), recs)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

func bytesCut(line string) (string, string, bool) {
	i := bytes.IndexByte([]byte(line), ' ')
	return line[:i], line[i+1:], i >= 0
}

func mustNew(t testing.TB, n int, eps float64, minPts int, opts *Options) *Operator[pt] {
	t.Helper()
	op, err := New(n, eps, minPts, pointCoords, opts)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func TestPushRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		opts *Options
		p    []float64
	}{
		{"wrong dimension", nil, []float64{1, 2, 3}},
		{"too few", &Options{Dims: 2}, []float64{1}},
		{"none", nil, nil},
		{"NaN", nil, []float64{math.NaN(), 0}},
		{"Inf", nil, []float64{0, math.Inf(1)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			op := mustNew(t, 10, 0.5, 2, c.opts)
			if c.name != "none" {
				trace(t, op, []pt{{Value: []float64{0, 0}}, {Value: []float64{0.25, 0}}})
			}
			before, _ := op.AppendSnapshot(nil)
			emitted := false
			err := op.Push(pt{Value: c.p}, func(Result[pt]) { emitted = true })
			if !errors.Is(err, ErrPoint) {
				t.Fatalf("Push: err = %v, want ErrPoint", err)
			}
			if emitted {
				t.Error("a rejected record was emitted")
			}
			st := op.Stats()
			if st.Rejected != 1 {
				t.Errorf("Stats.Rejected = %d, want 1", st.Rejected)
			}
			after, _ := op.AppendSnapshot(nil)
			// Only the rejected counter may differ.
			op2 := mustNew(t, 10, 0.5, 2, c.opts)
			if err := op2.Restore(before); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(op2.Hotspots()) != fmt.Sprint(op.Hotspots()) || len(before) != len(after) {
				t.Error("a rejected record changed the window")
			}
		})
	}
}

// TestOperatorFindCases runs the hand-made Find cases through the operator
// with a window holding all their points.
func TestOperatorFindCases(t *testing.T) {
	pts := [][]float64{
		{0, 0}, {2, 0}, {1, 0},
		{0, 1}, {0, -1}, {-1, 0}, {2, 1}, {2, -1}, {3, 0},
	}
	for _, n := range []int{len(pts), 4, 2} {
		op := mustNew(t, n, 1, 2, nil)
		for i, p := range pts {
			if err := op.Push(pt{Value: p}, func(Result[pt]) {}); err != nil {
				t.Fatal(err)
			}
			want, _ := Find(pts[max(0, i+1-n):i+1], 1, 2)
			if diff := cmp.Diff(want, op.Hotspots(), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("n=%d after %d: (-want +got):\n%s", n, i, diff)
			}
		}
	}
}

// FuzzPush pushes arbitrary coordinates (any float64 bits, NaN and infinities
// included) and checks the operator against Find over the accepted points.
func FuzzPush(f *testing.F) {
	f.Add([]byte{}, uint8(3))
	seed := func(xs ...float64) []byte {
		var b []byte
		for _, x := range xs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		return b
	}
	f.Add(seed(0, 0, 0.5, 0, 0.5, 0.5, 1, 1, 0, 0, math.NaN(), 1, 2, 2, math.Inf(1), 3), uint8(2))
	f.Add(seed(1e300, -1e300, 1e300, 1e300, -1e308, 1e-320, 0, -0.0, 0, 0, 0.25, 0.25, 0.25, 0.25), uint8(4))
	f.Add(seed(0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1, 0.2, 0.30000000000000004, 0.1, 0.2, 0.3), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, minPts uint8) {
		const n, eps = 6, 0.5
		mp := 2 + int(minPts)%(n-1)
		op := mustNew(t, n, eps, mp, &Options{Dims: 2})
		var window [][]float64
		for len(data) >= 16 {
			p := []float64{
				math.Float64frombits(binary.LittleEndian.Uint64(data)),
				math.Float64frombits(binary.LittleEndian.Uint64(data[8:])),
			}
			data = data[16:]
			err := op.Push(pt{Value: p}, func(Result[pt]) {})
			bad := math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0)
			if bad != (err != nil) {
				t.Fatalf("Push(%v): err = %v", p, err)
			}
			if err == nil {
				window = append(window, p)
				if len(window) > n {
					window = window[1:]
				}
			}
			want, err := Find(window, eps, mp)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, op.Hotspots(), cmpopts.EquateEmpty(), cmpopts.EquateNaNs()); diff != "" {
				t.Fatalf("after %v: (-want +got):\n%s", p, diff)
			}
		}
	})
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	type jsonHotspot struct {
		Density   float64   `json:"density"`
		MinValues []float64 `json:"minValues"`
		MaxValues []float64 `json:"maxValues"`
	}
	type jsonResult struct {
		Hotspots []jsonHotspot `json:"hotspots"`
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var hs []Hotspot
		var jr jsonResult
		jr.Hotspots = []jsonHotspot{}
		for range rng.IntN(3) {
			f := func() float64 {
				x := math.Float64frombits(rng.Uint64())
				if math.IsNaN(x) || math.IsInf(x, 0) || rng.IntN(2) == 0 {
					x = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(50)-25))
				}
				return x
			}
			h := Hotspot{Density: f(), Min: []float64{f(), f()}, Max: []float64{f(), f()}}
			hs = append(hs, h)
			jr.Hotspots = append(jr.Hotspots, jsonHotspot{h.Density, h.Min, h.Max})
		}
		got, err := AppendJSON(nil, hs)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(jr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON = %s\nencoding/json %s", got, want)
		}
	}
}
