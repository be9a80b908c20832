package anomaly

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// none is the reference of no node: the root of an empty tree.
const none = math.MinInt32

// A tree is one random cut tree over one sampler's points, with the sampler:
// the reference's SamplerPlusTree, RandomCutTree and CompactSampler
// (executor/, tree/ and sampler/ in aws/random-cut-forest-by-aws, Java core
// module).
//
// Nodes live in flat arrays indexed by int32 references: a reference r ≥ 0
// is internal node r, a reference r < 0 is leaf ^r. The tree has at most
// capacity leaves (one per distinct sampled point, with its multiplicity as
// mass) and capacity−1 internal nodes, each with its cut and its bounding
// box, cached as in the reference with its default boundingBoxCacheFraction
// of 1. Nothing is allocated after construction.
// A node is an internal node: its children, its cut and its mass (the
// number of sampled points below it), 16 bytes: four to a cache line. A tree
// holds at most maxCapacity leaves, so references fit in 16 bits.
type node struct {
	cut   float64
	child [2]int16 // left and right: references, as int32 elsewhere
	dim   uint16
	mass  uint16
}

type tree struct {
	// The fields every point reads, scored or offered to the sampler, fill
	// the first two lines of the struct (128 bytes; a tree is allocated on
	// a 64-byte boundary): a forest of a hundred trees touches these
	// lines of each tree per record, and fewer lines keep more of its
	// nodes in the cache. The trees' paths are the forest's, their
	// dimension its points' length.
	root     int32
	capacity int32
	size     int // sampled points
	rng      rand.PCG

	// surelyRejects' bound on −log u for the point of sequence number
	// boundSeq (0: none), computed afresh at boundBase
	bound               float64
	boundSeq, boundBase uint64

	leafPoint []float64 // dims per leaf
	nodes     []node    // internal nodes
	// their boxes: per node dims minima then dims maxima. The sum of a
	// box's ranges is not kept: summed afresh in dimension order when
	// needed, it is the same number to the last bit, and a third less
	// memory (for one dimension) keeps more of a large forest in the cache.
	boxes []float64

	dims int
	path []int32 // scratch: internal nodes from the root down

	freeNodes []int32 // free slots below usedNodes, as a stack
	usedNodes int32   // slots ever used

	leafMass   []int32
	freeLeaves []int32
	usedLeaves int32

	// sampler: a max-heap on weight of the sampled points' leaves; a point
	// sampled twice (or equal to another) is twice in the heap.
	heap []sample

	sinceLayout int // insertions since the last relayout
	// draw, when set, replaces rng for the cuts' factors: the reference's
	// tests fix them to build known trees.
	draw func() float64

	cur []float64
}

// A sample is an entry of a sampler's heap: a point's weight and its
// leaf, side by side, so that a step down the heap reads one line.
type sample struct {
	weight float64
	leaf   int32
}

// maxCapacity bounds a tree's sample: leaf references ^l fit in an int16.
const maxCapacity = 1 << 15

// newTree returns an empty tree; path is its scratch, of capacity+1
// entries (nil: its own).
func newTree(dims, capacity int, seed1, seed2 uint64, path []int32) *tree {
	if capacity < 1 || capacity > maxCapacity || dims < 1 || dims > 1<<16 {
		panic(fmt.Sprintf("anomaly: tree of %d points of %d dimensions", capacity, dims))
	}
	n := max(capacity-1, 1)
	t := &tree{
		dims: dims, capacity: int32(capacity), root: none,
		nodes: make([]node, n), boxes: make([]float64, n*2*dims),
		freeNodes: make([]int32, 0, n),
		leafPoint: make([]float64, capacity*dims), leafMass: make([]int32, capacity),
		freeLeaves: make([]int32, 0, capacity),
		heap:       make([]sample, capacity),
		path:       path[:0:len(path)],
		cur:        make([]float64, 2*dims),
	}
	if len(path) < capacity+1 {
		t.path = make([]int32, 0, capacity+1)
	}
	t.rng.Seed(seed1, seed2)
	return t
}

// uniform returns a float64 in [0, 1), as java.util.Random.nextDouble.
func (t *tree) uniform() float64 { return float64(t.rng.Uint64()>>11) / (1 << 53) }

func (t *tree) point(leaf int32) []float64 {
	return t.leafPoint[int(leaf)*t.dims : int(leaf+1)*t.dims]
}

func (t *tree) nodeBox(n int32) box {
	lo, hi := t.bounds(n)
	return box{min: lo, max: hi, rangeSum: rangeSum(lo, hi)}
}

// bounds is node n's box without its range sum: its minima and maxima.
func (t *tree) bounds(n int32) (lo, hi []float64) {
	o := int(n) * 2 * t.dims
	return t.boxes[o : o+t.dims : o+t.dims], t.boxes[o+t.dims : o+2*t.dims : o+2*t.dims]
}

// refBounds is refBox without the range sum.
func (t *tree) refBounds(r int32) (lo, hi []float64) {
	if r >= 0 {
		return t.bounds(r)
	}
	p := t.point(^r)
	return p, p
}

// refBox is the box of a reference: a node's cached box or a leaf's point.
func (t *tree) refBox(r int32) box {
	if r >= 0 {
		return t.nodeBox(r)
	}
	p := t.point(^r)
	return box{min: p, max: p}
}

func (t *tree) refMass(r int32) int {
	if r >= 0 {
		return int(t.nodes[r].mass)
	}
	return int(t.leafMass[^r])
}

// treeMass is the number of sampled points.
func (t *tree) treeMass() int { return t.size }

// descend fills t.path with the internal nodes from the root to the leaf p
// falls into, and returns the leaf's reference.
func (t *tree) descend(p []float64) int32 {
	t.path = t.path[:0]
	r := t.root
	for r >= 0 {
		t.path = append(t.path, r)
		if p[t.nodes[r].dim] <= t.nodes[r].cut {
			r = int32(t.nodes[r].child[0])
		} else {
			r = int32(t.nodes[r].child[1])
		}
	}
	return r
}

func (t *tree) sibling(node, child int32) int32 {
	if int32(t.nodes[node].child[0]) == child {
		return int32(t.nodes[node].child[1])
	}
	return int32(t.nodes[node].child[0])
}

// scoreVisit is the tree's anomaly score of p as the reference computes
// it: RandomCutTree.traverse with an AnomalyScoreVisitor.
func (t *tree) scoreVisit(v *scoreVisitor, p []float64) float64 {
	leaf := t.descend(p)
	v.reset(p, t.treeMass(), 0)
	v.acceptLeaf(t.point(^leaf), int(t.leafMass[^leaf]), len(t.path))
	var n nodeView
	for i := len(t.path) - 1; i >= 0 && !v.converged(); i-- {
		r := t.path[i]
		n.box, n.mass = t.nodeBox(r), int(t.nodes[r].mass)
		v.accept(&n, i)
	}
	return v.result()
}

// b2i is 1 for true, 0 for false, without a branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// group is the number of trees a forest descends at once, in lockstep:
// their paths are independent chains of loads, which the processor
// overlaps, where one tree after another would wait for each cache miss in
// turn. Once a forest outgrows the cache, most levels miss it; eight
// chains overlap those misses, and sixteen measured no faster.
const group = 8

// descendGroup is descend for up to group trees at once, in lockstep; it
// sets leaves[k] to the leaf of ts[k] and paths[k] to its path, in the
// space of paths[k], which is ts[k]'s path. The trees' nodes and paths are
// held in locals for the walk: each level costs a few instructions per
// tree.
func descendGroup(ts []*tree, p []float64, leaves *[group]int32, paths *[group][]int32) {
	ts = ts[:min(len(ts), group)]
	var (
		nodes [group][]node
		bufs  [group][]int32 // the paths' space, in locals: no write barriers
		depth [group]int
	)
	for k, t := range ts {
		nodes[k], bufs[k], leaves[k] = t.nodes, paths[k][:cap(paths[k])], t.root
	}
	for more := true; more; {
		more = false
		for k := range ts {
			r := leaves[k]
			if r < 0 {
				continue
			}
			n := &nodes[k][r]
			bufs[k][depth[k]] = r
			depth[k]++
			// Branch free: which child a point goes to is a coin toss the
			// processor would mispredict every other level.
			leaves[k] = int32(n.child[b2i(p[n.dim] > n.cut)&1])
			more = true
		}
	}
	for k := range ts {
		paths[k] = bufs[k][:depth[k]]
	}
}

// score is scoreVisit without the visitor, the forest's hot path: the same
// operations in the same order, so the same result to the last bit (a test
// checks it).
func (t *tree) score(p []float64) float64 {
	leaf := t.descend(p)
	return t.scoreFrom(leaf, equalPoints(t.point(^leaf), p), p, t.path, math.Log(float64(t.size)+1))
}

// ln2 is math.Log(2), which the compiler does not fold: a call per tree
// and record otherwise.
var ln2 = math.Log(2)

// scoreFrom is score after the descent to leaf along path, seen telling
// whether the leaf's point is p; logMass is log(mass+1), for normalize,
// which the forest computes once for its trees (they all hold as many
// points).
func (t *tree) scoreFrom(leaf int32, seen bool, p []float64, path []int32, logMass float64) float64 {
	depth := len(path)
	if seen {
		m := int(t.leafMass[^leaf])
		return normalize(damp(m, t.size)*scoreSeen(depth, m), t.size)
	}
	d := len(p)
	s := scoreUnseen(depth, 0)
	for i := depth - 1; i >= 0; i-- {
		r := path[i]
		o := int(r) * 2 * d
		lo, hi := t.boxes[o:o+d:o+d], t.boxes[o+d:o+2*d:o+2*d]
		lo, hi = lo[:len(p)], hi[:len(p)]
		sum := 0.0
		for j, x := range p {
			sum += max(lo[j]-x, 0)
		}
		for j, x := range p {
			sum += max(x-hi[j], 0)
		}
		if sum == 0 {
			break
		}
		prob := sum / (rangeSum(lo, hi) + sum)
		s = prob*scoreUnseen(i, 0) + (1-prob)*s
	}
	return s * logMass / ln2 // as normalize computes it
}

// attribute adds the tree's normalized attribution of p's score to high
// and low, per dimension.
func (t *tree) attribute(v *attributionVisitor, p []float64, high, low []float64) {
	leaf := t.descend(p)
	v.reset(p, t.treeMass(), 0)
	v.acceptLeaf(t.point(^leaf), int(t.leafMass[^leaf]), len(t.path))
	var n nodeView
	child := leaf
	for i := len(t.path) - 1; i >= 0 && !v.converged(); i-- {
		r := t.path[i]
		n.box, n.mass, n.sibling = t.nodeBox(r), int(t.nodes[r].mass), t.refBox(t.sibling(r, child))
		v.accept(&n, i)
		child = r
	}
	v.addResult(high, low)
}

// update offers the point with sequence number seq to the sampler and, if
// it is accepted, evicts the heaviest sampled point (when full) and inserts
// p (the reference's SamplerPlusTree.update with CompactSampler's
// acceptPoint, initialAcceptFraction 1). lambda is the time decay per point.
func (t *tree) update(p []float64, seq uint64, lambda, expLambda float64, s *layoutScratch) {
	u := 0.0
	for u == 0 {
		u = t.uniform()
	}
	if t.size == int(t.capacity) && t.surelyRejects(u, seq, lambda, expLambda) {
		return
	}
	// The weight of AbstractStreamSampler.computeWeight: newer points weigh
	// less by λ per point, and the smallest weights are kept.
	w := -float64(seq)*lambda + math.Log(-math.Log(u))
	if t.size == int(t.capacity) {
		if w >= t.heap[0].weight {
			return
		}
		t.delete(t.heap[0].leaf)
		t.evictMax()
	}
	leaf := t.insert(p)
	t.heapAdd(w, leaf)
	t.boundSeq = 0 // the heap's maximum may have changed
	if t.sinceLayout++; t.sinceLayout >= int(t.capacity) && s != nil {
		t.relayout(s)
	}
}

// layoutScratch is the room relayout copies a tree into, shared by the
// trees of a forest.
type layoutScratch struct {
	nodes []node
	boxes []float64
}

// relayout renumbers the internal nodes in depth-first preorder, every
// capacity insertions: a node's left child then sits right after it, so
// a descent that goes left mostly stays in the cache line it is in, where
// nodes numbered as they were made scatter a path over a line per level.
// The numbering changes nothing else: scores depend on the tree's shape
// and cuts only.
func (t *tree) relayout(s *layoutScratch) {
	t.sinceLayout = 0
	if t.root < 0 {
		return
	}
	bs := 2 * t.dims
	var next int32
	t.copyPreorder(t.root, s, bs, &next)
	copy(t.nodes, s.nodes[:next])
	copy(t.boxes, s.boxes[:int(next)*bs])
	t.root, t.usedNodes, t.freeNodes = 0, next, t.freeNodes[:0]
}

func (t *tree) copyPreorder(r int32, s *layoutScratch, bs int, next *int32) int32 {
	i := *next
	*next++
	n := t.nodes[r]
	copy(s.boxes[int(i)*bs:int(i+1)*bs], t.boxes[int(r)*bs:int(r+1)*bs])
	if n.child[0] >= 0 {
		n.child[0] = int16(t.copyPreorder(int32(n.child[0]), s, bs, next))
	}
	if n.child[1] >= 0 {
		n.child[1] = int16(t.copyPreorder(int32(n.child[1]), s, bs, next))
	}
	s.nodes[i] = n
	return i
}

// surelyRejects decides most rejections of a full sampler without the two
// logarithms of the weight, a sixth of the cost of a record otherwise. The
// weight is below the heap's maximum m when −log u < E = exp(m + seq·λ); as
// −log u ≥ 1 − u, u ≤ 1 − E rejects for sure. E is kept up to date by one
// multiplication by exp(λ) per point, and recomputed whenever the heap
// changes, or after 2²⁰ points; the margin of 10⁻⁹ covers the rounding of
// the multiplications, so the decision is always the one the weight itself
// gives, and a restored tree (which starts with a fresh E) decides alike.
func (t *tree) surelyRejects(u float64, seq uint64, lambda, expLambda float64) bool {
	if t.boundSeq != 0 && seq == t.boundSeq+1 && seq-t.boundBase < 1<<20 {
		t.bound *= expLambda
	} else {
		t.bound = math.Exp(t.heap[0].weight + float64(seq)*lambda)
		t.boundBase = seq
	}
	t.boundSeq = seq
	return 1-u >= t.bound*(1+1e-9)
}

func (t *tree) evictMax() {
	t.size--
	t.heap[0] = t.heap[t.size]
	t.swapDown(0)
}

func (t *tree) swapDown(i int) {
	for 2*i+1 < t.size {
		m := 2*i + 1
		if m+1 < t.size && t.heap[m+1].weight > t.heap[m].weight {
			m++
		}
		if t.heap[m].weight <= t.heap[i].weight {
			return
		}
		t.swap(i, m)
		i = m
	}
}

func (t *tree) heapAdd(w float64, leaf int32) {
	i := t.size
	t.heap[i] = sample{w, leaf}
	t.size++
	for i > 0 {
		p := (i - 1) / 2
		if t.heap[p].weight >= t.heap[i].weight {
			return
		}
		t.swap(i, p)
		i = p
	}
}

func (t *tree) swap(a, b int) {
	t.heap[a], t.heap[b] = t.heap[b], t.heap[a]
}

func (t *tree) newLeaf(p []float64) int32 {
	var l int32
	if n := len(t.freeLeaves); n > 0 {
		l = t.freeLeaves[n-1]
		t.freeLeaves = t.freeLeaves[:n-1]
	} else {
		l = t.usedLeaves
		t.usedLeaves++
	}
	copy(t.point(l), p)
	t.leafMass[l] = 1
	return l
}

func (t *tree) newNode() int32 {
	if n := len(t.freeNodes); n > 0 {
		r := t.freeNodes[n-1]
		t.freeNodes = t.freeNodes[:n-1]
		return r
	}
	r := t.usedNodes
	t.usedNodes++
	return r
}

// insert adds p to the tree and returns its leaf (an existing leaf if p
// equals its point). It follows RandomCutTree.addPoint: from the leaf p
// falls into, walk up, drawing at each level a random cut of the box grown
// by p (dimension in proportion to its range, value uniform); the new node
// goes above the highest node whose cut separates p from the box.
func (t *tree) insert(p []float64) int32 {
	if t.root == none {
		l := t.newLeaf(p)
		t.root = ^l
		return l
	}
	leaf := t.descend(p)
	lp := t.point(^leaf)
	if equalPoints(p, lp) {
		t.leafMass[^leaf]++
		for _, r := range t.path {
			t.nodes[r].mass++
		}
		return ^leaf
	}
	d := t.dims
	curMin, curMax := t.cur[:d], t.cur[d:]
	copy(curMin, lp)
	copy(curMax, lp)
	var (
		savedDim  = -1
		savedCut  float64
		savedNode int32
		savedAt   int // number of ancestors above savedNode: t.path[:savedAt]
	)
	node := leaf
	at := len(t.path) // node's depth
	for {
		factor := 0.0
		if t.draw != nil {
			factor = t.draw()
		} else {
			factor = t.uniform()
		}
		dim, cut := randomCut(factor, p, curMin, curMax)
		if p[dim] <= cut && cut < curMin[dim] || p[dim] > cut && cut >= curMax[dim] {
			savedDim, savedCut, savedNode, savedAt = dim, cut, node, at
		}
		if containsPoint(curMin, curMax, p) || at == 0 {
			break
		}
		parent := t.path[at-1]
		slo, shi := t.refBounds(t.sibling(parent, node))
		for i := range curMin {
			curMin[i] = min(curMin[i], slo[i])
			curMax[i] = max(curMax[i], shi[i])
		}
		node, at = parent, at-1
	}
	if savedDim < 0 {
		// A cut at the leaf's level always separates p from a single point.
		panic("anomaly: no separating cut")
	}
	l := t.newLeaf(p)
	m := t.newNode()
	t.nodes[m].dim, t.nodes[m].cut = uint16(savedDim), savedCut
	if p[savedDim] <= savedCut {
		t.nodes[m].child[0], t.nodes[m].child[1] = int16(^l), int16(savedNode)
	} else {
		t.nodes[m].child[0], t.nodes[m].child[1] = int16(savedNode), int16(^l)
	}
	t.nodes[m].mass = uint16(t.refMass(savedNode) + 1)
	t.rebuildBox(m)
	if savedAt == 0 {
		t.root = m
	} else {
		parent := t.path[savedAt-1]
		if int32(t.nodes[parent].child[0]) == savedNode {
			t.nodes[parent].child[0] = int16(m)
		} else {
			t.nodes[parent].child[1] = int16(m)
		}
	}
	grown := true
	for i := savedAt - 1; i >= 0; i-- {
		r := t.path[i]
		t.nodes[r].mass++
		if !grown {
			continue
		}
		// A box that strictly contains p keeps its bounds, and so do the
		// boxes above it, which contain it. (Strictly: a bound equal to p
		// is rewritten, which keeps the sign of a zero as min and max give
		// it, as a box rebuilt from the leaves would have it.)
		lo, hi := t.bounds(r)
		if strictlyContains(lo, hi, p) {
			grown = false
			continue
		}
		for j, x := range p {
			lo[j] = min(lo[j], x)
			hi[j] = max(hi[j], x)
		}
	}
	return l
}

// rebuildBox sets node r's box to the union of its children's boxes, so a
// box rebuilt after a restore is bit for bit the one the tree had.
func (t *tree) rebuildBox(r int32) {
	lo, hi := t.bounds(r)
	llo, lhi := t.refBounds(int32(t.nodes[r].child[0]))
	rlo, rhi := t.refBounds(int32(t.nodes[r].child[1]))
	for j := range lo {
		lo[j] = min(llo[j], rlo[j])
		hi[j] = max(lhi[j], rhi[j])
	}
}

// delete removes one copy of leaf's point (RandomCutTree.deletePoint).
func (t *tree) delete(leaf int32) {
	p := t.point(leaf)
	if got := t.descend(p); got != ^leaf {
		panic("anomaly: a sampled point is not in its tree")
	}
	if t.leafMass[leaf]--; t.leafMass[leaf] > 0 {
		for _, r := range t.path {
			t.nodes[r].mass--
		}
		return
	}
	t.freeLeaves = append(t.freeLeaves, leaf)
	n := len(t.path)
	if n == 0 {
		t.root = none
		return
	}
	parent := t.path[n-1]
	sib := t.sibling(parent, ^leaf)
	if n == 1 {
		t.root = sib
	} else {
		gp := t.path[n-2]
		if int32(t.nodes[gp].child[0]) == parent {
			t.nodes[gp].child[0] = int16(sib)
		} else {
			t.nodes[gp].child[1] = int16(sib)
		}
		resolved := false
		for i := n - 2; i >= 0; i-- {
			r := t.path[i]
			t.nodes[r].mass--
			if !resolved {
				// A box that strictly contains the point does not change, nor
				// do the boxes above it.
				if lo, hi := t.bounds(r); strictlyContains(lo, hi, p) {
					resolved = true
				} else {
					t.rebuildBox(r)
				}
			}
		}
	}
	t.freeNodes = append(t.freeNodes, parent)
}

// randomCut draws the cut of RandomCutTree.randomCut: factor·range picks a
// position along the concatenated ranges of the box grown by p, which picks
// a dimension in proportion to its range and a value uniform within it, in
// [min, max).
func randomCut(factor float64, p, bmin, bmax []float64) (int, float64) {
	total := 0.0
	for i, x := range p {
		total += max(bmax[i], x) - min(bmin[i], x)
	}
	breakPoint := factor * total
	for i, x := range p {
		lo, hi := min(bmin[i], x), max(bmax[i], x)
		gap := hi - lo
		if breakPoint <= gap && gap > 0 {
			cut := lo + breakPoint
			if cut >= hi {
				cut = math.Nextafter(hi, lo)
			}
			return i, cut
		}
		breakPoint -= gap
	}
	// Rounding put the break point past the last range: cut just below the
	// top of the last dimension with a range (the reference randomizes
	// between the first and the last; either is a valid cut).
	for i := len(p) - 1; i >= 0; i-- {
		lo, hi := min(bmin[i], p[i]), max(bmax[i], p[i])
		if hi > lo {
			return i, math.Nextafter(hi, lo)
		}
	}
	panic("anomaly: random cut of a single point")
}

func containsPoint(lo, hi, p []float64) bool {
	for i, x := range p {
		if x < lo[i] || x > hi[i] {
			return false
		}
	}
	return true
}

func strictlyContains(lo, hi, p []float64) bool {
	for i, x := range p {
		if x >= hi[i] || lo[i] >= x {
			return false
		}
	}
	return true
}
