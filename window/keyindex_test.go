package window

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// checkKeyIndex runs random puts, gets, removals, deletions and resets on a keyIndex
// and on a Go map (the oracle) and compares them after every step.
func checkKeyIndex[K comparable](t *testing.T, keys []K, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	x := newKeyIndex[K]()
	want := map[K]int32{}
	next := int32(0)
	steps := sized(20000, 4000)
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
		case op < 85:
			x.remove(k) // a key held or not
			delete(want, k)
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
