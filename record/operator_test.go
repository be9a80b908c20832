package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/rowtime/rowtime/record/codec"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// buffer is a stateful test operator: it holds records until the watermark
// passes them, logs every call it sees, and can be told to fail.
type buffer struct {
	name    string
	log     *[]string
	held    []Time
	failAt  Time  // Advance fails when wm >= failAt (if non-zero)
	advErr  error // the error it fails with, errBoom if nil
	pushErr func(Time) error
}

var errBoom = errors.New("boom")

func (b *buffer) Push(in Time, emit func(Time)) error {
	if b.pushErr != nil {
		if err := b.pushErr(in); err != nil {
			return err
		}
	}
	*b.log = append(*b.log, fmt.Sprintf("%s.push(%d)", b.name, in))
	b.held = append(b.held, in)
	return nil
}

func (b *buffer) Advance(wm Time, emit func(Time)) error {
	*b.log = append(*b.log, fmt.Sprintf("%s.advance(%d)", b.name, wm))
	if b.failAt != 0 && wm >= b.failAt {
		if b.advErr != nil {
			return b.advErr
		}
		return errBoom
	}
	keep := b.held[:0]
	for _, t := range b.held {
		if t < wm {
			emit(t)
		} else {
			keep = append(keep, t)
		}
	}
	b.held = keep
	return nil
}

func (b *buffer) Flush(emit func(Time)) error {
	*b.log = append(*b.log, b.name+".flush")
	for _, t := range b.held {
		emit(t)
	}
	b.held = b.held[:0]
	return nil
}

func (b *buffer) AppendSnapshot(dst []byte) ([]byte, error) { return codec.Append(dst, b.held) }

func (b *buffer) Restore(data []byte) error {
	var held []Time
	n, err := codec.Read(data, &held)
	if err != nil {
		return err
	}
	if n != len(data) {
		return errors.New("buffer: trailing bytes")
	}
	if len(held) > 0 && held[0] == 666 {
		return errors.New("buffer: refuses 666")
	}
	b.held = held
	return nil
}

func TestThenOrder(t *testing.T) {
	var log []string
	x := &buffer{name: "x", log: &log}
	y := &buffer{name: "y", log: &log}
	op := Then[Time, Time, Time](x, y)
	var out []Time
	emit := func(t Time) { out = append(out, t); log = append(log, fmt.Sprintf("out(%d)", t)) }
	for _, r := range []Time{5, 1, 9} {
		if err := op.Push(r, emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := op.Advance(6, emit); err != nil {
		t.Fatal(err)
	}
	if err := op.Flush(emit); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"x.push(5)", "x.push(1)", "x.push(9)",
		// x's results reach y before y sees the watermark.
		"x.advance(6)", "y.push(5)", "y.push(1)", "y.advance(6)", "out(5)", "out(1)",
		"x.flush", "y.push(9)", "y.flush", "out(9)",
	}
	if !slices.Equal(log, want) {
		t.Fatalf("log\n got %q\nwant %q", log, want)
	}
}

func TestTeeOrder(t *testing.T) {
	var log []string
	a := &buffer{name: "a", log: &log}
	b := &buffer{name: "b", log: &log}
	op := Then(Tee[Time, Time](a, b), Map(func(t Time) Time { return t * 10 }))
	var out []Time
	emit := func(t Time) { out = append(out, t) }
	op.Push(3, emit)
	op.Push(8, emit)
	if err := op.Advance(5, emit); err != nil {
		t.Fatal(err)
	}
	if err := op.Flush(emit); err != nil {
		t.Fatal(err)
	}
	wantLog := []string{"a.push(3)", "b.push(3)", "a.push(8)", "b.push(8)", "a.advance(5)", "b.advance(5)", "a.flush", "b.flush"}
	if !slices.Equal(log, wantLog) {
		t.Fatalf("log\n got %q\nwant %q", log, wantLog)
	}
	if want := []Time{30, 30, 80, 80}; !slices.Equal(out, want) {
		t.Fatalf("out %v, want %v", out, want)
	}
}

func TestThenErrors(t *testing.T) {
	t.Run("second stage fails in Advance", func(t *testing.T) {
		var log []string
		x := &buffer{name: "x", log: &log}
		y := &buffer{name: "y", log: &log, failAt: 10}
		op := Then[Time, Time, Time](x, y)
		op.Push(1, func(Time) {})
		err := op.Advance(10, func(Time) {})
		var se *StageError
		if !errors.As(err, &se) || se.Stage != 2 || se.Op != "then" || !errors.Is(err, errBoom) {
			t.Fatalf("got %v, want then stage 2 wrapping boom", err)
		}
	})
	t.Run("second stage rejects inside first stage's emit", func(t *testing.T) {
		var log []string
		x := &buffer{name: "x", log: &log}
		y := &buffer{name: "y", log: &log, pushErr: func(t Time) error {
			if t == 2 {
				return errBoom
			}
			return nil
		}}
		op := Then[Time, Time, Time](x, y)
		for _, r := range []Time{1, 2, 3} {
			op.Push(r, func(Time) {})
		}
		var out []Time
		err := op.Advance(10, func(t Time) { out = append(out, t) })
		var se *StageError
		if !errors.As(err, &se) || se.Stage != 2 || !errors.Is(err, errBoom) {
			t.Fatalf("got %v", err)
		}
		if IsRefused(err) {
			t.Fatalf("%v is a refusal, but x had moved", err)
		}
		// The other results of the same call still reached y, and y was
		// advanced after them: nothing but the rejected result is lost.
		if !slices.Equal(out, []Time{1, 3}) || len(y.held) != 0 {
			t.Fatalf("emitted %v, y holds %v; want [1 3] emitted", out, y.held)
		}
	})
	t.Run("first stage fails in Push", func(t *testing.T) {
		op := Then(MapErr(func(t Time) (Time, error) { return 0, errBoom }), Map(func(t Time) Time { return t }))
		err := op.Push(1, func(Time) {})
		var se *StageError
		if !errors.As(err, &se) || se.Stage != 1 || !errors.Is(err, errBoom) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("tee names the failing op", func(t *testing.T) {
		var log []string
		op := Tee[Time, Time](&buffer{name: "a", log: &log}, &buffer{name: "b", log: &log, failAt: 1})
		err := op.Advance(5, func(Time) {})
		var se *StageError
		if !errors.As(err, &se) || se.Op != "tee" || se.Stage != 2 {
			t.Fatalf("got %v", err)
		}
		if !slices.Equal(log, []string{"a.advance(5)", "b.advance(5)"}) {
			t.Fatalf("log %q", log)
		}
	})
	t.Run("collect keeps going", func(t *testing.T) {
		op := MapErr(func(t Time) (Time, error) {
			if t < 0 {
				return 0, errBoom
			}
			return t, nil
		})
		out, err := Collect(op, []Time{1, -1, 2, -2})
		if !slices.Equal(out, []Time{1, 2}) || !errors.Is(err, errBoom) || err.Error() != "record 1: boom" {
			t.Fatalf("got %v, %v", out, err)
		}
	})
}

func TestFilterAndMap(t *testing.T) {
	op := Then(Filter(func(t Time) bool { return t%2 == 0 }), Map(func(t Time) string { return fmt.Sprint(int64(t)) }))
	out, err := Collect(op, []Time{1, 2, 3, 4})
	if err != nil || !slices.Equal(out, []string{"2", "4"}) {
		t.Fatalf("got %v, %v", out, err)
	}
}

func newPipeline(log *[]string) (Operator[Time, Time], *buffer, *buffer) {
	a := &buffer{name: "a", log: log}
	b := &buffer{name: "b", log: log}
	op := Then(Then(Map(func(t Time) Time { return t + 1 }), Operator[Time, Time](a)),
		Then(Tee[Time, Time](b, Filter(func(t Time) bool { return t%3 != 0 })), Map(func(t Time) Time { return t * 2 })))
	return op, a, b
}

// TestSnapshotContinue runs random streams through a composed pipeline and
// checks that snapshot, restore into a fresh pipeline and continue gives the
// same output as the uninterrupted run.
func TestSnapshotContinue(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for run := range 20 {
		type step struct {
			advance bool
			t       Time
		}
		var steps []step
		wm := Time(0)
		for range 60 {
			if r.IntN(5) == 0 {
				wm += Time(r.IntN(10))
				steps = append(steps, step{true, wm})
			} else {
				steps = append(steps, step{false, wm + Time(r.IntN(20))})
			}
		}
		play := func(op Operator[Time, Time], steps []step, out *[]Time) {
			emit := func(t Time) { *out = append(*out, t) }
			for _, s := range steps {
				var err error
				if s.advance {
					err = op.Advance(s.t, emit)
				} else {
					err = op.Push(s.t, emit)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		var log []string
		whole, _, _ := newPipeline(&log)
		var want []Time
		play(whole, steps, &want)
		whole.Flush(func(t Time) { want = append(want, t) })

		for _, cut := range []int{0, 1, len(steps) / 2, len(steps)} {
			first, _, _ := newPipeline(&log)
			var got []Time
			play(first, steps[:cut], &got)
			snap, err := first.(Snapshotter).AppendSnapshot([]byte("x"))
			if err != nil {
				t.Fatal(err)
			}
			second, _, _ := newPipeline(&log)
			if err := second.(Snapshotter).Restore(snap[1:]); err != nil {
				t.Fatalf("run %d cut %d: %v", run, cut, err)
			}
			play(second, steps[cut:], &got)
			second.Flush(func(t Time) { got = append(got, t) })
			if !slices.Equal(got, want) {
				t.Fatalf("run %d cut %d:\n got %v\nwant %v", run, cut, got, want)
			}
		}
	}
}

type stateful struct{ n int }

func (s *stateful) Push(in Time, emit func(Time)) error { s.n++; return nil }
func (s *stateful) Advance(Time, func(Time)) error      { return nil }
func (s *stateful) Flush(func(Time)) error              { return nil }

func TestSnapshotErrors(t *testing.T) {
	t.Run("stage without Snapshotter", func(t *testing.T) {
		op := Then(Map(func(t Time) Time { return t }), Operator[Time, Time](&stateful{}))
		_, err := op.(Snapshotter).AppendSnapshot(nil)
		var se *StageError
		if !errors.Is(err, ErrSnapshot) || !errors.As(err, &se) || se.Stage != 2 {
			t.Fatalf("got %v", err)
		}
		if err := op.(Snapshotter).Restore([]byte{1, 1, 2, 0, 0}); !errors.Is(err, ErrSnapshot) {
			t.Fatalf("restore got %v", err)
		}
	})
	var log []string
	op, a, b := newPipeline(&log)
	emit := func(Time) {}
	for _, x := range []Time{4, 7, 9} {
		op.Push(x, emit)
	}
	good, err := op.(Snapshotter).AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Change the state after the snapshot, so that a failed restore that
	// changed anything would show.
	op.Push(100, emit)
	wantA, wantB := slices.Clone(a.held), slices.Clone(b.held)

	// A snapshot whose b-stage says 666: a restores, then b refuses, so a
	// must be put back.
	var log2 []string
	other, a2, b2 := newPipeline(&log2)
	a2.held, b2.held = []Time{1}, []Time{666}
	refused, err := other.(Snapshotter).AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}

	mutate := func(f func([]byte) []byte) []byte { return f(slices.Clone(good)) }
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"version", mutate(func(b []byte) []byte { b[0] = 9; return b })},
		{"kind", mutate(func(b []byte) []byte { b[1] = kindTee; return b })},
		{"stage count", mutate(func(b []byte) []byte { b[2] = 3; return b })},
		{"trailing", append(slices.Clone(good), 0)},
		{"stateless stage with state", func() []byte {
			// Outer Then: stage 1 is Then(Map, a): its frame holds a Map frame.
			b := []byte{1, kindThen, 2}
			inner := []byte{1, kindThen, 2, 1, 0xAA, 1, 0} // Map frame with one byte
			b = binary.AppendUvarint(b, uint64(len(inner)))
			b = append(b, inner...)
			return append(b, 0)
		}()},
		{"stage refuses", refused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := op.(Snapshotter).Restore(tc.data); err == nil {
				t.Fatal("no error")
			}
			if !slices.Equal(a.held, wantA) || !slices.Equal(b.held, wantB) {
				t.Fatalf("state changed: a %v b %v, want %v %v", a.held, b.held, wantA, wantB)
			}
		})
	}
	for cut := range len(good) {
		if err := op.(Snapshotter).Restore(good[:cut]); err == nil {
			t.Fatalf("prefix %d accepted", cut)
		}
	}
	if !slices.Equal(a.held, wantA) || !slices.Equal(b.held, wantB) {
		t.Fatal("state changed by truncated restores")
	}
}

func FuzzRestore(f *testing.F) {
	var log []string
	op, _, _ := newPipeline(&log)
	for _, x := range []Time{1, 5, 300} {
		op.Push(x, func(Time) {})
	}
	good, _ := op.(Snapshotter).AppendSnapshot(nil)
	f.Add(good)
	f.Add([]byte{1, 1, 2, 0, 0})
	// Snapshots of other compositions, and of the legacy format.
	other, _ := Tee[Time, Time](&buffer{name: "t", log: &log, held: []Time{3}}, Map(func(t Time) Time { return t })).(Snapshotter).AppendSnapshot(nil)
	f.Add(other)
	for _, name := range []string{"testdata/pipeline-v1.snap", "testdata/tee-v1.snap"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var log []string
		op, a, b := newPipeline(&log)
		a.held, b.held = []Time{42}, []Time{43}
		if err := op.(Snapshotter).Restore(data); err != nil {
			if !slices.Equal(a.held, []Time{42}) || !slices.Equal(b.held, []Time{43}) {
				t.Fatal("failed restore changed state")
			}
			return
		}
		again, err := op.(Snapshotter).AppendSnapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		op2, _, _ := newPipeline(&log)
		if err := op2.(Snapshotter).Restore(again); err != nil {
			t.Fatal(err)
		}
	})
}

func TestThenOfMaps(t *testing.T) {
	inc := func(x int) int { return x + 1 }
	op := Then(Then(Map(inc), Map(func(x int) int { return x * 10 })), Then(Map(inc), Map(func(x int) string { return fmt.Sprint(x) })))
	out, err := Collect(op, []int{0, 1, 2})
	if err != nil || !slices.Equal(out, []string{"11", "21", "31"}) {
		t.Fatalf("got %q, %v", out, err)
	}
	snap, err := op.(Snapshotter).AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	if IsLegacySnapshot(snap) {
		t.Fatalf("snapshot % x has no envelope", snap)
	}
	if err := op.(Snapshotter).Restore(snap); err != nil {
		t.Fatal(err)
	}
	// The legacy format of the same: two stages, each a Then of two
	// stateless stages.
	inner := []byte{1, kindThen, 2, 0, 0}
	legacy := append([]byte{1, kindThen, 2, byte(len(inner))}, inner...)
	legacy = append(append(legacy, byte(len(inner))), inner...)
	if err := op.(Snapshotter).Restore(legacy); err != nil {
		t.Fatalf("legacy snapshot: %v", err)
	}
	// A Map followed by a stateful stage, and a Map after one.
	var log []string
	b := &buffer{name: "b", log: &log}
	op2 := Then(Then(Map(func(x Time) Time { return x * 2 }), Operator[Time, Time](b)), Map(func(x Time) Time { return x + 1 }))
	out2, err := Collect(op2, []Time{1, 2})
	if err != nil || !slices.Equal(out2, []Time{3, 5}) {
		t.Fatalf("got %v, %v", out2, err)
	}
	b.failAt = 1
	err = op2.Advance(5, func(Time) {})
	var se *StageError
	if !errors.As(err, &se) || se.Stage != 1 || !errors.As(se.Err, &se) || se.Stage != 2 || !errors.Is(err, errBoom) {
		t.Fatalf("got %v, want then stage 1 holding then stage 2", err)
	}
}

// hidden hides the fast-path methods of an operator, so Then takes its
// general path: the oracle for the fast paths.
type hidden[In, Out any] struct{ op Operator[In, Out] }

func (h hidden[In, Out]) Push(in In, emit func(Out)) error      { return h.op.Push(in, emit) }
func (h hidden[In, Out]) Advance(wm Time, emit func(Out)) error { return h.op.Advance(wm, emit) }
func (h hidden[In, Out]) Flush(emit func(Out)) error            { return h.op.Flush(emit) }

func TestThenFastPathsMatchGeneral(t *testing.T) {
	stages := map[string]func(log *[]string) Operator[Time, Time]{
		"map":    func(*[]string) Operator[Time, Time] { return Map(func(x Time) Time { return x*3 + 1 }) },
		"filter": func(*[]string) Operator[Time, Time] { return Filter(func(x Time) bool { return x%4 != 0 }) },
		"maperr": func(*[]string) Operator[Time, Time] {
			return MapErr(func(x Time) (Time, error) {
				if x%5 == 0 {
					return 0, fmt.Errorf("five divides %d", x)
				}
				return x - 1, nil
			})
		},
		"buffer": func(log *[]string) Operator[Time, Time] { return &buffer{name: "b", log: log} },
		"maps": func(*[]string) Operator[Time, Time] {
			return Then(Map(func(x Time) Time { return x + 2 }), Map(func(x Time) Time { return x * 7 }))
		},
	}
	r := rand.New(rand.NewPCG(9, 10))
	var in []Time
	for range 200 {
		in = append(in, Time(r.IntN(100)))
	}
	for xn, x := range stages {
		for yn, y := range stages {
			t.Run(xn+"/"+yn, func(t *testing.T) {
				run := func(op Operator[Time, Time]) []string {
					var out []string
					emit := func(v Time) { out = append(out, fmt.Sprint(int64(v))) }
					for i, v := range in {
						if err := op.Push(v, emit); err != nil {
							out = append(out, "push error: "+err.Error())
						}
						if i%17 == 0 {
							if err := op.Advance(v, emit); err != nil {
								out = append(out, "advance error: "+err.Error())
							}
						}
					}
					if err := op.Flush(emit); err != nil {
						out = append(out, "flush error: "+err.Error())
					}
					return out
				}
				var l1, l2 []string
				fast := run(Then(x(&l1), y(&l1)))
				general := run(Then[Time, Time, Time](hidden[Time, Time]{x(&l2)}, y(&l2)))
				if !slices.Equal(fast, general) {
					t.Fatalf("fast path differs from general:\n fast %q\n gen  %q", fast, general)
				}
			})
		}
	}
}
