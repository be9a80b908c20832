package aggregate

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// TopKOptions configures TopK. A nil *TopKOptions means the defaults.
type TopKOptions struct {
	// Capacity is the number of counters the summary keeps, at least K. The
	// zero Capacity means 10·K. Counts are exact while an accumulator has seen
	// at most Capacity distinct items; beyond that each count is an upper
	// bound whose error is at most (records added)/Capacity.
	Capacity int
}

// Item is one entry of a TopK result: an item, its count, and the error
// bound of the count: the item's true count lies in [Count−Error, Count].
// Error is 0 while the summary is exact.
type Item[T comparable] struct {
	Value T
	Count int64
	Error int64
}

// TopKState is the accumulator of TopK: a Space-Saving summary. The zero
// TopKState is empty; it allocates on its first Add.
type TopKState[T comparable] struct {
	slots []topSlot[T]
	heap  []int32 // slot indices, a min-heap under topSlot.less
	index map[T]int32
	n     int64 // records in the summary; also the arrival ordinal of the next
	floor int64 // upper bound of the true count of any item not held
}

type topSlot[T comparable] struct {
	item  T
	count int64
	err   int64
	first int64 // arrival ordinal at which the item entered the summary
	pos   int32 // index in heap
}

// less orders slots for eviction: the smallest count first, and among equal
// counts the one that entered last, so that the items reported first on ties
// (those that appeared first) are the ones kept. A total order makes the
// summary's evolution independent of the heap's layout, so a decoded summary
// continues exactly as the original.
func (s *topSlot[T]) less(t *topSlot[T]) bool {
	return s.count < t.count || (s.count == t.count && s.first > t.first)
}

// TopK returns the aggregate TOP_K_ITEMS: the k most frequent values of
// item(r), most frequent first, ties broken by first appearance (within the
// accumulator, where Merge counts src as arriving after dst).
//
// It keeps a Space-Saving summary (Metwally, Agrawal and El Abbadi, 2005)
// of opts.Capacity counters, default 10·k: a new item, when the summary is
// full, takes over the counter with the smallest count c and starts at
// count c+1 with error c. Every item whose true count exceeds
// (records)/Capacity is held, and each reported count bounds the true
// count from above with its Error. While an accumulator has seen at most
// Capacity distinct items nothing is evicted and every count is exact.
//
// Merge follows the mergeable summaries of Agarwal et al. (2012): counts of
// an item absent from one side are taken as that side's bound for absent
// items, and the merged summary keeps the Capacity largest counts. Merging
// summaries whose items together number at most Capacity is exact.
//
// Items are told apart with ==, as map keys are: a float NaN, unequal to
// itself, is a new item each time it occurs.
//
// Add costs a map lookup and an O(log Capacity) heap update, and does not
// allocate once the summary is full; Merge and Result allocate. The result
// is a StateCodec with a versioned encoding and a Sizer; it is not a
// Remover. It returns ErrK if k < 1 and ErrCapacity if the capacity is
// below k or above math.MaxInt32.
func TopK[R any, T comparable](k int, item func(R) T, opts *TopKOptions) (Func[R, TopKState[T], []Item[T]], error) {
	if k < 1 {
		return nil, fmt.Errorf("%w: got %d", ErrK, k)
	}
	if k > math.MaxInt32 {
		return nil, fmt.Errorf("%w: K %d exceeds the largest capacity", ErrCapacity, k)
	}
	capacity := 10 * k
	if opts != nil && opts.Capacity != 0 {
		capacity = opts.Capacity
	}
	if capacity < k || capacity > math.MaxInt32 {
		return nil, fmt.Errorf("%w: capacity %d, K %d", ErrCapacity, capacity, k)
	}
	return &topK[R, T]{k: k, capacity: capacity, item: item}, nil
}

type topK[R any, T comparable] struct {
	k, capacity int
	item        func(R) T
}

func (s *topK[R, T]) Add(a *TopKState[T], r R) {
	x := s.item(r)
	ord := a.n
	a.n++
	if i, ok := a.index[x]; ok {
		sl := &a.slots[i]
		sl.count++
		a.down(int(sl.pos))
		return
	}
	if a.index == nil {
		a.index = make(map[T]int32)
	}
	if len(a.slots) < s.capacity {
		i := int32(len(a.slots))
		a.slots = append(a.slots, topSlot[T]{item: x, count: 1, first: ord, pos: int32(len(a.heap))})
		a.heap = append(a.heap, i)
		a.index[x] = i
		a.up(len(a.heap) - 1)
		return
	}
	i := a.heap[0]
	sl := &a.slots[i]
	delete(a.index, sl.item)
	a.floor = sl.count
	*sl = topSlot[T]{item: x, count: sl.count + 1, err: sl.count, first: ord, pos: 0}
	a.index[x] = i
	a.down(0)
}

func (a *TopKState[T]) lessAt(i, j int) bool {
	return a.slots[a.heap[i]].less(&a.slots[a.heap[j]])
}

func (a *TopKState[T]) swap(i, j int) {
	h := a.heap
	h[i], h[j] = h[j], h[i]
	a.slots[h[i]].pos = int32(i)
	a.slots[h[j]].pos = int32(j)
}

func (a *TopKState[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !a.lessAt(i, p) {
			return
		}
		a.swap(i, p)
		i = p
	}
}

func (a *TopKState[T]) down(i int) {
	n := len(a.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && a.lessAt(r, l) {
			m = r
		}
		if !a.lessAt(m, i) {
			return
		}
		a.swap(i, m)
		i = m
	}
}

// rebuild sets slots and restores the index and the heap around them.
func (a *TopKState[T]) rebuild(slots []topSlot[T]) {
	a.slots = slots
	a.heap = a.heap[:0]
	if a.index == nil {
		a.index = make(map[T]int32, len(slots))
	} else {
		clear(a.index)
	}
	for i := range slots {
		slots[i].pos = int32(i)
		a.heap = append(a.heap, int32(i))
		a.index[slots[i].item] = int32(i)
	}
	for i := len(a.heap)/2 - 1; i >= 0; i-- {
		a.down(i)
	}
}

// byRank orders slots as results are reported: the largest count first,
// then the earliest to appear.
func byRank[T comparable](x, y topSlot[T]) int {
	if c := cmp.Compare(y.count, x.count); c != 0 {
		return c
	}
	return cmp.Compare(x.first, y.first)
}

func (s *topK[R, T]) Merge(dst, src *TopKState[T]) {
	if src.n == 0 && len(src.slots) == 0 {
		return
	}
	out := make([]topSlot[T], 0, len(dst.slots)+len(src.slots))
	for _, d := range dst.slots {
		if j, ok := src.index[d.item]; ok {
			d.count += src.slots[j].count
			d.err += src.slots[j].err
		} else {
			d.count += src.floor
			d.err += src.floor
		}
		out = append(out, d)
	}
	for _, e := range src.slots {
		if _, ok := dst.index[e.item]; ok {
			continue
		}
		e.first += dst.n
		e.count += dst.floor
		e.err += dst.floor
		out = append(out, e)
	}
	floor := dst.floor + src.floor
	if len(out) > s.capacity {
		slices.SortFunc(out, byRank)
		for _, d := range out[s.capacity:] {
			floor = max(floor, d.count)
		}
		clear(out[s.capacity:])
		out = out[:s.capacity]
	}
	dst.rebuild(out)
	dst.n += src.n
	dst.floor = floor
}

// Result returns up to K items, most frequent first, ties by first
// appearance. It allocates the returned slice.
func (s *topK[R, T]) Result(a *TopKState[T]) []Item[T] {
	if len(a.slots) == 0 {
		return nil
	}
	ranked := slices.SortedFunc(slices.Values(a.slots), byRank)
	out := make([]Item[T], min(s.k, len(ranked)))
	for i := range out {
		out[i] = Item[T]{Value: ranked[i].item, Count: ranked[i].count, Error: ranked[i].err}
	}
	return out
}

// StateSize estimates the bytes a holds beyond the TopKState itself: its
// counters, its heap and its index, whose entries it takes at 8/7 of the
// item and slot size for the map's free slots and control bytes. It does
// not count memory that items point to (a string's bytes), which an item
// usually shares with the records it came from.
func (s *topK[R, T]) StateSize(a *TopKState[T]) int {
	var sl topSlot[T]
	n := cap(a.slots)*int(unsafe.Sizeof(sl)) + cap(a.heap)*4
	if a.index != nil {
		var x T
		n += topKMapOverhead + len(a.index)*(int(unsafe.Sizeof(x))+4+1)*8/7
	}
	return n
}

// topKMapOverhead is the size of an empty map's header and directory.
const topKMapOverhead = 48

// topKVersion is the first byte of an encoded TopKState.
const topKVersion = 1

// AppendState appends the summary: a version byte, the capacity (so that a
// summary is not restored into a TopK of another capacity), the record count,
// the bound for absent items, and each counter as item, count, error and
// arrival ordinal.
func (s *topK[R, T]) AppendState(dst []byte, a *TopKState[T]) ([]byte, error) {
	dst = append(dst, topKVersion)
	dst = binary.AppendUvarint(dst, uint64(s.capacity))
	dst = binary.AppendUvarint(dst, uint64(a.n))
	dst = binary.AppendUvarint(dst, uint64(a.floor))
	dst = binary.AppendUvarint(dst, uint64(len(a.slots)))
	var err error
	for i := range a.slots {
		sl := &a.slots[i]
		if dst, err = appendValue(dst, sl.item); err != nil {
			return dst, err
		}
		dst = binary.AppendUvarint(dst, uint64(sl.count))
		dst = binary.AppendUvarint(dst, uint64(sl.err))
		dst = binary.AppendUvarint(dst, uint64(sl.first))
	}
	return dst, nil
}

// ReadState decodes a summary written by AppendState. It checks the version,
// the capacity and the consistency of the counters, and leaves *a unchanged
// on error.
func (s *topK[R, T]) ReadState(a *TopKState[T], src []byte) (int, error) {
	if len(src) == 0 {
		return 0, ErrTruncated
	}
	if src[0] != topKVersion {
		return 0, fmt.Errorf("%w: top-K summary version %d", ErrVersion, src[0])
	}
	p := 1
	var hdr [4]uint64 // capacity, n, floor, len
	for i := range hdr {
		x, m, err := readUvarint(src[p:])
		if err != nil {
			return 0, err
		}
		hdr[i] = x
		p += m
	}
	capacity, n, floor, l := hdr[0], hdr[1], hdr[2], hdr[3]
	if capacity != uint64(s.capacity) {
		return 0, fmt.Errorf("%w: top-K summary of capacity %d, want %d", errMismatch, capacity, s.capacity)
	}
	// Counts never exceed the records added; keeping n below 2^62 leaves
	// room to add two summaries' counts without overflow.
	if n >= 1<<62 || floor > n || l > capacity || l > n {
		return 0, fmt.Errorf("%w: top-K summary header", errCorrupt)
	}
	slots := make([]topSlot[T], 0, min(l, uint64(len(src)-p)))
	seen := make(map[T]int32, cap(slots))
	for i := range l {
		var sl topSlot[T]
		m, err := readValue(src[p:], &sl.item)
		if err != nil {
			return 0, err
		}
		p += m
		var f [3]uint64
		for j := range f {
			x, m, err := readUvarint(src[p:])
			if err != nil {
				return 0, err
			}
			f[j] = x
			p += m
		}
		if f[0] < 1 || f[0] > n || f[1] >= f[0] || f[2] >= n {
			return 0, fmt.Errorf("%w: top-K counter %d", errCorrupt, i)
		}
		if _, dup := seen[sl.item]; dup {
			return 0, fmt.Errorf("%w: top-K item repeated", errCorrupt)
		}
		seen[sl.item] = int32(i)
		sl.count, sl.err, sl.first = int64(f[0]), int64(f[1]), int64(f[2])
		slots = append(slots, sl)
	}
	out := TopKState[T]{n: int64(n), floor: int64(floor), index: seen}
	out.rebuild(slots)
	*a = out
	return p, nil
}
