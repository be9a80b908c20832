package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
)

type sumMerger struct{}

func (sumMerger) Merge(dst, src *int64) { *dst += *src }
func (sumMerger) Result(a *int64) int64 { return *a }

type line struct {
	start, end record.Time
	key        string
	v          int64
}

func collect(out *[]line) func(start, end record.Time, key string, v int64) {
	return func(start, end record.Time, key string, v int64) { *out = append(*out, line{start, end, key, v}) }
}

// TestMergeAgainstNaive feeds random partials of several shards, with
// random advances and a snapshot and restore at every step, and checks that
// every window comes out once, after the watermark passes it, with the sum
// of its partials, in (end, start, key) order.
func TestMergeAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 50 {
		m := newMerge[string](sumMerger{}, strings.Compare)
		want := map[line]int64{} // v unused in the key
		var got []line
		wm := record.Time(0)
		for step := range 200 {
			// Partials only for windows the watermark has not passed, as
			// a shard's operator emits them.
			start := wm + record.Time(rng.IntN(5))*10
			end := start + 10*record.Time(1+rng.IntN(2))
			key := fmt.Sprintf("k%d", rng.IntN(4))
			v := int64(rng.IntN(100))
			if err := m.add(start, end, key, &v); err != nil {
				t.Fatalf("trial %d step %d: %v", trial, step, err)
			}
			want[line{start, end, key, 0}] += v
			if rng.IntN(4) == 0 {
				wm += record.Time(rng.IntN(30))
				m.advance(wm, collect(&got))
			}
			snap, err := m.appendSnapshot(nil)
			if err != nil {
				t.Fatal(err)
			}
			m2 := newMerge[string](sumMerger{}, strings.Compare)
			if err := m2.restore(snap); err != nil {
				t.Fatalf("restore: %v", err)
			}
			m = m2
		}
		m.advance(record.MaxTime, collect(&got))
		if len(got) != len(want) {
			t.Fatalf("trial %d: %d results, want %d", trial, len(got), len(want))
		}
		for i, l := range got {
			if w, ok := want[line{l.start, l.end, l.key, 0}]; !ok || w != l.v {
				t.Fatalf("trial %d: result %+v, want %d (present %v)", trial, l, w, ok)
			}
			delete(want, line{l.start, l.end, l.key, 0})
			if i > 0 {
				p := got[i-1]
				if p.end > l.end || p.end == l.end && (p.start > l.start || p.start == l.start && p.key >= l.key) {
					// Results of one advance are sorted; across advances
					// ends only grow.
					t.Fatalf("trial %d: %+v after %+v", trial, l, p)
				}
			}
		}
		if m.pending() != 0 {
			t.Fatalf("%d accumulators left", m.pending())
		}
	}
}

func TestMergeFinalWindow(t *testing.T) {
	m := newMerge[string](sumMerger{}, strings.Compare)
	v := int64(1)
	if err := m.add(0, 10, "a", &v); err != nil {
		t.Fatal(err)
	}
	var got []line
	m.advance(10, collect(&got))
	if len(got) != 1 {
		t.Fatalf("got %v", got)
	}
	if err := m.add(0, 10, "a", &v); !errors.Is(err, ErrMerge) {
		t.Fatalf("a partial for a final window: %v, want ErrMerge", err)
	}
	if err := m.add(10, 20, "a", &v); err != nil {
		t.Fatal(err)
	}
}

func TestMergeRestoreCorrupt(t *testing.T) {
	m := newMerge[string](sumMerger{}, strings.Compare)
	for i := range 5 {
		v := int64(i)
		_ = m.add(record.Time(i)*10, record.Time(i)*10+10, "k", &v)
	}
	m.advance(20, func(record.Time, record.Time, string, int64) {})
	snap, err := m.appendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	for cut := range len(snap) {
		fresh := newMerge[string](sumMerger{}, strings.Compare)
		v := int64(9)
		_ = fresh.add(100, 110, "z", &v)
		before, _ := fresh.appendSnapshot(nil)
		if err := fresh.restore(snap[:cut]); !errors.Is(err, ErrMerge) && !errors.Is(err, codec.ErrCodec) {
			t.Fatalf("cut %d: %v", cut, err)
		}
		after, _ := fresh.appendSnapshot(nil)
		if !slices.Equal(before, after) {
			t.Fatalf("cut %d: a failed restore changed the merge", cut)
		}
	}
}

func FuzzMergeRestore(f *testing.F) {
	m := newMerge[string](sumMerger{}, strings.Compare)
	v := int64(3)
	_ = m.add(0, 10, "a", &v)
	_ = m.add(10, 20, "b", &v)
	snap, _ := m.appendSnapshot(nil)
	f.Add(snap)
	f.Add([]byte{mergeVersion})
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newMerge[string](sumMerger{}, strings.Compare)
		if err := m.restore(data); err != nil {
			if m.pending() != 0 || m.final != record.MinTime {
				t.Fatal("a failed restore changed the merge")
			}
			return
		}
		// What restores snapshots back to the same bytes.
		again, err := m.appendSnapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		m2 := newMerge[string](sumMerger{}, strings.Compare)
		if err := m2.restore(again); err != nil {
			t.Fatalf("restoring a snapshot of a restored merge: %v", err)
		}
	})
}
