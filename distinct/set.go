package distinct

// hashSet is a set of 64-bit hashes: open addressing with linear probing in a
// power-of-two table, 0 marking an empty slot (the hash 0 itself is kept in
// a flag). It costs 8 bytes a slot and at most 4/3 slots an item, against
// ~40 bytes an item for map[uint64]struct{}, and an insert is one probe run
// over a contiguous slice. The zero hashSet is empty and ready to use.
type hashSet struct {
	slots []uint64
	n     int  // non-zero hashes held in slots
	zero  bool // the hash 0 is held
}

const minSlots = 8

// len returns the number of hashes held.
func (s *hashSet) len() int {
	if s.zero {
		return s.n + 1
	}
	return s.n
}

// add inserts h and reports whether it was new.
func (s *hashSet) add(h uint64) bool {
	if h == 0 {
		if s.zero {
			return false
		}
		s.zero = true
		return true
	}
	if len(s.slots) == 0 {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	i := h & mask
	for ; s.slots[i] != 0; i = (i + 1) & mask {
		if s.slots[i] == h {
			return false
		}
	}
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
		mask = uint64(len(s.slots) - 1)
		for i = h & mask; s.slots[i] != 0; i = (i + 1) & mask {
		}
	}
	s.slots[i] = h
	s.n++
	return true
}

func (s *hashSet) grow() {
	old := s.slots
	size := max(minSlots, 2*len(old))
	s.slots = make([]uint64, size)
	mask := uint64(size - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = h
	}
}

// each calls f for every hash held, in table order.
func (s *hashSet) each(f func(h uint64)) {
	if s.zero {
		f(0)
	}
	for _, h := range s.slots {
		if h != 0 {
			f(h)
		}
	}
}

// reset empties the set and keeps its table.
func (s *hashSet) reset() {
	clear(s.slots)
	s.n, s.zero = 0, false
}

// clone returns a copy that shares nothing with s.
func (s *hashSet) clone() hashSet {
	c := *s
	if s.slots != nil {
		c.slots = append([]uint64(nil), s.slots...)
	}
	return c
}

// bytes returns the memory held by the table.
func (s *hashSet) bytes() int { return 8 * len(s.slots) }
