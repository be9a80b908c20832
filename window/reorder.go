package window

import "github.com/rowtime/rowtime/record"

// pending is a record waiting in a reorder buffer: its event time, its
// arrival number, which orders equal times, and the index of its key (or
// partition), held while it waits so that the index stays valid.
type pending[R any] struct {
	r   R
	t   record.Time
	seq uint64
	key int32
}

// reorder is the reorder buffer of the engines that take records in
// event-time order (session and stagger windows, OVER windows): a binary
// min-heap on (time, arrival), written out here rather than with
// container/heap, whose any-typed Push allocates.
type reorder[R any] []pending[R]

func (b reorder[R]) less(i, j int) bool { return pendingLess(&b[i], &b[j]) }

func pendingLess[R any](a, b *pending[R]) bool {
	return a.t < b.t || (a.t == b.t && a.seq < b.seq)
}

func (b *reorder[R]) push(p pending[R]) {
	*b = append(*b, p)
	h := *b
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

// pop removes and returns the earliest record; b must not be empty.
func (b *reorder[R]) pop() pending[R] {
	h := *b
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = pending[R]{}
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		c := l
		if r := l + 1; r < n && h.less(r, l) {
			c = r
		}
		if !h.less(c, i) {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	*b = h
	return top
}

// alloc returns the index of an unused element of *s: the last index in
// *free, whose element the caller resets, or that of a zero element
// appended. The engines keep their windows, slots and partitions in slices
// reused this way, so that steady-state pushes do not allocate.
func alloc[T any](s *[]T, free *[]int32) int32 {
	if n := len(*free); n > 0 {
		id := (*free)[n-1]
		*free = (*free)[:n-1]
		return id
	}
	var zero T
	*s = append(*s, zero)
	return int32(len(*s) - 1)
}

// idList is a doubly linked list of ids, the indexes of elements an engine
// keeps in a slice: the open session windows in order of end, the OVER
// partitions least recently processed first. The links live in a slice of
// their own, indexed by id, so that one list serves every element type
// without a call per link, and pack densely in cache. The zero idList is
// not ready: use newIDList.
type idList struct {
	first, last int32 // -1 when empty
	links       []idLink
}

type idLink struct{ prev, next int32 }

func newIDList() idList { return idList{first: -1, last: -1} }

// linked reports whether id is in the list.
func (l *idList) linked(id int32) bool {
	return int(id) < len(l.links) && (l.links[id].prev >= 0 || l.first == id)
}

// next returns the id after id, or -1.
func (l *idList) next(id int32) int32 { return l.links[id].next }

// unlink removes id, which must be in the list.
func (l *idList) unlink(id int32) {
	k := &l.links[id]
	if k.prev >= 0 {
		l.links[k.prev].next = k.next
	} else {
		l.first = k.next
	}
	if k.next >= 0 {
		l.links[k.next].prev = k.prev
	} else {
		l.last = k.prev
	}
	k.prev, k.next = -1, -1
}

// pushBack appends id, which must not be in the list.
func (l *idList) pushBack(id int32) {
	for int(id) >= len(l.links) {
		l.links = append(l.links, idLink{-1, -1})
	}
	l.links[id] = idLink{prev: l.last, next: -1}
	if l.last >= 0 {
		l.links[l.last].next = id
	} else {
		l.first = id
	}
	l.last = id
}

// moveBack moves id, in the list or not, to its back.
func (l *idList) moveBack(id int32) {
	if l.last == id {
		return
	}
	if l.linked(id) {
		l.unlink(id)
	}
	l.pushBack(id)
}
