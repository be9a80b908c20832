package window

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// checkKeyIndex runs random puts, gets, deletions and resets on a keyIndex
// and on a Go map (the oracle) and compares them after every step.
func checkKeyIndex[K comparable](t *testing.T, keys []K, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	x := newKeyIndex[K]()
	want := map[K]int32{}
	next := int32(0)
	steps := 20000
	if testing.Short() {
		steps = 4000
	}
	for step := range steps {
		k := keys[rng.IntN(len(keys))]
		switch op := rng.IntN(100); {
		case op < 60:
			got, ok := x.get(k)
			w, wok := want[k]
			if ok != wok || got != w {
				t.Fatalf("step %d: get(%v) = %d, %v; want %d, %v", step, k, got, ok, w, wok)
			}
			if !ok {
				x.put(k, next)
				want[k] = next
				next++
			}
		case op < 99:
			// Drop about a third of the keys, by index.
			if op < 97 {
				continue
			}
			drop := func(i int32) bool { return i%3 == int32(step%3) }
			x.deleteIf(drop)
			for k, i := range want {
				if drop(i) {
					delete(want, k)
				}
			}
		default:
			x.reset()
			clear(want)
		}
		if x.len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", step, x.len(), len(want))
		}
	}
	for k, w := range want {
		if got, ok := x.get(k); !ok || got != w {
			t.Fatalf("get(%v) = %d, %v at the end; want %d", k, got, ok, w)
		}
	}
	for _, k := range keys {
		if _, ok := want[k]; !ok {
			if _, ok := x.get(k); ok {
				t.Fatalf("get(%v) found a key not held", k)
			}
		}
	}
}

func TestKeyIndex(t *testing.T) {
	ints := func(n int, f func(int) int64) []int64 {
		ks := make([]int64, n)
		for i := range ks {
			ks[i] = f(i)
		}
		return ks
	}
	t.Run("int64/dense", func(t *testing.T) { checkKeyIndex(t, ints(3000, func(i int) int64 { return int64(i) }), 1) })
	t.Run("int64/negative", func(t *testing.T) { checkKeyIndex(t, ints(3000, func(i int) int64 { return -int64(i) << 20 }), 2) })
	t.Run("int64/strided", func(t *testing.T) { checkKeyIndex(t, ints(3000, func(i int) int64 { return int64(i) << 32 }), 3) })
	t.Run("int8", func(t *testing.T) {
		ks := make([]int8, 256)
		for i := range ks {
			ks[i] = int8(i - 128)
		}
		checkKeyIndex(t, ks, 4)
	})
	t.Run("uint32", func(t *testing.T) {
		ks := make([]uint32, 2000)
		for i := range ks {
			ks[i] = uint32(i) * 2654435761
		}
		checkKeyIndex(t, ks, 5)
	})
	t.Run("string", func(t *testing.T) {
		ks := make([]string, 2000)
		for i := range ks {
			ks[i] = fmt.Sprint(i)
		}
		checkKeyIndex(t, ks, 6)
	})
	t.Run("float64", func(t *testing.T) {
		// Floats are not an integer kind: 0 and -0 are one key.
		x := newKeyIndex[float64]()
		if x.ints {
			t.Fatal("float64 keys use the integer table")
		}
		checkKeyIndex(t, []float64{0, 1, 2.5, -1, 1e300}, 7)
	})
}

// TestKeyChurnInt is TestKeyChurn with integer keys, which use keyIndex's
// own table: with and without overlapping windows (Delay), dead keys leave
// it, so it stays bounded, and the counts stay right.
func TestKeyChurnInt(t *testing.T) {
	for _, delay := range []time.Duration{0, 3 * time.Second} {
		key := func(r record.Of[int64]) int64 { return r.Value }
		op, err := Aggregate(Step(time.Second), key, aggregate.Count[record.Of[int64]](), &Options[record.Of[int64]]{Delay: delay})
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]int64{}
		emit := func(r Result[int64, int64]) { got[r.Key] += r.Value }
		for i := range 50000 {
			_ = op.Push(record.Of[int64]{Time: record.Time(i) * record.Time(time.Millisecond), Value: int64(i)}, emit)
			// At most 4,000 keys are live (a window of 1,000 records and
			// three more held by the delay); dead ones are dropped when a
			// window is purged, so a window's worth of new keys comes on top.
			if n := op.eng.(*tumbler[record.Of[int64], int64, int64, int64]).idx.len(); n > 4*4000+4096+1000 {
				t.Fatalf("delay %v, after %d records: %d keys in the index", delay, i+1, n)
			}
		}
		_ = op.Flush(emit)
		for k := range int64(50000) {
			if got[k] != 1 {
				t.Fatalf("delay %v: key %d counted %d, want 1", delay, k, got[k])
			}
		}
		// 50,000 keys held at once would need 131,072 slots.
		if n := len(op.eng.(*tumbler[record.Of[int64], int64, int64, int64]).idx.tab.t); n > 1<<16 {
			t.Errorf("delay %v: table of %d slots", delay, n)
		}
	}
}
