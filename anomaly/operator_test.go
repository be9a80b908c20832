package anomaly

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rowtime/rowtime/record"
)

// reading is a test record: a sensor, a time and two values.
type reading struct {
	T      record.Time
	Sensor string
	A, B   float64
	Bad    bool // the values function fails on it
}

func (r reading) EventTime() record.Time { return r.T }

var errMissing = errors.New("field B missing")

func readingValues(dst []float64, r reading) ([]float64, error) {
	if r.Bad {
		return dst, errMissing
	}
	return append(dst, r.A, r.B), nil
}

func sensorKey(r reading) string { return r.Sensor }

// readings is a fixed-seed stream over two sensors, rounded so that equal
// points (leaves of mass above 1) occur, with a spike now and then.
func readings(n int, seed uint64) []reading {
	rng := rand.New(rand.NewPCG(seed, 11))
	rs := make([]reading, n)
	for i := range rs {
		a := math.Round(rng.NormFloat64()*3) + 10
		b := math.Round(rng.NormFloat64()*2) - 5
		if rng.IntN(50) == 0 {
			a += 30
		}
		rs[i] = reading{T: record.Time(i), Sensor: []string{"s1", "s2"}[rng.IntN(2)], A: a, B: b}
	}
	return rs
}

var smallOptions = Options{Trees: 5, SampleSize: 16, TimeDecay: 40, ShingleSize: 2, Seed: 9, Explain: true}

func newSmall(t testing.TB) *Operator[reading, string] {
	op, err := NewKeyed([]string{"A", "B"}, sensorKey, readingValues, &smallOptions)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// collect pushes rs and returns each result's JSON.
func collect(t testing.TB, op *Operator[reading, string], rs []reading) []string {
	var out []string
	for _, r := range rs {
		if err := op.Push(r, func(res Result[reading]) {
			out = append(out, fmt.Sprintf("%s %d %s", res.Record.Sensor, res.Record.T, res.AppendJSON(nil)))
		}); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestSnapshotAtEveryCut(t *testing.T) {
	rs := readings(200, 1)
	op := newSmall(t)
	var want []string
	var snaps [][]byte
	for i := range rs {
		s, err := op.AppendSnapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, s)
		want = append(want, collect(t, op, rs[i:i+1])...)
	}
	for cut, s := range snaps {
		op2 := newSmall(t)
		if err := op2.Restore(s); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		got := collect(t, op2, rs[cut:])
		for i := range got {
			if got[i] != want[cut+i] {
				t.Fatalf("cut %d: record %d: %s, uninterrupted %s", cut, cut+i, got[i], want[cut+i])
			}
		}
		if s1, s2 := op.Stats(), op2.Stats(); s1 != s2 {
			t.Fatalf("cut %d: stats %+v, uninterrupted %+v", cut, s2, s1)
		}
	}
}

func TestSnapshotRefusals(t *testing.T) {
	op := newSmall(t)
	collect(t, op, readings(100, 2))
	good, err := op.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewKeyed([]string{"A", "B"}, sensorKey, readingValues, &Options{Trees: 6, SampleSize: 16, TimeDecay: 40, ShingleSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Restore(good); !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), "numberOfTrees") {
		t.Errorf("restore into other parameters: %v", err)
	}
	unkeyed, err := New([]string{"A", "B"}, readingValues, &smallOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := unkeyed.Restore(good); !errors.Is(err, ErrSnapshot) {
		t.Errorf("restore into an operator without keys: %v", err)
	}
	before, _ := op.AppendSnapshot(nil)
	for _, bad := range [][]byte{nil, good[:len(good)/2], append(bytes.Clone(good[:len(good)-1]), good[len(good)-1]^1)} {
		if err := op.Restore(bad); !errors.Is(err, ErrSnapshot) {
			t.Errorf("restore of %d bytes: %v", len(bad), err)
		}
	}
	// A body that passes the envelope but not the checks.
	body, _ := record.OpenSnapshot(good, op.descriptor())
	for _, broken := range [][]byte{body[:len(body)-1], append(bytes.Clone(body), 0)} {
		wrapped := record.EndSnapshot(append(record.BeginSnapshot(nil, op.descriptor()), broken...), 0)
		if err := op.Restore(wrapped); !errors.Is(err, ErrSnapshot) {
			t.Errorf("restore of a broken body: %v", err)
		}
	}
	after, _ := op.AppendSnapshot(nil)
	if !bytes.Equal(before, after) {
		t.Error("a failed restore changed the operator")
	}
}

func FuzzRestore(f *testing.F) {
	op := newSmall(f)
	f.Add([]byte{}, false)
	for _, n := range []int{0, 1, 3, 20, 60} {
		op2 := newSmall(f)
		collect(f, op2, readings(n, 3))
		s, err := op2.AppendSnapshot(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s, false)
		body, err := record.OpenSnapshot(s, op.descriptor())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body, true)
	}
	rs := readings(40, 4)
	f.Fuzz(func(t *testing.T, data []byte, wrap bool) {
		op := newSmall(t)
		if wrap {
			data = record.EndSnapshot(append(record.BeginSnapshot(nil, op.descriptor()), data...), 0)
		}
		if err := op.Restore(data); err != nil {
			if !errors.Is(err, ErrSnapshot) {
				t.Fatalf("error %v does not wrap ErrSnapshot", err)
			}
			return
		}
		// A restored state must take records without failing.
		for _, r := range rs {
			if err := op.Push(r, func(Result[reading]) {}); err != nil && !errors.Is(err, record.ErrFlushed) {
				t.Fatal(err)
			}
		}
	})
}

func TestBadInput(t *testing.T) {
	op := newSmall(t)
	collect(t, op, readings(60, 5))
	forest := func() []byte {
		var b []byte
		for _, f := range op.forests {
			b = f.appendState(b)
		}
		return b
	}
	before := forest()
	cases := []struct {
		name string
		r    reading
		want error
	}{
		{"NaN", reading{Sensor: "s1", A: math.NaN(), B: 1}, ErrValue},
		{"+Inf", reading{Sensor: "s1", A: 1, B: math.Inf(1)}, ErrValue},
		{"-Inf", reading{Sensor: "s2", A: math.Inf(-1), B: 1}, ErrValue},
		{"1e200", reading{Sensor: "s2", A: 1e200, B: 1}, ErrValue},
		{"missing field", reading{Sensor: "s1", Bad: true}, errMissing},
		{"NaN for a new key", reading{Sensor: "s3", A: math.NaN()}, ErrValue},
	}
	for _, c := range cases {
		err := op.Push(c.r, func(Result[reading]) { t.Errorf("%s: emitted", c.name) })
		if !errors.Is(err, c.want) || !errors.Is(err, record.ErrRefused) || !record.IsRefused(err) {
			t.Errorf("%s: %v, want a refusal wrapping %v", c.name, err, c.want)
		}
	}
	if !bytes.Equal(before, forest()) {
		t.Error("refused records changed a forest")
	}
	if s := op.Stats(); s.Refused != uint64(len(cases)) || s.Forests != 2 {
		t.Errorf("stats %+v", s)
	}

	// Too many values for the columns.
	wide, err := New([]string{"A"}, readingValues, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := wide.Push(reading{A: 1, B: 2}, func(Result[reading]) {}); !errors.Is(err, ErrValue) || !record.IsRefused(err) {
		t.Errorf("two values for one column: %v", err)
	}

	// MaxKeys.
	o := smallOptions
	o.MaxKeys = 1
	limited, err := NewKeyed([]string{"A", "B"}, sensorKey, readingValues, &o)
	if err != nil {
		t.Fatal(err)
	}
	if err := limited.Push(reading{Sensor: "x", A: 1, B: 1}, func(Result[reading]) {}); err != nil {
		t.Fatal(err)
	}
	if err := limited.Push(reading{Sensor: "y", A: 1, B: 1}, func(Result[reading]) {}); !errors.Is(err, ErrKeys) || !record.IsRefused(err) {
		t.Errorf("second key over MaxKeys 1: %v", err)
	}
	if s := limited.Stats(); s.Forests != 1 {
		t.Errorf("forests %d after a refused key", s.Forests)
	}

	// Push and Advance after Flush.
	if err := op.Flush(func(Result[reading]) {}); err != nil {
		t.Fatal(err)
	}
	if err := op.Push(readings(1, 1)[0], func(Result[reading]) {}); !errors.Is(err, record.ErrFlushed) {
		t.Errorf("Push after Flush: %v", err)
	}
	if err := op.Advance(5, func(Result[reading]) {}); !errors.Is(err, record.ErrFlushed) {
		t.Errorf("Advance after Flush: %v", err)
	}
}

func TestParametersOutOfRange(t *testing.T) {
	two := []string{"A", "B"}
	many := make([]string, 31)
	for i := range many {
		many[i] = fmt.Sprint("c", i)
	}
	cases := []struct {
		name    string
		columns []string
		o       Options
	}{
		{"no columns", nil, Options{}},
		{"31 columns", many, Options{}},
		{"duplicate column", []string{"A", "A"}, Options{}},
		{"empty column", []string{""}, Options{}},
		{"quote in column", []string{`a"b`}, Options{}},
		{"trees 1001", two, Options{Trees: 1001}},
		{"trees -1", two, Options{Trees: -1}},
		{"sample 9", two, Options{SampleSize: 9}},
		{"sample 1001", two, Options{SampleSize: 1001}},
		{"sample = decay", two, Options{SampleSize: 100, TimeDecay: 100}},
		{"decay -5", two, Options{TimeDecay: -5}},
		{"decay 2^31", two, Options{TimeDecay: math.MaxInt32 + 1}},
		{"shingle 31", two, Options{ShingleSize: 31}},
		{"shingle -1", two, Options{ShingleSize: -1}},
		{"MaxKeys -1", two, Options{MaxKeys: -1}},
	}
	for _, c := range cases {
		if _, err := New(c.columns, readingValues, &c.o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", c.name, err)
		}
	}
	if _, err := New[reading](two, nil, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil values: %v", err)
	}
	if _, err := NewKeyed[reading, string](two, nil, readingValues, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil key: %v", err)
	}
	for _, o := range []Options{{Trees: 1, SampleSize: 10, TimeDecay: 11, ShingleSize: 30}, {Trees: 1000, SampleSize: 1000, TimeDecay: math.MaxInt32}} {
		if _, err := New(two, readingValues, &o); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	if _, err := New(many[:30], readingValues, nil); err != nil {
		t.Errorf("30 columns: %v", err)
	}
}

// A keyed operator's forest for a key scores as an operator fed that key's
// records alone (the first key's forest has the operator's seed).
func TestKeyedForestsAreIndependent(t *testing.T) {
	rs := readings(300, 6)
	keyed := newSmall(t)
	o := smallOptions
	single, err := New([]string{"A", "B"}, readingValues, &o)
	if err != nil {
		t.Fatal(err)
	}
	first := rs[0].Sensor
	var got, want []string
	for _, r := range rs {
		if err := keyed.Push(r, func(res Result[reading]) {
			if res.Record.Sensor == first {
				got = append(got, string(res.AppendJSON(nil)))
			}
		}); err != nil {
			t.Fatal(err)
		}
		if r.Sensor != first {
			continue
		}
		if err := single.Push(r, func(res Result[reading]) { want = append(want, string(res.AppendJSON(nil))) }); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Error("the first key's scores differ from a forest of its own")
	}
	if s := keyed.Stats(); s.Forests != 2 || s.Records != 300 || s.Emitted != 300 || s.StateBytes <= 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestResultJSON(t *testing.T) {
	r := Result[reading]{Score: 1.25, columns: []string{"Systolic", "Diastolic"}}
	if got, want := string(r.AppendJSON(nil)), `{"ANOMALY_SCORE":1.25}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	r.Explanation = []Attribution{{High: 0.1435, Low: 0.2357}, {High: 0.5, Low: 0}}
	want := `{"ANOMALY_SCORE":1.25,"ANOMALY_EXPLANATION":"{\"Systolic\":{\"DIRECTION\":\"LOW\",\"STRENGTH\":\"0.0922\",\"ATTRIBUTION_SCORE\":\"0.3792\"},\"Diastolic\":{\"DIRECTION\":\"HIGH\",\"STRENGTH\":\"0.5000\",\"ATTRIBUTION_SCORE\":\"0.5000\"}}"}`
	if got := string(r.AppendJSON(nil)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// The leading zeros: ShingleSize−1 records before the first full shingle,
// then SampleSize points.
func TestLeadingZeros(t *testing.T) {
	for _, shingle := range []int{1, 2, 4} {
		f, err := NewForest(1, &Options{Trees: 10, SampleSize: 10, ShingleSize: shingle, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		xs := benchSeries(100, 1)
		zeros := 0
		for i, x := range xs {
			s, err := f.Update([]float64{x})
			if err != nil {
				t.Fatal(err)
			}
			if s == 0 && zeros == i {
				zeros++
			}
			if s < 0 || math.IsNaN(s) {
				t.Fatalf("score %v", s)
			}
		}
		if want := shingle - 1 + 10; zeros != want {
			t.Errorf("shingle %d: %d leading zeros, want %d", shingle, zeros, want)
		}
	}
}

// The hot path's score is the visitor's to the last bit.
func TestScoreEqualsVisitor(t *testing.T) {
	f := newForest(3, params{trees: 20, sample: 64, shingle: 1, timeDecay: 200, lambda: 1.0 / 200, seed: 4})
	rng := rand.New(rand.NewPCG(1, 2))
	p := make([]float64, 3)
	var v scoreVisitor
	for i := range 2000 {
		for j := range p {
			p[j] = math.Round(rng.NormFloat64() * 4)
		}
		if i > 64 {
			for _, tr := range f.trees {
				if a, b := tr.score(p), tr.scoreVisit(&v, p); a != b {
					t.Fatalf("record %d: score %v, visitor %v", i, a, b)
				}
			}
			want := 0.0
			for _, tr := range f.trees {
				want += tr.scoreVisit(&v, p)
			}
			if got := f.score(p); got != want/float64(len(f.trees)) {
				t.Fatalf("record %d: forest score %v, want %v", i, got, want/20)
			}
		}
		f.add(p)
	}
}

func TestDeterministic(t *testing.T) {
	run := func(seed uint64) []float64 {
		f, err := NewForest(1, &Options{Trees: 10, SampleSize: 32, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		var out []float64
		for _, x := range benchSeries(300, 2) {
			s, _ := f.Update([]float64{x})
			out = append(out, s)
		}
		return out
	}
	a, b, c := run(1), run(1), run(2)
	same, differ := true, false
	for i := range a {
		same = same && a[i] == b[i]
		differ = differ || a[i] != c[i]
	}
	if !same || !differ {
		t.Errorf("same seed same scores: %v; other seed other scores: %v", same, differ)
	}
}

// The samplers' shortcut rejects only points whose weight would be
// rejected, through long runs of multiplied bounds.
func TestSurelyRejectsAgreesWithTheWeight(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, lambda := range []float64{0, 1e-5, 1.0 / 257, 0.1} {
		tr := newTree(1, 10, 1, 1, nil)
		tr.size = int(tr.capacity)
		expLambda := math.Exp(lambda)
		seq := uint64(1000)
		rejected := 0
		for i := range 200_000 {
			if i%5000 == 0 {
				// A new heap maximum, near the boundary of what is kept.
				tr.heap[0].weight = -float64(seq)*lambda + rng.NormFloat64() - 3
				tr.boundSeq = 0
			}
			seq++
			u := rng.Float64()
			if u == 0 {
				continue
			}
			w := -float64(seq)*lambda + math.Log(-math.Log(u))
			if tr.surelyRejects(u, seq, lambda, expLambda) {
				rejected++
				if w < tr.heap[0].weight {
					t.Fatalf("λ %v, point %d: rejected a weight %v below the maximum %v", lambda, seq, w, tr.heap[0].weight)
				}
			}
		}
		if rejected == 0 {
			t.Errorf("λ %v: the shortcut never decided", lambda)
		}
	}
}

// Push allocates nothing once a key's forest exists, explanations included.
func TestPushDoesNotAllocate(t *testing.T) {
	op := newSmall(t)
	rs := readings(500, 9)
	collect(t, op, rs[:400])
	i := 400
	emit := func(Result[reading]) {}
	allocs := testing.AllocsPerRun(90, func() {
		if err := op.Push(rs[i], emit); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per Push", allocs)
	}
}

// Renumbering the nodes changes no score and keeps the tree valid.
func TestRelayoutKeepsScores(t *testing.T) {
	f := newForest(2, params{trees: 4, sample: 64, shingle: 1, timeDecay: 100, lambda: 0.01, seed: 5})
	rng := rand.New(rand.NewPCG(6, 6))
	p := make([]float64, 2)
	for range 1000 {
		p[0], p[1] = math.Round(rng.NormFloat64()*5), rng.NormFloat64()
		f.add(p)
	}
	queries := gaussianCloud(50, 2, 7)
	for i, tr := range f.trees {
		before := make([]float64, len(queries))
		for q, x := range queries {
			before[q] = tr.score(x)
		}
		tr.relayout(&f.layout)
		if tr.root != 0 || len(tr.freeNodes) != 0 {
			t.Fatalf("tree %d: root %d, %d free nodes after relayout", i, tr.root, len(tr.freeNodes))
		}
		for q, x := range queries {
			if got := tr.score(x); got != before[q] {
				t.Fatalf("tree %d, query %d: %v after relayout, %v before", i, q, got, before[q])
			}
		}
		if err := tr.check(); err != nil {
			t.Fatalf("tree %d: %v", i, err)
		}
	}
}
