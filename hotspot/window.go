package hotspot

import (
	"math"
	"slices"

	"github.com/kyroy/kdtree"
	"github.com/kyroy/kdtree/kdrange"
)

// This file holds the incremental clustering of a count window.
//
// Points are numbered by arrival (seq); the live points are the seqs
// [oldest, next). Per-point state lives in arrays indexed by slot = (seq − base) % n,
// grown as the window first fills.
//
// Neighbour search: the window is cut into panes of paneSize consecutive
// seqs. A full pane gets a balanced k-d tree, built once; the newest pane is
// a plain slice scanned linearly; a pane is dropped whole once all its points
// have expired, and until then its expired points are skipped by seq. A new
// point costs at most one search per pane (none where the pane's bounding
// box is out of reach) and nothing else costs a search: every point keeps
// the sorted seqs of its ε-neighbours (adj), so the expiry of the oldest point,
// whose live neighbours are all newer, decrements their counts without a
// search, and cluster maintenance walks adj.
//
// Clusters: each core point carries the label of its cluster, and every
// clustered point (core or border) is on its cluster's doubly linked member
// list. A border point records its owner, the nearest core neighbour (the
// earliest on a tie), and carries the owner's label. When points become core
// their clusters merge (the smaller relabelled into the larger); when core
// points stop being core (or expire), the affected cluster alone is
// re-examined: if the remaining core neighbours of the lost points are still
// connected, nothing splits; otherwise its core points are relabelled by
// components. Border points whose owner changed status are re-derived from
// their own neighbour lists.

const (
	noOwner = math.MaxUint64
	noLabel = -1
)

// treePoint is one point of a pane, as the k-d tree sees it. Up to four
// coordinates are held inline, so that a search reads one cache line per
// node it visits rather than chasing a slice.
type treePoint struct {
	x   [4]float64 // the coordinates, when there are at most 4
	c   []float64  // the coordinates, when there are more
	seq uint64
	n   int
}

func (p *treePoint) Dimensions() int { return p.n }

func (p *treePoint) Dimension(i int) float64 {
	if p.c == nil {
		return p.x[i&3]
	}
	return p.c[i]
}

func (p *treePoint) coords() []float64 {
	if p.c == nil {
		return p.x[:p.n]
	}
	return p.c
}

// pane holds paneSize consecutive points; pts[i] is seq first+i.
type pane struct {
	first    uint64
	from, to int // offsets filled: [from, to)
	coords   []float64
	pts      []treePoint
	tree     *kdtree.KDTree
	lo, hi   []float64 // bounding box of the tree's points
}

// misses reports whether box lies wholly outside the pane's bounding box,
// so that its tree need not be searched: local data (a city's pickups, one
// rack's servers) often leaves most panes far from a new point.
func (p *pane) misses(box kdrange.Range) bool {
	for i, r := range box {
		if r[1] < p.lo[i] || r[0] > p.hi[i] {
			return true
		}
	}
	return false
}

type cluster struct {
	head   int32 // first member slot, or -1
	size   int   // members, core and border
	cores  int   // core members
	lo, hi []float64
	stale  bool // lo/hi need recomputing from the members
	live   bool
	listed bool // in window.order
}

type window struct {
	n, dims, minPts, paneSize int
	eps, eps2                 float64

	oldest, next uint64 // live seqs are [oldest, next)
	base         uint64 // the first seq held; slots count from it

	cnt     []int32    // ε-neighbour count, self included
	adj     [][]uint64 // sorted seqs of neighbours, expired ones trimmed lazily
	core    []bool
	label   []int32 // cluster of a clustered point, noLabel for noise
	owner   []uint64
	ownerD2 []float64
	cnext   []int32 // cluster member list links
	cprev   []int32
	mark    []uint32 // visit stamps for walks
	stamp   uint32

	panes []pane // ring: pane k at panes[k % len(panes)]
	box   kdrange.Range
	idx   []int32

	clusters []cluster
	free     []int32
	order    []int32 // live clusters in the order of the last hotspots call

	version uint64 // bumped when any cluster changes

	searches, reexams uint64

	// scratch
	found, gained, lost, queue, targets, border []uint64
	touched, touchedSplit                       []int32
}

func newWindow(n, dims, minPts, paneSize int, eps float64) *window {
	w := &window{
		n: n, dims: dims, minPts: minPts, paneSize: paneSize,
		eps: eps, eps2: eps * eps,
	}
	w.panes = make([]pane, n/paneSize+2)
	w.box = make(kdrange.Range, dims)
	return w
}

func (w *window) size() int { return int(w.next - w.oldest) }

// slot maps a seq to its index in the per-point arrays. Counting from base,
// the first seq this window held, makes a filling window use slots 0, 1, 2,
// ... so the arrays grow with the window rather than being sized N upfront.
func (w *window) slot(seq uint64) int { return int((seq - w.base) % uint64(w.n)) }

// grow extends the per-point arrays by one slot.
func (w *window) grow() {
	w.cnt = append(w.cnt, 0)
	w.adj = append(w.adj, nil)
	w.core = append(w.core, false)
	w.label = append(w.label, noLabel)
	w.owner = append(w.owner, noOwner)
	w.ownerD2 = append(w.ownerD2, 0)
	w.cnext = append(w.cnext, -1)
	w.cprev = append(w.cprev, -1)
	w.mark = append(w.mark, 0)
}

func (w *window) pane(seq uint64) *pane {
	return &w.panes[(seq/uint64(w.paneSize))%uint64(len(w.panes))]
}

// coords returns the coordinates of live point seq.
func (w *window) coords(seq uint64) []float64 {
	p := w.pane(seq)
	i := int(seq-p.first) * w.dims
	return p.coords[i : i+w.dims : i+w.dims]
}

// seqOf returns the live seq held in slot s.
func (w *window) seqOf(s int) uint64 {
	o := w.slot(w.oldest)
	d := s - o
	if d < 0 {
		d += w.n
	}
	return w.oldest + uint64(d)
}

// liveAdj trims the expired prefix of slot s's neighbour list and returns it.
func (w *window) liveAdj(s int) []uint64 {
	a := w.adj[s]
	k := 0
	for k < len(a) && a[k] < w.oldest {
		k++
	}
	if k > 0 {
		a = a[:copy(a, a[k:])]
		w.adj[s] = a
	}
	return a
}

func (w *window) nextStamp() uint32 {
	w.stamp++
	if w.stamp == 0 {
		clear(w.mark)
		w.stamp = 1
	}
	return w.stamp
}

// Push adds point x (already validated) to the window, first expiring the
// oldest point when the window is full.
func (w *window) push(x []float64) {
	if w.size() == w.n {
		w.expire()
	}
	w.insert(x)
}

// search appends to found the seqs of the live points within ε of x, sorted.
func (w *window) search(x []float64, found []uint64) []uint64 {
	if w.next == w.oldest {
		return found
	}
	setBox(w.box, x, w.eps)
	ps := uint64(w.paneSize)
	for k := w.oldest / ps; k <= (w.next-1)/ps; k++ {
		p := &w.panes[k%uint64(len(w.panes))]
		if p.tree != nil {
			if p.misses(w.box) {
				continue
			}
			w.searches++
			for _, tp := range p.tree.RangeSearch(w.box) {
				q := tp.(*treePoint)
				if q.seq >= w.oldest && dist2(x, q.coords()) <= w.eps2 {
					found = append(found, q.seq)
				}
			}
			continue
		}
		lo := p.from
		if p.first < w.oldest && int(w.oldest-p.first) > lo {
			lo = int(w.oldest - p.first)
		}
		d := w.dims
		for i, j := lo, lo*d; i < p.to; i, j = i+1, j+d {
			if dx := x[0] - p.coords[j]; dx*dx <= w.eps2 && dist2(x, p.coords[j:j+d]) <= w.eps2 {
				found = append(found, p.first+uint64(i))
			}
		}
	}
	slices.Sort(found)
	return found
}

func (w *window) insert(x []float64) {
	seq := w.next
	w.found = w.search(x, w.found[:0])
	found := w.found

	// Place the point in its pane.
	ps := uint64(w.paneSize)
	p := w.pane(seq)
	off := int(seq % ps)
	if p.coords == nil {
		p.coords = make([]float64, w.paneSize*w.dims)
		p.pts = make([]treePoint, w.paneSize)
	}
	if off == 0 || p.first != seq-uint64(off) || p.to == 0 {
		p.first, p.from, p.to, p.tree = seq-uint64(off), off, off, nil
	}
	c := p.coords[off*w.dims : (off+1)*w.dims : (off+1)*w.dims]
	copy(c, x)
	tp := &p.pts[off]
	*tp = treePoint{seq: seq, n: w.dims}
	if w.dims <= len(tp.x) {
		copy(tp.x[:], x)
	} else {
		tp.c = c
	}
	p.to = off + 1
	w.next++
	if p.to == w.paneSize {
		w.build(p)
	}

	s := w.slot(seq)
	if s == len(w.cnt) {
		w.grow()
	}
	w.cnt[s] = int32(1 + len(found))
	w.adj[s] = append(w.adj[s][:0], found...)
	w.core[s] = false
	w.label[s] = noLabel
	w.owner[s] = noOwner

	gained := w.gained[:0]
	for _, q := range found {
		qs := w.slot(q)
		w.cnt[qs]++
		a := w.adj[qs]
		if len(a) == cap(a) {
			a = w.liveAdj(qs)
		}
		w.adj[qs] = append(a, seq)
		if !w.core[qs] && int(w.cnt[qs]) == w.minPts {
			gained = append(gained, q)
		}
	}
	if int(w.cnt[s]) >= w.minPts {
		gained = append(gained, seq)
	}
	w.gained = gained

	// New core points leave the cluster they bordered, then join or merge
	// the clusters of their core neighbours.
	for _, g := range gained {
		gs := w.slot(g)
		if l := w.label[gs]; l != noLabel {
			w.removeMember(gs, l)
		}
		w.core[gs] = true
		w.owner[gs] = noOwner
	}
	for _, g := range gained {
		gs := w.slot(g)
		target := int32(noLabel)
		for _, q := range w.liveAdj(gs) {
			qs := w.slot(q)
			if l := w.label[qs]; w.core[qs] && l != noLabel && l != target {
				if target == noLabel {
					target = l
				} else {
					target = w.merge(target, l)
				}
			}
		}
		if target == noLabel {
			target = w.newCluster()
		}
		w.addMember(gs, target)
		w.clusters[target].cores++
	}
	// Non-core neighbours of new core points may now be nearer to one.
	for _, g := range gained {
		gs := w.slot(g)
		gc := w.coords(g)
		for _, q := range w.liveAdj(gs) {
			qs := w.slot(q)
			if w.core[qs] {
				continue
			}
			d := dist2(w.coords(q), gc)
			if o := w.owner[qs]; o == noOwner || d < w.ownerD2[qs] || d == w.ownerD2[qs] && g < o {
				w.setOwner(qs, g, d)
			}
		}
	}
	if !w.core[s] {
		w.reown(s, seq)
	}
}

// build gives a full pane its balanced tree.
func (w *window) build(p *pane) {
	idx := w.idx[:0]
	for i := p.from; i < p.to; i++ {
		idx = append(idx, int32(i))
	}
	w.idx = idx
	if p.lo == nil {
		p.lo, p.hi = make([]float64, w.dims), make([]float64, w.dims)
	}
	for k, i := range idx {
		x := p.coords[int(i)*w.dims : int(i+1)*w.dims]
		if k == 0 {
			copy(p.lo, x)
			copy(p.hi, x)
			continue
		}
		for d, v := range x {
			p.lo[d] = min(p.lo[d], v)
			p.hi[d] = max(p.hi[d], v)
		}
	}
	p.tree = balanced(idx, w.dims, p.coords, func(i int32) kdtree.Point { return &p.pts[i] })
}

// setOwner makes core point o the owner of non-core slot s.
func (w *window) setOwner(s int, o uint64, d float64) {
	w.owner[s], w.ownerD2[s] = o, d
	l := w.label[w.slot(o)]
	if w.label[s] != l {
		if w.label[s] != noLabel {
			w.removeMember(s, w.label[s])
		}
		w.addMember(s, l)
	}
}

// reown derives the owner of non-core point seq (slot s) from its
// neighbours, and moves it to its owner's cluster or to noise.
func (w *window) reown(s int, seq uint64) {
	x := w.coords(seq)
	best, bestD := uint64(noOwner), math.Inf(1)
	for _, q := range w.liveAdj(s) {
		if w.core[w.slot(q)] {
			if d := dist2(x, w.coords(q)); d < bestD {
				best, bestD = q, d
			}
		}
	}
	if best != noOwner {
		w.setOwner(s, best, bestD)
		return
	}
	w.owner[s] = noOwner
	if l := w.label[s]; l != noLabel {
		w.removeMember(s, l)
	}
}

// expire removes the oldest point.
func (w *window) expire() {
	o := w.oldest
	os := w.slot(o)
	oc, ol := w.core[os], w.label[os]
	if ol != noLabel {
		w.removeMember(os, ol)
	}
	w.oldest++
	lost := w.lost[:0]
	for _, q := range w.adj[os] {
		if q <= o {
			continue
		}
		qs := w.slot(q)
		w.cnt[qs]--
		if w.core[qs] && int(w.cnt[qs]) < w.minPts {
			lost = append(lost, q)
		}
	}
	w.core[os] = false
	w.label[os] = noLabel
	w.owner[os] = noOwner
	if oc {
		w.clusters[ol].cores--
		lost = append(lost, o)
	}
	w.lost = lost
	if len(lost) > 0 {
		w.loseCores(lost, o, ol)
	}
	w.adj[os] = w.adj[os][:0]
	if p := w.pane(o); int(o-p.first) == w.paneSize-1 {
		p.tree, p.from, p.to = nil, 0, 0
	}
}

// loseCores handles the core points in lost ceasing to be core: the expired
// point o (whose label was ol and whose neighbour list is still intact) and
// live points whose count fell below minPts.
func (w *window) loseCores(lost []uint64, o uint64, ol int32) {
	touched := w.touched[:0]
	for _, r := range lost {
		if r == o {
			touched = appendOnce(touched, ol)
			continue
		}
		rs := w.slot(r)
		w.core[rs] = false
		l := w.label[rs]
		w.clusters[l].cores--
		touched = appendOnce(touched, l)
	}
	w.touched = touched

	// Re-examine each touched cluster once.
	for _, l := range touched {
		if w.clusters[l].cores == 0 {
			continue
		}
		w.reexams++
		targets := w.targets[:0]
		st := w.nextStamp()
		for _, r := range lost {
			rs := w.slot(r)
			if r == o {
				if ol != l {
					continue
				}
			} else if w.label[rs] != l {
				continue
			}
			for _, q := range w.adjOf(rs, r, o) {
				qs := w.slot(q)
				if w.core[qs] && w.mark[qs] != st {
					w.mark[qs] = st
					targets = append(targets, q)
				}
			}
		}
		w.targets = targets
		if len(targets) > 1 && !w.connected(targets) {
			w.split(l)
		}
	}

	// Points owned by a lost core point, and the live lost points
	// themselves, need a new owner.
	border := w.border[:0]
	st := w.nextStamp()
	for _, r := range lost {
		rs := w.slot(r)
		for _, q := range w.adjOf(rs, r, o) {
			qs := w.slot(q)
			if !w.core[qs] && w.owner[qs] == r && w.mark[qs] != st {
				w.mark[qs] = st
				border = append(border, q)
			}
		}
		if r != o && w.mark[rs] != st {
			w.mark[rs] = st
			border = append(border, r)
		}
	}
	w.border = border
	for _, b := range border {
		w.reown(w.slot(b), b)
	}
	for _, l := range touched {
		c := &w.clusters[l]
		if c.live && c.size == 0 {
			w.freeCluster(l)
		}
	}
}

// adjOf returns the live neighbours of r (slot rs). The expired point o
// keeps its list until loseCores is done; its live neighbours are the
// entries after o itself.
func (w *window) adjOf(rs int, r, o uint64) []uint64 {
	if r == o {
		a := w.adj[rs]
		i, _ := slices.BinarySearch(a, o+1)
		return a[i:]
	}
	return w.liveAdj(rs)
}

func appendOnce(s []int32, l int32) []int32 {
	if slices.Contains(s, l) {
		return s
	}
	return append(s, l)
}

// connected reports whether the core points in targets are connected through
// core points, walking from the first until it has met them all.
func (w *window) connected(targets []uint64) bool {
	st := w.nextStamp()
	for _, t := range targets[1:] {
		w.mark[w.slot(t)] = st // marked: still to meet
	}
	left := len(targets) - 1
	st2 := w.nextStamp()
	queue := append(w.queue[:0], targets[0])
	w.mark[w.slot(targets[0])] = st2
	for head := 0; head < len(queue) && left > 0; head++ {
		c := queue[head]
		for _, q := range w.liveAdj(w.slot(c)) {
			qs := w.slot(q)
			if !w.core[qs] || w.mark[qs] == st2 {
				continue
			}
			if w.mark[qs] == st {
				left--
			}
			w.mark[qs] = st2
			queue = append(queue, q)
		}
	}
	w.queue = queue[:0]
	return left == 0
}

// split relabels the core points of cluster l by connected components: the
// component holding the list head keeps l, the others get new clusters. Border
// members follow their owners (or are re-derived later if their owner is gone).
func (w *window) split(l int32) {
	cores := w.border[:0]
	for s := w.clusters[l].head; s >= 0; s = w.cnext[s] {
		if w.core[s] {
			cores = append(cores, w.seqOf(int(s)))
		}
	}
	st := w.nextStamp()
	first := true
	for _, c := range cores {
		cs := w.slot(c)
		if w.mark[cs] == st {
			continue
		}
		w.mark[cs] = st
		queue := append(w.queue[:0], c)
		var target int32 = l
		if !first {
			target = w.newCluster()
		}
		first = false
		for len(queue) > 0 {
			x := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			xs := w.slot(x)
			if target != l {
				w.removeMember(xs, l)
				w.addMember(xs, target)
				w.clusters[l].cores--
				w.clusters[target].cores++
			}
			for _, q := range w.liveAdj(xs) {
				qs := w.slot(q)
				if w.core[qs] && w.mark[qs] != st {
					w.mark[qs] = st
					queue = append(queue, q)
				}
			}
		}
		w.queue = queue[:0]
	}
	w.border = cores[:0]
	// Border members of l whose owner moved follow it. Those whose owner
	// stopped being core are re-derived by the caller.
	moved := w.touchedSplit[:0]
	for s := w.clusters[l].head; s >= 0; s = w.cnext[s] {
		if !w.core[s] {
			if o := w.owner[s]; o != noOwner && w.core[w.slot(o)] && w.label[w.slot(o)] != l {
				moved = append(moved, s)
			}
		}
	}
	for _, s := range moved {
		w.removeMember(int(s), l)
		w.addMember(int(s), w.label[w.slot(w.owner[s])])
	}
	w.touchedSplit = moved[:0]
}

func (w *window) newCluster() int32 {
	var l int32
	if n := len(w.free); n > 0 {
		l = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		l = int32(len(w.clusters))
		w.clusters = append(w.clusters, cluster{
			lo: make([]float64, w.dims),
			hi: make([]float64, w.dims),
		})
	}
	c := &w.clusters[l]
	c.head, c.size, c.cores, c.stale, c.live = -1, 0, 0, false, true
	w.version++
	return l
}

func (w *window) freeCluster(l int32) {
	w.clusters[l].live = false
	w.free = append(w.free, l)
	w.version++
}

func (w *window) addMember(s int, l int32) {
	c := &w.clusters[l]
	w.label[s] = l
	w.cprev[s] = -1
	w.cnext[s] = c.head
	if c.head >= 0 {
		w.cprev[c.head] = int32(s)
	}
	c.head = int32(s)
	x := w.coords(w.seqOf(s))
	if c.size == 0 {
		copy(c.lo, x)
		copy(c.hi, x)
		c.stale = false
	} else if !c.stale {
		for i, v := range x {
			c.lo[i] = min(c.lo[i], v)
			c.hi[i] = max(c.hi[i], v)
		}
	}
	c.size++
	w.version++
}

func (w *window) removeMember(s int, l int32) {
	c := &w.clusters[l]
	if p := w.cprev[s]; p >= 0 {
		w.cnext[p] = w.cnext[s]
	} else {
		c.head = w.cnext[s]
	}
	if n := w.cnext[s]; n >= 0 {
		w.cprev[n] = w.cprev[s]
	}
	w.label[s] = noLabel
	c.size--
	if !c.stale {
		x := w.coords(w.seqOf(s))
		for i, v := range x {
			if v == c.lo[i] || v == c.hi[i] {
				c.stale = true
				break
			}
		}
	}
	w.version++
}

// merge moves the members of the smaller of clusters a and b into the larger
// and returns the larger.
func (w *window) merge(a, b int32) int32 {
	if w.clusters[a].size < w.clusters[b].size {
		a, b = b, a
	}
	from, to := &w.clusters[b], &w.clusters[a]
	last := int32(-1)
	for s := from.head; s >= 0; s = w.cnext[s] {
		w.label[s] = a
		last = s
	}
	if last >= 0 {
		w.cnext[last] = to.head
		if to.head >= 0 {
			w.cprev[to.head] = last
		}
		to.head = from.head
	}
	if from.stale || to.stale {
		to.stale = true
	} else if from.size > 0 {
		for i := range to.lo {
			to.lo[i] = min(to.lo[i], from.lo[i])
			to.hi[i] = max(to.hi[i], from.hi[i])
		}
	}
	to.size += from.size
	to.cores += from.cores
	from.head, from.size, from.cores = -1, 0, 0
	w.freeCluster(b)
	return a
}

// hotspots appends the current hotspots to hs in result order, with their
// Min and Max in flat, which must have room for them all. The order of the
// previous call is the starting point, so the sort is an insertion sort over
// an almost sorted list: O(clusters) when little moved.
func (w *window) hotspots(hs []Hotspot, flat []float64) ([]Hotspot, []float64) {
	order := w.order[:0]
	for _, l := range w.order {
		if c := &w.clusters[l]; c.live && c.size > 0 {
			order = append(order, l)
		} else {
			c.listed = false
		}
	}
	for l := range w.clusters {
		if c := &w.clusters[l]; c.live && c.size > 0 && !c.listed {
			c.listed = true
			order = append(order, int32(l))
		}
	}
	w.order = order
	base := len(hs)
	for _, l := range order {
		c := &w.clusters[l]
		if c.stale {
			first := true
			for s := c.head; s >= 0; s = w.cnext[s] {
				x := w.coords(w.seqOf(int(s)))
				if first {
					copy(c.lo, x)
					copy(c.hi, x)
					first = false
					continue
				}
				for i, v := range x {
					c.lo[i] = min(c.lo[i], v)
					c.hi[i] = max(c.hi[i], v)
				}
			}
			c.stale = false
		}
		i := len(flat)
		flat = append(flat, c.lo...)
		flat = append(flat, c.hi...)
		lo := flat[i : i+w.dims : i+w.dims]
		hi := flat[i+w.dims : i+2*w.dims : i+2*w.dims]
		hs = append(hs, Hotspot{Count: c.size, Density: density(c.size, lo, hi, w.eps), Min: lo, Max: hi})
	}
	out := hs[base:]
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && Compare(out[j], out[j-1]) < 0; j-- {
			out[j], out[j-1] = out[j-1], out[j]
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	return hs, flat
}

// liveClusters counts the clusters with members.
func (w *window) liveClusters() int {
	n := 0
	for l := range w.clusters {
		if w.clusters[l].live && w.clusters[l].size > 0 {
			n++
		}
	}
	return n
}

// trees counts the panes that hold a tree.
func (w *window) trees() int {
	n := 0
	for i := range w.panes {
		if w.panes[i].tree != nil {
			n++
		}
	}
	return n
}
