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

// newArrivalKeyTable returns a keyTable for keys that come and go in
// arrival order, as a join's do: integer keys are placed by
// intTable.homeArrival. Such a table is read with getArrival, not get.
func newArrivalKeyTable[K comparable]() keyTable[K] {
	t := newKeyTable[K]()
	t.idx.arrival = t.idx.ints
	return t
}

func (t *keyTable[K]) len() int { return t.idx.len() }

// get returns k's index. The engines' per-record paths write it out, so
// that the integer table's lookup inlines there, where a Go map lookup is a
// call, a hash call and a group probe: about half of the cost of a record.
func (t *keyTable[K]) get(k K) (int32, bool) { return t.idx.get(k) }

// getArrival is get for a table made by newArrivalKeyTable.
func (t *keyTable[K]) getArrival(k K) (int32, bool) { return t.idx.getArrival(k) }

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
	m       map[K]int32 // non-integer keys
	ints    bool        // K is an integer kind: tab is used
	arrival bool        // tab places keys by homeArrival
	tab     intTable
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

// getArrival is get for an arrival table (see newArrivalKeyTable). get
// does not test which table it reads: that test would cost every lookup
// of the other engines that do not write get out.
func (x *keyIndex[K]) getArrival(k K) (int32, bool) {
	if x.ints {
		return x.tab.getArrival(bitsOf(k))
	}
	i, ok := x.m[k]
	return i, ok
}

// put adds k, which must not be present, with index i.
func (x *keyIndex[K]) put(k K, i int32) {
	if x.ints {
		x.tab.put(bitsOf(k), i, x.arrival)
		return
	}
	x.m[k] = i
}

// remove deletes k, if present.
func (x *keyIndex[K]) remove(k K) {
	if x.ints {
		if x.arrival {
			x.tab.removeArrival(bitsOf(k))
			return
		}
		x.tab.remove(bitsOf(k))
		return
	}
	delete(x.m, k)
}

// deleteIf removes the keys whose index drop reports true.
func (x *keyIndex[K]) deleteIf(drop func(int32) bool) {
	if x.ints {
		x.tab.deleteIf(drop, x.arrival)
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
//
// A table for keys that come and go in arrival order (a join's) places
// them by homeArrival instead of home, in Robin Hood order, by the
// methods named so; the others serve both.
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
	d int32 // arrival tables: distance from the key's home, in slots
}

// home returns the table position where the key with bits b starts its
// probe: Fibonacci hashing of the seeded bits (the top bits of their
// product with 2⁶⁴/φ), which spreads runs and strides of keys evenly.
func (x *intTable) home(b uint64) int {
	return int(((b ^ x.seed) * 0x9e3779b97f4a7c15) >> x.shift)
}

// homeArrival is home for keys that come and go in arrival order. The
// bits above the lowest two pick a block of four slots, 64 bytes, by
// Fibonacci hashing of them seeded, and the lowest two the slot in the
// block: the keys 4n to 4n+3 share a home block. Consecutive keys
// (sequence numbers, counters, ids handed out in order: the common keys of
// a stream) then land four to a cache line, so that a table too large for
// the cache costs a miss per four keys that come and per four that leave,
// not one each. Keys of random bits spread as with home. Other tables keep
// home: where keys stay and are read in random order, the blocks only
// lengthen probes (measured: 12 instructions a record more in
// BenchmarkStepSum/keys=100000).
func (x *intTable) homeArrival(b uint64) int {
	return int((b>>2^x.seed)*0x9e3779b97f4a7c15>>x.shift&^3 | b&3)
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

// getArrival is get by homeArrival. It is get's loop written again, since
// a shared loop with the home as an argument puts neither within the
// compiler's inlining budget; it tests a slot for empty first, which
// keeps it within.
func (x *intTable) getArrival(b uint64) (int32, bool) {
	if x.n == 0 {
		return 0, false
	}
	mask := len(x.t) - 1
	for h := x.homeArrival(b); ; h = (h + 1) & mask {
		s := &x.t[h]
		if s.i == 0 {
			return 0, false
		}
		if s.k == b {
			return s.i - 1, true
		}
	}
}

// put adds the key with bits b, which must not be present, with index i,
// placed by homeArrival if arrival.
func (x *intTable) put(b uint64, i int32, arrival bool) {
	if 5*(x.n+1) > 4*len(x.t) {
		x.resize(max(16, 2*len(x.t)), arrival)
	}
	x.place(b, i+1, arrival)
	x.n++
}

func (x *intTable) place(b uint64, i1 int32, arrival bool) {
	if arrival {
		x.insertArrival(b, i1)
	} else {
		x.insert(b, i1)
	}
}

func (x *intTable) insert(b uint64, i1 int32) {
	mask := len(x.t) - 1
	h := x.home(b)
	for x.t[h].i != 0 {
		h = (h + 1) & mask
	}
	x.t[h] = islot{k: b, i: i1}
}

// insertArrival is insert by homeArrival, in Robin Hood order: along a
// run, entries stand in the order of their homes, so an entry probing past
// one whose home is later (which is nearer it) takes that slot, and the
// other probes on.
func (x *intTable) insertArrival(b uint64, i1 int32) {
	mask := len(x.t) - 1
	e := islot{k: b, i: i1}
	for h := x.homeArrival(b); ; h = (h + 1) & mask {
		s := &x.t[h]
		if s.i == 0 {
			*s = e
			return
		}
		if s.d < e.d {
			*s, e = e, *s
		}
		e.d++
	}
}

// find returns the slot of the key with bits b, probing from its home h,
// or -1 when the table does not hold it.
func (x *intTable) find(h int, b uint64) int {
	if x.n == 0 {
		return -1
	}
	mask := len(x.t) - 1
	for x.t[h].k != b || x.t[h].i == 0 {
		if x.t[h].i == 0 {
			return -1
		}
		h = (h + 1) & mask
	}
	return h
}

// removeArrival is remove by homeArrival: the entries after the key in its
// run move back one slot each, up to the first that is at its home, whose
// followers have homes after it (Robin Hood order). In a run of whole
// blocks, remove would read to the run's end.
func (x *intTable) removeArrival(b uint64) {
	h := x.find(x.homeArrival(b), b)
	if h < 0 {
		return
	}
	mask := len(x.t) - 1
	for {
		j := (h + 1) & mask
		if x.t[j].i == 0 || x.t[j].d == 0 {
			break
		}
		x.t[h] = x.t[j]
		x.t[h].d--
		h = j
	}
	x.t[h] = islot{}
	x.n--
}

// remove deletes the key with bits b, if present, by backward shift: each
// entry after it in its run that may sit in the hole (the hole lies on the
// entry's probe path, from its home to where it is) moves there, leaving
// the hole at its old place, until the run ends. No tombstones: lookups
// stay as short as the table's load says.
func (x *intTable) remove(b uint64) {
	h := x.find(x.home(b), b)
	if h < 0 {
		return
	}
	mask := len(x.t) - 1
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
func (x *intTable) resize(size int, arrival bool) {
	old := x.t
	x.alloc(size)
	for _, s := range old {
		if s.i != 0 {
			x.place(s.k, s.i, arrival)
		}
	}
}

// deleteIf removes the keys whose index drop reports true, rebuilding the
// table at the size the keys that stay need.
func (x *intTable) deleteIf(drop func(int32) bool, arrival bool) {
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
			x.place(s.k, s.i, arrival)
		}
	}
}

// alloc gives the table size empty slots; size is a power of two.
func (x *intTable) alloc(size int) {
	x.t = make([]islot, size)
	x.shift = uint8(64 - bits.TrailingZeros(uint(size)))
}
