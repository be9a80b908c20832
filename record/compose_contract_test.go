package record

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// refuseAt returns a push check that refuses the record r with an error
// wrapping ErrRefused.
func refuseAt(r Time) func(Time) error {
	return func(t Time) error {
		if t == r {
			return fmt.Errorf("%w: %d", ErrRefused, t)
		}
		return nil
	}
}

func refusingMap(r Time) Operator[Time, Time] {
	return MapErr(func(t Time) (Time, error) { return t, refuseAt(r)(t) })
}

// TestCompositionRefusals checks how compositions classify the errors of
// their stages: a refusal only when nothing had moved.
func TestCompositionRefusals(t *testing.T) {
	id := Map(func(t Time) Time { return t })
	keep := Filter(func(Time) bool { return true })
	cases := []struct {
		name    string
		build   func(log *[]string) (Operator[Time, Time], *buffer)
		refused bool
		sawIt   bool // whether the watched buffer holds the record after the call
	}{
		{"then: first stage refuses", func(log *[]string) (Operator[Time, Time], *buffer) {
			b := &buffer{name: "b", log: log}
			return Then[Time, Time, Time](refusingMap(7), b), b
		}, true, false},
		{"then: stage after a map refuses", func(log *[]string) (Operator[Time, Time], *buffer) {
			b := &buffer{name: "b", log: log, pushErr: refuseAt(7)}
			return Then[Time, Time, Time](id, b), b
		}, true, false},
		{"then: stage after map and filter refuses", func(log *[]string) (Operator[Time, Time], *buffer) {
			b := &buffer{name: "b", log: log, pushErr: refuseAt(7)}
			return Then[Time, Time, Time](Then(id, keep), b), b
		}, true, false},
		{"then: stage after a stateful stage refuses", func(log *[]string) (Operator[Time, Time], *buffer) {
			b := &buffer{name: "b", log: log}
			pass := &passer{b: b}
			return Then[Time, Time, Time](pass, refusingMap(7)), b
		}, false, true},
		{"then: stage after a tee of maps refuses", func(log *[]string) (Operator[Time, Time], *buffer) {
			b := &buffer{name: "b", log: log, pushErr: refuseAt(7)}
			return Then[Time, Time, Time](Tee(id, id), b), b
		}, false, false},
		{"then nested: refusal after a stateful stage stays a failure", func(log *[]string) (Operator[Time, Time], *buffer) {
			b := &buffer{name: "b", log: log}
			return Then(Then[Time, Time, Time](&passer{b: b}, refusingMap(7)), id), b
		}, false, true},
		{"tee: first op refuses", func(log *[]string) (Operator[Time, Time], *buffer) {
			b := &buffer{name: "b", log: log}
			return Tee[Time, Time](refusingMap(7), b), b
		}, true, false},
		{"tee: a later op refuses", func(log *[]string) (Operator[Time, Time], *buffer) {
			b := &buffer{name: "b", log: log}
			return Tee[Time, Time](b, refusingMap(7)), b
		}, false, true},
		{"tee of thens: refusal inside the first", func(log *[]string) (Operator[Time, Time], *buffer) {
			b := &buffer{name: "b", log: log}
			return Tee[Time, Time](Then(refusingMap(7), id), b), b
		}, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var log []string
			op, b := c.build(&log)
			if err := op.Push(3, nil); err != nil {
				t.Fatalf("Push(3): %v", err)
			}
			err := op.Push(7, nil)
			if err == nil {
				t.Fatal("Push(7) = nil, want an error")
			}
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("Push(7) = %v, want it to wrap the stage's refusal", err)
			}
			var se *StageError
			if !errors.As(err, &se) {
				t.Fatalf("Push(7) = %v (%T), want a *StageError", err, err)
			}
			if got := IsRefused(err); got != c.refused {
				t.Fatalf("IsRefused(%v) = %v, want %v", err, got, c.refused)
			}
			if got := slices.Contains(b.held, 7); got != c.sawIt {
				t.Fatalf("watched stage holds %v: holds 7 = %v, want %v", b.held, got, c.sawIt)
			}
		})
	}
}

// passer is a stateful stage that hands every record on at once and keeps
// a copy in b.
type passer struct{ b *buffer }

func (p *passer) Push(in Time, emit func(Time)) error {
	if err := p.b.Push(in, emit); err != nil {
		return err
	}
	emit(in)
	return nil
}
func (p *passer) Advance(Time, func(Time)) error { return nil }
func (p *passer) Flush(func(Time)) error         { return nil }

// TestThenFlushGoesOn checks that when the second stage rejects one of the
// first stage's results in Flush, it is still flushed: only the rejected
// result is missing.
func TestThenFlushGoesOn(t *testing.T) {
	var log []string
	x := &buffer{name: "x", log: &log}
	y := &buffer{name: "y", log: &log, pushErr: func(t Time) error {
		if t == 2 {
			return errBoom
		}
		return nil
	}}
	z := &buffer{name: "z", log: &log}
	op := Then(Then[Time, Time, Time](x, y), Operator[Time, Time](z))
	for _, r := range []Time{1, 2, 3} {
		if err := op.Push(r, nil); err != nil {
			t.Fatal(err)
		}
	}
	var out []Time
	err := op.Flush(func(t Time) { out = append(out, t) })
	if !errors.Is(err, errBoom) || IsRefused(err) {
		t.Fatalf("Flush = %v, want a failure wrapping boom", err)
	}
	if !slices.Equal(out, []Time{1, 3}) {
		t.Fatalf("Flush emitted %v, want [1 3]; log %q", out, log)
	}
	want := []string{"x.push(1)", "x.push(2)", "x.push(3)", "x.flush", "y.push(1)", "y.push(3)", "y.flush", "z.push(1)", "z.push(3)", "z.flush"}
	if !slices.Equal(log, want) {
		t.Fatalf("log\n got %q\nwant %q", log, want)
	}
}

// TestThenFirstStageFailsInAdvance checks that a refusal of the first stage
// stops Advance before the second stage (nothing moved, and nothing may),
// while any other failure of it does not.
func TestThenFirstStageFailsInAdvance(t *testing.T) {
	for _, refuse := range []bool{true, false} {
		var log []string
		x := &buffer{name: "x", log: &log, failAt: 5}
		if refuse {
			x.advErr = fmt.Errorf("%w: not now", ErrRefused)
		}
		y := &buffer{name: "y", log: &log}
		op := Then[Time, Time, Time](x, y)
		err := op.Advance(5, nil)
		var se *StageError
		if !errors.As(err, &se) || se.Stage != 1 || IsRefused(err) != refuse {
			t.Fatalf("refuse=%v: Advance = %v, want stage 1, refusal %v", refuse, err, refuse)
		}
		want := []string{"x.advance(5)"}
		if !refuse {
			want = append(want, "y.advance(5)")
		}
		if !slices.Equal(log, want) {
			t.Fatalf("refuse=%v: log %q, want %q", refuse, log, want)
		}
	}
}

// TestNilEmit checks that every composition accepts a nil emit and
// discards the results.
func TestNilEmit(t *testing.T) {
	id := Map(func(t Time) Time { return t })
	ops := map[string]func(log *[]string) Operator[Time, Time]{
		"map":    func(*[]string) Operator[Time, Time] { return id },
		"maperr": func(*[]string) Operator[Time, Time] { return MapErr(func(t Time) (Time, error) { return t, nil }) },
		"filter": func(*[]string) Operator[Time, Time] { return Filter(func(Time) bool { return true }) },
		"filtermap": func(*[]string) Operator[Time, Time] {
			return FilterMap(func(t Time) (Time, bool, error) { return t, t > 2, nil })
		},
		"then fused": func(*[]string) Operator[Time, Time] { return Then(id, id) },
		"then func":  func(l *[]string) Operator[Time, Time] { return Then[Time, Time, Time](id, &buffer{name: "b", log: l}) },
		"then step": func(l *[]string) Operator[Time, Time] {
			return Then[Time, Time, Time](Filter(func(Time) bool { return true }), &buffer{name: "b", log: l})
		},
		"then": func(l *[]string) Operator[Time, Time] { return Then[Time, Time, Time](&buffer{name: "b", log: l}, id) },
		"then passer": func(l *[]string) Operator[Time, Time] {
			return Then[Time, Time, Time](&passer{b: &buffer{name: "b", log: l}}, id)
		},
		"tee": func(l *[]string) Operator[Time, Time] { return Tee[Time, Time](id, &buffer{name: "b", log: l}) },
	}
	for name, build := range ops {
		t.Run(name, func(t *testing.T) {
			var log []string
			op := build(&log)
			if err := op.Push(1, nil); err != nil {
				t.Fatal(err)
			}
			if err := op.Advance(5, nil); err != nil {
				t.Fatal(err)
			}
			if err := op.Push(7, nil); err != nil {
				t.Fatal(err)
			}
			if err := op.Flush(nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}
