package window

import (
	"math/bits"
	"math/rand/v2"
	"reflect"
	"unsafe"
)

// keyTable maps the keys of an engine to dense indexes and back,
// reusing the indexes of deleted keys: an engine keeps what it holds per
// key in slices by index.
type keyTable[K comparable] struct {
	idx  keyIndex[K] // key → index
	keys []K         // index → key (zero when free)
	free []int32     // indexes of deleted keys
}

func newKeyTable[K comparable]() keyTable[K] { return keyTable[K]{idx: newKeyIndex[K]()} }

func (t *keyTable[K]) len() int { return t.idx.len() }

// get returns k's index. The engines' per-record paths write it out, so
// that the integer table's lookup inlines there, where a Go map lookup is a
// call, a hash call and a group probe: about half of the cost of a record.
func (t *keyTable[K]) get(k K) (int32, bool) { return t.idx.get(k) }

// insert adds k, which must not be present, and returns its index: a
// freed one, or len(keys) − 1 after growing keys by one.
func (t *keyTable[K]) insert(k K) int32 {
	var i int32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
		t.keys[i] = k
	} else {
		i = int32(len(t.keys))
		t.keys = append(t.keys, k)
	}
	t.idx.put(k, i)
	return i
}

// remove deletes the key of index i.
func (t *keyTable[K]) remove(i int32) {
	var zero K
	t.idx.remove(t.keys[i])
	t.keys[i] = zero
	t.free = append(t.free, i)
}

// removeIf deletes the keys whose index drop reports true.
func (t *keyTable[K]) removeIf(drop func(int32) bool) {
	var zero K
	t.idx.deleteIf(func(i int32) bool {
		if !drop(i) {
			return false
		}
		t.keys[i] = zero
		t.free = append(t.free, i)
		return true
	})
}

// reset empties the table, keeping its memory.
func (t *keyTable[K]) reset() {
	t.idx.reset()
	clear(t.keys)
	t.keys = t.keys[:0]
	t.free = t.free[:0]
}

// bytes estimates the memory held by the table.
func (t *keyTable[K]) bytes() int64 {
	var k K
	ks := int64(unsafe.Sizeof(k))
	return t.idx.bytes(ks) + int64(cap(t.keys))*ks + int64(cap(t.free))*4
}

// keyIndex maps keys to indexes.
//
// Keys of an integer kind go to an intTable, the others to a Go map. On the
// per-record path the table's lookup is inlined, where a Go map lookup is a
// call, a hash call and a group probe: about half of the cost of a record.
type keyIndex[K comparable] struct {
	m    map[K]int32 // non-integer keys
	ints bool        // K is an integer kind: tab is used
	tab  intTable
}

func newKeyIndex[K comparable]() keyIndex[K] {
	switch reflect.TypeFor[K]().Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return keyIndex[K]{ints: true, tab: intTable{seed: rand.Uint64(), shift: 64}}
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

func (x *keyIndex[K]) len() int {
	if x.ints {
		return x.tab.n
	}
	return len(x.m)
}

// get returns k's index.
func (x *keyIndex[K]) get(k K) (int32, bool) {
	if x.ints {
		return x.tab.get(bitsOf(k))
	}
	i, ok := x.m[k]
	return i, ok
}

// put adds k, which must not be present, with index i.
func (x *keyIndex[K]) put(k K, i int32) {
	if x.ints {
		x.tab.put(bitsOf(k), i)
		return
	}
	x.m[k] = i
}

// remove deletes k, if present.
func (x *keyIndex[K]) remove(k K) {
	if x.ints {
		x.tab.remove(bitsOf(k))
		return
	}
	delete(x.m, k)
}

// deleteIf removes the keys whose index drop reports true.
func (x *keyIndex[K]) deleteIf(drop func(int32) bool) {
	if x.ints {
		x.tab.deleteIf(drop)
		return
	}
	for k, i := range x.m {
		if drop(i) {
			delete(x.m, k)
		}
	}
}

// reset removes every key, keeping the memory.
func (x *keyIndex[K]) reset() {
	if x.ints {
		clear(x.tab.t)
		x.tab.n = 0
		return
	}
	clear(x.m)
}

// bytes estimates the memory held, for keys of ks bytes.
func (x *keyIndex[K]) bytes(ks int64) int64 {
	if x.ints {
		return int64(cap(x.tab.t)) * int64(unsafe.Sizeof(islot{}))
	}
	// A map entry costs its key, its value and about 8 bytes of overhead.
	return int64(len(x.m)) * (ks + 4 + 8)
}

// intTable maps the bits of integer keys to indexes: open addressing with
// linear probing over (key bits, index) pairs, at most 4/5 full (so a
// lookup of a held key reads about three entries, 48 bytes, on average),
// hashed with a per-table random seed so that crafted keys do not collide
// by design. It is not generic, so that its lookup inlines into generic
// callers.
type intTable struct {
	t     []islot // length a power of two, or nil
	n     int     // keys held
	seed  uint64
	shift uint8 // 64 − log2(len(t))
}

// islot is a table entry: a key's bits and its index + 1 (0: empty).
type islot struct {
	k uint64
	i int32
}

// home returns the table position where the key with bits b starts its
// probe: Fibonacci hashing of the seeded bits (the top bits of their
// product with 2⁶⁴/φ), which spreads runs and strides of keys evenly.
func (x *intTable) home(b uint64) int {
	return int(((b ^ x.seed) * 0x9e3779b97f4a7c15) >> x.shift)
}

func (x *intTable) get(b uint64) (int32, bool) {
	if x.n == 0 {
		return 0, false
	}
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

// put adds the key with bits b, which must not be present, with index i.
func (x *intTable) put(b uint64, i int32) {
	if 5*(x.n+1) > 4*len(x.t) {
		x.resize(max(16, 2*len(x.t)))
	}
	x.insert(b, i+1)
	x.n++
}

func (x *intTable) insert(b uint64, i1 int32) {
	mask := len(x.t) - 1
	h := x.home(b)
	for x.t[h].i != 0 {
		h = (h + 1) & mask
	}
	x.t[h] = islot{k: b, i: i1}
}

// remove deletes the key with bits b, if present, by backward shift: each
// entry after it in its run that may sit in the hole (the hole lies on the
// entry's probe path, from its home to where it is) moves there, leaving
// the hole at its old place, until the run ends. No tombstones: lookups
// stay as short as the table's load says.
func (x *intTable) remove(b uint64) {
	if x.n == 0 {
		return
	}
	mask := len(x.t) - 1
	h := x.home(b)
	for x.t[h].k != b || x.t[h].i == 0 {
		if x.t[h].i == 0 {
			return
		}
		h = (h + 1) & mask
	}
	for j := (h + 1) & mask; x.t[j].i != 0; j = (j + 1) & mask {
		if (j-x.home(x.t[j].k))&mask >= (j-h)&mask {
			x.t[h] = x.t[j]
			h = j
		}
	}
	x.t[h] = islot{}
	x.n--
}

// resize moves the entries to a new table of size slots.
func (x *intTable) resize(size int) {
	old := x.t
	x.alloc(size)
	for _, s := range old {
		if s.i != 0 {
			x.insert(s.k, s.i)
		}
	}
}

// deleteIf removes the keys whose index drop reports true, rebuilding the
// table at the size the keys that stay need.
func (x *intTable) deleteIf(drop func(int32) bool) {
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
	x.alloc(size)
	x.n = keep
	for _, s := range old {
		if s.i != 0 {
			x.insert(s.k, s.i)
		}
	}
}

// alloc gives the table size empty slots; size is a power of two.
func (x *intTable) alloc(size int) {
	x.t = make([]islot, size)
	x.shift = uint8(64 - bits.TrailingZeros(uint(size)))
}
