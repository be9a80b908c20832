package record

import (
	"errors"
	"slices"
	"testing"
)

// TestAppendSnapshot checks the snapshot of several operators side by side:
// a round trip restores each, a snapshot of other ops or another number of
// them is refused without changing anything, and an op that fails to
// restore leaves the ops before it as they were.
func TestAppendSnapshot(t *testing.T) {
	var log []string
	a, b := &buffer{name: "a", log: &log}, &buffer{name: "b", log: &log}
	a.held, b.held = []Time{1, 2}, []Time{7}
	pipe := Then[Time, Time, Time](Map(func(t Time) Time { return t }), a)
	data, err := AppendSnapshot([]byte("keep"), pipe, b, Filter(func(Time) bool { return true }))
	if err != nil {
		t.Fatal(err)
	}
	if string(data[:4]) != "keep" {
		t.Fatal("AppendSnapshot did not append")
	}
	data = data[4:]
	a.held, b.held = nil, []Time{3}
	if err := RestoreSnapshot(data, pipe, b, Filter(func(Time) bool { return true })); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.held, []Time{1, 2}) || !slices.Equal(b.held, []Time{7}) {
		t.Fatalf("restored %v %v", a.held, b.held)
	}
	// The same bytes as the Then's own snapshot inside, and a different
	// envelope from it.
	own, _ := pipe.(Snapshotter).AppendSnapshot(nil)
	if err := pipe.(Snapshotter).Restore(data); err == nil {
		t.Error("a Then restored the snapshot of a group")
	}
	if err := RestoreSnapshot(own, pipe); !errors.Is(err, ErrSnapshot) {
		t.Errorf("a group restored a Then's snapshot: %v", err)
	}

	for name, ops := range map[string][]any{
		"fewer ops":                    {pipe, b},
		"more ops":                     {pipe, b, Map(func(t Time) Time { return t }), b},
		"stateful where stateless was": {pipe, b, &buffer{name: "c", log: &log}},
	} {
		a.held, b.held = []Time{5}, []Time{6}
		if err := RestoreSnapshot(data, ops...); !errors.Is(err, ErrSnapshot) {
			t.Errorf("%s: %v, want ErrSnapshot", name, err)
		}
		if !slices.Equal(a.held, []Time{5}) || !slices.Equal(b.held, []Time{6}) {
			t.Errorf("%s: failed restore changed the state: %v %v", name, a.held, b.held)
		}
	}

	// b refuses the state 666: a, restored before b, goes back.
	bad := &buffer{name: "bad", log: &log, held: []Time{666}}
	data2, err := AppendSnapshot(nil, a, bad)
	if err != nil {
		t.Fatal(err)
	}
	a.held, bad.held = []Time{8}, []Time{9}
	if err := RestoreSnapshot(data2, a, bad); err == nil {
		t.Fatal("restore of a refused state succeeded")
	}
	if !slices.Equal(a.held, []Time{8}) || !slices.Equal(bad.held, []Time{9}) {
		t.Fatalf("failed restore changed the state: %v %v", a.held, bad.held)
	}

	// An op that keeps state but cannot be snapshotted.
	var se *StageError
	out, err := AppendSnapshot([]byte("x"), a, &passer{b: a})
	if !errors.Is(err, ErrSnapshot) || !errors.As(err, &se) || se.Stage != 2 || string(out) != "x" {
		t.Fatalf("non-snapshotter: %q, %v", out, err)
	}
	// No ops at all is a snapshot of nothing, and restores as one.
	empty, err := AppendSnapshot(nil)
	if err != nil || RestoreSnapshot(empty) != nil || RestoreSnapshot(empty, a) == nil {
		t.Fatalf("empty group: %v", err)
	}
}
