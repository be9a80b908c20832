package main

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rowtime/rowtime/examples/internal/clitest"
)

func TestGolden(t *testing.T) {
	out, errOut, code := clitest.Run(t, run, "", "-n", "400")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	clitest.Golden(t, "n400.golden", out)
	if !strings.HasPrefix(errOut, "hotspots: 400 records, 400 results, 0 undecodable") {
		t.Errorf("stderr: %s", errOut)
	}
	in, _, _ := clitest.Run(t, run, "", "-n", "400", "-gen")
	if fromIn, _, _ := clitest.Run(t, run, in, "-in", "-"); fromIn != out {
		t.Error("-in of the -gen output differs from the generated run")
	}
}

// naiveHotspot is one cluster as the test computes it.
type naiveHotspot struct {
	Density   float64   `json:"density"`
	MinValues []float64 `json:"minValues"`
	MaxValues []float64 `json:"maxValues"`
}

// naiveDBSCAN clusters pts by the definition in package hotspot's
// documentation, by brute force.
func naiveDBSCAN(pts [][2]float64, eps float64, minPts int) []naiveHotspot {
	n := len(pts)
	d2 := func(a, b [2]float64) float64 {
		dx, dy := a[0]-b[0], a[1]-b[1]
		return dx*dx + dy*dy
	}
	core := make([]bool, n)
	for i := range pts {
		c := 0
		for j := range pts {
			if d2(pts[i], pts[j]) <= eps*eps {
				c++
			}
		}
		core[i] = c >= minPts
	}
	label := make([]int, n)
	for i := range label {
		label[i] = -1
	}
	clusters := 0
	for i := range pts { // flood fill over core points
		if !core[i] || label[i] >= 0 {
			continue
		}
		stack := []int{i}
		label[i] = clusters
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for q := range pts {
				if core[q] && label[q] < 0 && d2(pts[p], pts[q]) <= eps*eps {
					label[q] = clusters
					stack = append(stack, q)
				}
			}
		}
		clusters++
	}
	for i := range pts { // border points: the nearest core point, earliest on ties
		if core[i] {
			continue
		}
		best, bd := -1, math.Inf(1)
		for j := range pts {
			if core[j] {
				if d := d2(pts[i], pts[j]); d <= eps*eps && d < bd {
					best, bd = j, d
				}
			}
		}
		if best >= 0 {
			label[i] = label[best]
		}
	}
	hs := make([]naiveHotspot, clusters)
	count := make([]int, clusters)
	for c := range hs {
		hs[c] = naiveHotspot{MinValues: []float64{math.Inf(1), math.Inf(1)}, MaxValues: []float64{math.Inf(-1), math.Inf(-1)}}
	}
	for i, p := range pts {
		if c := label[i]; c >= 0 {
			count[c]++
			for d := range 2 {
				hs[c].MinValues[d] = min(hs[c].MinValues[d], p[d])
				hs[c].MaxValues[d] = max(hs[c].MaxValues[d], p[d])
			}
		}
	}
	for c := range hs {
		area := 1.0
		for d := range 2 {
			area *= max(hs[c].MaxValues[d]-hs[c].MinValues[d], eps)
		}
		hs[c].Density = float64(count[c]) / area
	}
	slices.SortFunc(hs, func(a, b naiveHotspot) int {
		if a.Density != b.Density {
			return -cmp.Compare(a.Density, b.Density)
		}
		if c := slices.Compare(a.MinValues, b.MinValues); c != 0 {
			return c
		}
		return slices.Compare(a.MaxValues, b.MaxValues)
	})
	return hs
}

// TestNaive runs a small input with other field names, numbers as strings
// and extra fields, and checks every output line against a brute-force
// clustering of the window computed here, and against its input line.
func TestNaive(t *testing.T) {
	const window, eps, minPts = 40, 0.5, 4
	rng := rand.New(rand.NewPCG(3, 4))
	var lines []string
	var pts [][2]float64
	for i := range 160 {
		var p [2]float64
		switch {
		case i%3 == 0: // a cluster that moves at record 80
			c := 2.0
			if i >= 80 {
				c = 7
			}
			p = [2]float64{c + rng.Float64(), c + rng.Float64()}
		case i%7 == 0:
			p = [2]float64{5, 5} // exact duplicates
		default:
			p = [2]float64{rng.Float64() * 10, rng.Float64() * 10}
		}
		pts = append(pts, p)
		lon := strconv.FormatFloat(p[0], 'g', -1, 64)
		lat := strconv.FormatFloat(p[1], 'g', -1, 64)
		if i%2 == 0 {
			lat = `"` + lat + `"`
		}
		lines = append(lines, fmt.Sprintf(`{"id":%d, "pickup_longitude":%s,"pickup_latitude":%s,"meta":{"a":[1,2]}}`, i, lon, lat))
	}
	out, errOut, code := clitest.Run(t, run, strings.Join(lines, "\n")+"\n", "-in", "-", "-x", "pickup_longitude", "-y", "pickup_latitude",
		"-window", strconv.Itoa(window), "-radius", fmt.Sprint(eps), "-min", strconv.Itoa(minPts))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	outLines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(outLines) != len(lines) {
		t.Fatalf("%d lines out, %d in", len(outLines), len(lines))
	}
	sawHotspot := false
	for i, l := range outLines {
		// The input object, byte for byte, then the new field.
		prefix := strings.TrimSuffix(lines[i], "}") + `,"HOTSPOTS_RESULT":"`
		if !strings.HasPrefix(l, prefix) || !strings.HasSuffix(l, `"}`) {
			t.Fatalf("line %d: %s does not extend %s", i+1, l, lines[i])
		}
		var obj struct {
			Result string `json:"HOTSPOTS_RESULT"`
		}
		if err := json.Unmarshal([]byte(l), &obj); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		win := pts[max(0, i+1-window) : i+1]
		hs := naiveDBSCAN(win, eps, minPts)
		sawHotspot = sawHotspot || len(hs) > 0
		if hs == nil {
			hs = []naiveHotspot{}
		}
		want, err := json.Marshal(struct {
			Hotspots []naiveHotspot `json:"hotspots"`
		}{hs})
		if err != nil {
			t.Fatal(err)
		}
		if obj.Result != string(want) {
			t.Fatalf("line %d:\n got %s\nwant %s", i+1, obj.Result, want)
		}
	}
	if !sawHotspot {
		t.Fatal("the input never has a hotspot: the test checks nothing")
	}
}

func TestBadRecords(t *testing.T) {
	in := strings.Join([]string{
		`{"x":1,"y":2}`,
		`{"x":1}`,
		`{"x":"one","y":2}`,
		`[1,2]`,
		`null`,
		`{"x":"NaN","y":2}`,
		`{"x":1e400,"y":2}`,
		`  {"y":3, "x":4}  `,
		`{"x":1,"y":2`,
	}, "\n")
	out, errOut, code := clitest.Run(t, run, in, "-in", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	clitest.Contains(t, "stderr", errOut,
		`hotspots: line 2: undecodable: cannot read coordinates: no field "y"`,
		`hotspots: line 3: undecodable: cannot read coordinates: field "x"`,
		`hotspots: line 4: undecodable: not a JSON object`,
		`hotspots: line 5: undecodable: not a JSON object`,
		`hotspots: line 6: rejected:`,
		`hotspots: line 7: undecodable: cannot read coordinates: field "x": 1e400 is out of the range of float64`,
		`hotspots: line 9: undecodable:`,
		"hotspots: 9 records, 2 results, 6 undecodable, 0 late, 1 rejected\n",
	)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], `{"y":3, "x":4,"HOTSPOTS_RESULT":`) {
		t.Errorf("output:\n%s", out)
	}
	if out, _, _ := clitest.Run(t, run, "{}\n { } \n", "-in", "-", "-x", "a", "-y", "b"); out != "" {
		t.Errorf("objects without the fields gave %q", out)
	}
}

// TestSVG draws the last window of a generated run and checks that the file
// is well-formed XML with one rectangle per hotspot at least -min-density
// dense, as the last output line reports them.
func TestSVG(t *testing.T) {
	for _, minDensity := range []string{"40", "0", "1e9"} {
		t.Run("min-density="+minDensity, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "h.svg")
			out, errOut, code := clitest.Run(t, run, "", "-n", "1500", "-svg", file, "-min-density", minDensity)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			var last struct {
				Result string `json:"HOTSPOTS_RESULT"`
			}
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
				t.Fatal(err)
			}
			var res struct{ Hotspots []naiveHotspot }
			if err := json.Unmarshal([]byte(last.Result), &res); err != nil {
				t.Fatal(err)
			}
			md, _ := strconv.ParseFloat(minDensity, 64)
			want := 0
			for _, h := range res.Hotspots {
				if h.Density >= md {
					want++
				}
			}
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rects, circles := 0, 0
			dec := xml.NewDecoder(f)
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed XML: %v", err)
				}
				if se, ok := tok.(xml.StartElement); ok {
					switch se.Name.Local {
					case "rect":
						rects++
					case "circle":
						circles++
					}
				}
			}
			if rects != want {
				t.Errorf("%d rectangles, want %d (hotspots: %v)", rects, want, res.Hotspots)
			}
			if circles < 1000 { // the window's points, plus the legend's
				t.Errorf("%d circles", circles)
			}
			if minDensity == "40" && want == 0 {
				t.Error("no hotspot drawn at the default density: the test checks little")
			}
		})
	}
}

func TestExitStatus(t *testing.T) {
	clitest.ExitStatus(t, run, []clitest.Exit{
		{Name: "help", Args: []string{"-h"}, Code: 0},
		{Name: "window", Args: []string{"-window", "1"}, Code: 2},
		{Name: "radius", Args: []string{"-radius", "0"}, Code: 2},
		{Name: "min", Args: []string{"-min", "1"}, Code: 2},
		{Name: "min above window", Args: []string{"-window", "10", "-min", "11"}, Code: 2},
		{Name: "same fields", Args: []string{"-x", "a", "-y", "a"}, Code: 2},
		{Name: "empty field", Args: []string{"-x", ""}, Code: 2},
		{Name: "missing input", Args: []string{"-in", filepath.Join(t.TempDir(), "none")}, Code: 1},
		{Name: "unwritable svg", Args: []string{"-n", "10", "-svg", filepath.Join(t.TempDir(), "no", "such", "dir.svg")}, Code: 1},
		{Name: "zero records", Args: []string{"-n", "0", "-svg", filepath.Join(t.TempDir(), "empty.svg")}, Code: 0},
	})
}

// mapDecode is decode done the plain way, through a map, as an oracle.
func mapDecode(line []byte, xName, yName string) (x, y float64, ok bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(line, &obj) != nil || obj == nil {
		return 0, 0, false
	}
	num := func(raw json.RawMessage) (float64, bool) {
		if raw == nil {
			return 0, false
		}
		s := string(raw)
		if raw[0] == '"' && json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	x, okx := num(obj[xName])
	y, oky := num(obj[yName])
	return x, y, okx && oky
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"x":1,"y":2}`, `{"y":"3.5","x":-4e2,"z":{"x":[1,{"y":2}]}}`, `{"x":1,"x":5,"y":2}`,
		`{"\u0078":7,"y":"\u0031"}`, `{"x":"1\"","y":2}`, `{}`, `[]`, `null`, `{"x":1,"y":2`,
		` {"a":[],"x":0,"b":"}","y":1e400} `, `{"x":true,"y":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		x, y, err := decode(line, "x", "y")
		wx, wy, ok := mapDecode(line, "x", "y")
		if (err == nil) != ok {
			t.Fatalf("decode(%q): %v; the map says ok=%v", line, err, ok)
		}
		if ok && (!sameFloat(x, wx) || !sameFloat(y, wy)) {
			t.Fatalf("decode(%q) = %v, %v; the map gives %v, %v", line, x, y, wx, wy)
		}
	})
}

func sameFloat(a, b float64) bool { return a == b || (a != a && b != b) }
