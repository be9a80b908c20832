package window

import (
	"math/rand/v2"
	"reflect"
	"unsafe"
)

// keyIndex maps the keys of a tumbling operator to their dense indexes.
//
// Keys of an integer kind go to an open-addressing table of their own:
// linear probing over (key bits, index) pairs, at most 4/5 full (so a
// lookup of a held key reads about three entries, 48 bytes, on average),
// hashed with a per-table random seed so that crafted keys do not collide
// by design. A lookup hashes inline and usually reads one slot, where a Go map
// lookup is a call, a hash call and a group probe; on the per-record path
// that is most of the difference. Other key types use a Go map.
type keyIndex[K comparable] struct {
	m    map[K]int32 // non-integer keys
	ints bool        // K is an integer kind: the table is used
	t    []islot     // length a power of two, or nil
	n    int         // keys in t
	seed uint64
}

// islot is a table entry: a key's bits and its index + 1 (0: empty).
type islot struct {
	k uint64
	i int32
}

func newKeyIndex[K comparable]() keyIndex[K] {
	switch reflect.TypeFor[K]().Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return keyIndex[K]{ints: true, seed: rand.Uint64()}
	}
	return keyIndex[K]{m: make(map[K]int32)}
}

// bitsOf returns the bits of an integer key; two keys are equal exactly
// when their bits are.
func bitsOf[K comparable](k K) uint64 {
	switch unsafe.Sizeof(k) {
	case 8:
		return *(*uint64)(unsafe.Pointer(&k))
	case 4:
		return uint64(*(*uint32)(unsafe.Pointer(&k)))
	case 2:
		return uint64(*(*uint16)(unsafe.Pointer(&k)))
	}
	return uint64(*(*uint8)(unsafe.Pointer(&k)))
}

// home returns the table position where the key with bits b starts its
// probe (splitmix64's finalizer over the seeded bits).
func (x *keyIndex[K]) home(b uint64) int {
	b += x.seed
	b ^= b >> 30
	b *= 0xbf58476d1ce4e5b9
	b ^= b >> 27
	b *= 0x94d049bb133111eb
	b ^= b >> 31
	return int(b & uint64(len(x.t)-1))
}

func (x *keyIndex[K]) len() int {
	if x.ints {
		return x.n
	}
	return len(x.m)
}

// get returns k's index.
func (x *keyIndex[K]) get(k K) (int32, bool) {
	if !x.ints {
		i, ok := x.m[k]
		return i, ok
	}
	if x.n == 0 {
		return 0, false
	}
	b := bitsOf(k)
	mask := len(x.t) - 1
	for h := x.home(b); ; h = (h + 1) & mask {
		s := &x.t[h]
		if s.k == b && s.i != 0 {
			return s.i - 1, true
		}
		if s.i == 0 {
			return 0, false
		}
	}
}

// put adds k, which must not be present, with index i.
func (x *keyIndex[K]) put(k K, i int32) {
	if !x.ints {
		x.m[k] = i
		return
	}
	if 5*(x.n+1) > 4*len(x.t) {
		x.resize(max(16, 2*len(x.t)))
	}
	x.insert(bitsOf(k), i+1)
	x.n++
}

func (x *keyIndex[K]) insert(b uint64, i1 int32) {
	mask := len(x.t) - 1
	h := x.home(b)
	for x.t[h].i != 0 {
		h = (h + 1) & mask
	}
	x.t[h] = islot{k: b, i: i1}
}

// resize moves the table's entries to a new table of size slots.
func (x *keyIndex[K]) resize(size int) {
	old := x.t
	x.t = make([]islot, size)
	for _, s := range old {
		if s.i != 0 {
			x.insert(s.k, s.i)
		}
	}
}

// deleteIf removes the keys whose index drop reports true.
func (x *keyIndex[K]) deleteIf(drop func(int32) bool) {
	if !x.ints {
		for k, i := range x.m {
			if drop(i) {
				delete(x.m, k)
			}
		}
		return
	}
	// Rebuild, into a table sized for the keys that stay.
	old := x.t
	keep := 0
	for j := range old {
		if s := &old[j]; s.i != 0 {
			if drop(s.i - 1) {
				s.i = 0
			} else {
				keep++
			}
		}
	}
	size := 16
	for 5*keep > 4*size {
		size *= 2
	}
	x.t, x.n = make([]islot, size), keep
	for _, s := range old {
		if s.i != 0 {
			x.insert(s.k, s.i)
		}
	}
}

// reset removes every key, keeping the memory.
func (x *keyIndex[K]) reset() {
	if !x.ints {
		clear(x.m)
		return
	}
	clear(x.t)
	x.n = 0
}

// bytes estimates the memory held, for keys of ks bytes.
func (x *keyIndex[K]) bytes(ks int64) int64 {
	if x.ints {
		return int64(cap(x.t)) * int64(unsafe.Sizeof(islot{}))
	}
	// A map entry costs its key, its value and about 8 bytes of overhead.
	return int64(len(x.m)) * (ks + 4 + 8)
}
