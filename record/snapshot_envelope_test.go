package record

import (
	"bytes"
	"errors"
	"hash/fnv"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// pipelineAfter builds newPipeline and feeds it the records and watermark
// that testdata/pipeline-v1.snap was written after.
func pipelineAfter(t *testing.T) (Operator[Time, Time], *buffer, *buffer) {
	var log []string
	op, a, b := newPipeline(&log)
	for _, x := range []Time{4, 7, 9, 300} {
		if err := op.Push(x, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := op.Advance(8, nil); err != nil {
		t.Fatal(err)
	}
	return op, a, b
}

// TestSnapshotLegacy checks that snapshots in the format of earlier
// releases, written by the code of then, still restore, to the same state.
func TestSnapshotLegacy(t *testing.T) {
	op, _, _ := pipelineAfter(t)
	want, err := op.(Snapshotter).AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := os.ReadFile("testdata/pipeline-v1.snap")
	if err != nil {
		t.Fatal(err)
	}
	if !IsLegacySnapshot(legacy) {
		t.Fatal("golden file not in the legacy format")
	}
	var log []string
	fresh, _, _ := newPipeline(&log)
	if err := fresh.(Snapshotter).Restore(legacy); err != nil {
		t.Fatalf("restore legacy pipeline: %v", err)
	}
	got, err := fresh.(Snapshotter).AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("restored from legacy: snapshot % x, want % x", got, want)
	}

	legacyTee, err := os.ReadFile("testdata/tee-v1.snap")
	if err != nil {
		t.Fatal(err)
	}
	a, b := &buffer{name: "a", log: &log}, &buffer{name: "b", log: &log}
	tee := Tee[Time, Time](a, Map(func(t Time) Time { return t }), b)
	if err := tee.(Snapshotter).Restore(legacyTee); err != nil {
		t.Fatalf("restore legacy tee: %v", err)
	}
	if !slices.Equal(a.held, []Time{1, 2}) || !slices.Equal(b.held, []Time{3}) {
		t.Fatalf("legacy tee restored a=%v b=%v, want [1 2] [3]", a.held, b.held)
	}
}

// TestSnapshotMismatch checks that a composition's snapshot restores only
// into a composition of the same kind and number of stages, with an error
// that names both sides, and changes nothing when it does not.
func TestSnapshotMismatch(t *testing.T) {
	var log []string
	id := Map(func(t Time) Time { return t })
	a := &buffer{name: "a", log: &log, held: []Time{1}}
	then := Then[Time, Time, Time](a, id)
	thenSnap, err := then.(Snapshotter).AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	tee2 := Tee[Time, Time](&buffer{name: "t1", log: &log, held: []Time{5}}, id)
	teeSnap, err := tee2.(Snapshotter).AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	tee3 := Tee[Time, Time](&buffer{name: "t1", log: &log}, id, id)
	tee3Snap, err := tee3.(Snapshotter).AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		into Operator[Time, Time]
		data []byte
		want string
	}{
		{"tee into then", then, teeSnap, "written by record.Tee, restoring into record.Then"},
		{"then into tee", tee2, thenSnap, "written by record.Then, restoring into record.Tee"},
		{"three stages into two", tee2, tee3Snap, "stages is 3 in the snapshot, 2 here"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, _ := c.into.(Snapshotter).AppendSnapshot(nil)
			err := c.into.(Snapshotter).Restore(c.data)
			if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Restore = %v, want ErrSnapshot saying %q", err, c.want)
			}
			after, _ := c.into.(Snapshotter).AppendSnapshot(nil)
			if !bytes.Equal(before, after) {
				t.Fatal("a refused restore changed the state")
			}
		})
	}
}

// TestSnapshotBitFlips checks that every single-bit change of a composed
// snapshot is refused, and leaves the pipeline as it was.
func TestSnapshotBitFlips(t *testing.T) {
	op, a, b := pipelineAfter(t)
	good, err := op.(Snapshotter).AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	wantA, wantB := slices.Clone(a.held), slices.Clone(b.held)
	for i := range len(good) * 8 {
		bad := slices.Clone(good)
		bad[i/8] ^= 1 << (i % 8)
		err := op.(Snapshotter).Restore(bad)
		if !errors.Is(err, ErrSnapshot) {
			t.Fatalf("bit %d flipped: Restore = %v, want ErrSnapshot", i, err)
		}
		if !slices.Equal(a.held, wantA) || !slices.Equal(b.held, wantB) {
			t.Fatalf("bit %d flipped: state changed", i)
		}
	}
}

// TestFingerprintIsFNV checks the written-out FNV-1a against hash/fnv.
func TestFingerprintIsFNV(t *testing.T) {
	for _, d := range []*Descriptor{
		NewDescriptor(""),
		NewDescriptor("record.Then").Param("stages", 2),
		NewDescriptor("window.Agg").Param("size", "15s").Type("key", reflect.TypeFor[int64]()).Schema("v2"),
	} {
		h := fnv.New64a()
		h.Write(d.encode())
		if got, want := d.Fingerprint(), h.Sum64(); got != want {
			t.Errorf("%v: fingerprint %#x, hash/fnv says %#x", d, got, want)
		}
		d.Param("more", 1) // a change forgets the cached fingerprint
		h.Reset()
		h.Write(d.encode())
		if got, want := d.Fingerprint(), h.Sum64(); got != want {
			t.Errorf("%v after a change: fingerprint %#x, hash/fnv says %#x", d, got, want)
		}
	}
}
