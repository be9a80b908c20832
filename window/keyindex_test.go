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
	for _, arrival := range []bool{false, true} {
		checkKeyIndexOrder(t, keys, seed, arrival)
	}
}

func checkKeyIndexOrder[K comparable](t *testing.T, keys []K, seed uint64, arrival bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	x := newKeyIndex[K]()
	x.arrival = x.ints && arrival
	get := x.get
	if arrival {
		get = x.getArrival
	}
	want := map[K]int32{}
	next := int32(0)
	steps := sized(20000, 4000)
	for step := range steps {
		k := keys[rng.IntN(len(keys))]
		switch op := rng.IntN(100); {
		case op < 60:
			got, ok := get(k)
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
		if x.ints && step%101 == 0 {
			checkIntTable(t, &x.tab, x.arrival)
		}
	}
	for k, w := range want {
		if got, ok := get(k); !ok || got != w {
			t.Fatalf("get(%v) = %d, %v at the end; want %d", k, got, ok, w)
		}
	}
	for _, k := range keys {
		if _, ok := want[k]; !ok {
			if _, ok := get(k); ok {
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

// checkIntTable checks the table's invariants: no empty slot between an
// entry and its home, n counting the entries, and for an arrival table
// each entry's distance from its home and Robin Hood order (the entries of
// a run in the order of their homes).
func checkIntTable(t *testing.T, x *intTable, arrival bool) {
	t.Helper()
	mask := len(x.t) - 1
	n := 0
	for h, s := range x.t {
		if s.i == 0 {
			continue
		}
		n++
		home := x.home(s.k)
		if arrival {
			home = x.homeArrival(s.k)
		}
		d := (h - home) & mask
		for j := home; j != h; j = (j + 1) & mask {
			if x.t[j].i == 0 {
				t.Fatalf("slot %d: key %#x is past the empty slot %d from its home %d", h, s.k, j, home)
			}
		}
		if !arrival {
			continue
		}
		if int(s.d) != d {
			t.Fatalf("slot %d: key %#x has distance %d, is %d from its home", h, s.k, s.d, d)
		}
		if p := x.t[(h-1)&mask]; d > 0 && s.d > p.d+1 {
			t.Fatalf("slot %d: key %#x at distance %d follows distance %d", h, s.k, s.d, p.d)
		}
	}
	if n != x.n {
		t.Fatalf("%d entries, n = %d", n, x.n)
	}
}

// TestIntTableWindow runs the key pattern of a join: key i comes in as key
// i−w leaves, for consecutive, strided and random keys, in both kinds of
// table, checked against a Go map.
func TestIntTableWindow(t *testing.T) {
	pats := map[string]func(i int) uint64{
		"dense":   func(i int) uint64 { return uint64(i) },
		"stride4": func(i int) uint64 { return uint64(i) * 4 },
		"stride3": func(i int) uint64 { return uint64(i) * 3 },
		"high":    func(i int) uint64 { return uint64(i) << 40 },
		"random":  func(i int) uint64 { return uint64(i) * 0x9e3779b97f4a7c15 },
	}
	for name, key := range pats {
		for _, arrival := range []bool{false, true} {
			for _, w := range []int{3, 100, 5000} {
				t.Run(fmt.Sprintf("%s/arrival=%v/w=%d", name, arrival, w), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(w), 11))
					x := newKeyIndex[uint64]()
					x.arrival = arrival
					get := x.get
					if arrival {
						get = x.getArrival
					}
					want := map[uint64]int32{}
					for i := range sized(4*w+20000, 2*w+2000) {
						k := key(i)
						if _, ok := get(k); ok {
							t.Fatalf("step %d: new key %#x found", i, k)
						}
						x.put(k, int32(i))
						want[k] = int32(i)
						if i >= w {
							x.remove(key(i - w))
							delete(want, key(i-w))
						}
						if j := i - rng.IntN(w+2); j >= 0 {
							got, ok := get(key(j))
							wi, wok := want[key(j)]
							if ok != wok || got != wi {
								t.Fatalf("step %d: get(%#x) = %d, %v; want %d, %v", i, key(j), got, ok, wi, wok)
							}
						}
						if i%997 == 0 {
							checkIntTable(t, &x.tab, arrival)
						}
					}
					checkIntTable(t, &x.tab, arrival)
					if x.len() != len(want) {
						t.Fatalf("len %d, want %d", x.len(), len(want))
					}
				})
			}
		}
	}
}
