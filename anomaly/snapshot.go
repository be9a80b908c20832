package anomaly

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
)

// ErrSnapshot is wrapped by every error of Restore: it is the envelope's.
var ErrSnapshot = record.ErrSnapshot

const snapshotVersion = 1

// descriptor names what shapes the state: the columns, the forest's
// parameters and the key type. The seed, Explain and MaxKeys only decide
// about forests and results not yet made, so a restore may change them.
func (op *Operator[R, K]) descriptor() *record.Descriptor {
	return record.NewDescriptor("anomaly.RandomCutForest").
		Param("columns", strings.Join(op.columns, ",")).
		Param("numberOfTrees", op.p.trees).
		Param("subSampleSize", op.p.sample).
		Param("timeDecay", op.p.timeDecay).
		Param("shingleSize", op.p.shingle).
		Param("keyed", op.key != nil).
		Type("key", reflect.TypeFor[K]())
}

// AppendSnapshot appends the operator's state to dst inside rowtime's
// snapshot envelope: its counters and, per key in the order keys arrived,
// the key and the forest: the shingle, and per tree its random number
// generator, its nodes (children, cut, mass), its leaves (point, mass) and
// its sampler's heap (weight, leaf). Bounding boxes are not stored: Restore
// rebuilds them from the leaves, bit for bit. A tree of the default sample
// takes about 2.5 kB plus 8·dims bytes per distinct sampled point.
func (op *Operator[R, K]) AppendSnapshot(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = record.BeginSnapshot(dst, op.descriptor())
	dst = append(dst, snapshotVersion)
	dst = binary.AppendUvarint(dst, op.records)
	dst = binary.AppendUvarint(dst, op.refused)
	dst = binary.AppendUvarint(dst, op.emitted)
	dst = append(dst, b2u(op.flushed))
	dst = binary.AppendUvarint(dst, uint64(len(op.forests)))
	for i, f := range op.forests {
		if op.key != nil {
			var err error
			if dst, err = codec.Append(dst, op.keys[i]); err != nil {
				return dst[:start], fmt.Errorf("%w: key: %w", ErrSnapshot, err)
			}
		}
		dst = f.appendState(dst)
	}
	return record.EndSnapshot(dst, start), nil
}

// Restore replaces the operator's state with one written by AppendSnapshot
// of an operator with the same columns, parameters and key type; the
// restored operator scores exactly as the one that wrote the snapshot would
// have gone on to. Corrupt, truncated or mismatched data gives an error
// wrapping [ErrSnapshot], and the operator is left unchanged.
func (op *Operator[R, K]) Restore(data []byte) error {
	body, err := record.OpenSnapshot(data, op.descriptor())
	if err != nil {
		return err
	}
	r := reader{b: body}
	if v := r.byte(); v != snapshotVersion && r.err == nil {
		return fmt.Errorf("%w: anomaly snapshot version %d, this release reads %d", ErrSnapshot, v, snapshotVersion)
	}
	records, refused, emitted := r.uvarint(), r.uvarint(), r.uvarint()
	flushed := r.byte()
	n := r.count(1)
	if r.err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, r.err)
	}
	if flushed > 1 {
		return fmt.Errorf("%w: flushed flag %d", ErrSnapshot, flushed)
	}
	if op.key == nil && n > 1 {
		return fmt.Errorf("%w: %d forests for an operator without keys", ErrSnapshot, n)
	}
	forests := make([]*Forest, 0, n)
	keys := make([]K, 0, n)
	index := make(map[K]int, n)
	for i := range n {
		var k K
		if op.key != nil {
			m, err := codec.Read(r.b, &k)
			if err != nil {
				return fmt.Errorf("%w: key of forest %d: %w", ErrSnapshot, i, err)
			}
			r.b = r.b[m:]
		}
		if _, dup := index[k]; dup {
			return fmt.Errorf("%w: key of forest %d repeated", ErrSnapshot, i)
		}
		f := newForest(len(op.columns), op.p)
		if err := f.readState(&r); err != nil {
			return fmt.Errorf("%w: forest %d: %w", ErrSnapshot, i, err)
		}
		index[k] = i
		keys = append(keys, k)
		forests = append(forests, f)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d bytes after the state", ErrSnapshot, len(r.b))
	}
	op.records, op.refused, op.emitted, op.flushed = records, refused, emitted, flushed == 1
	op.forests, op.keys, op.index = forests, keys, index
	return nil
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func (f *Forest) appendState(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, f.records)
	dst = binary.AppendUvarint(dst, f.points)
	dst = binary.AppendUvarint(dst, uint64(f.filled))
	for _, x := range f.shingle[f.dims-f.filled*f.columns:] {
		dst = appendFloat(dst, x)
	}
	for _, t := range f.trees {
		dst = t.appendState(dst)
	}
	return dst
}

func (f *Forest) readState(r *reader) error {
	f.records, f.points = r.uvarint(), r.uvarint()
	filled := r.count(0)
	if r.err == nil && (filled > f.p.shingle || uint64(filled) > f.records) {
		return fmt.Errorf("%d records in a shingle of %d", filled, f.p.shingle)
	}
	f.filled = filled
	for i := f.dims - filled*f.columns; i < f.dims && r.err == nil; i++ {
		f.shingle[i] = r.float()
		if x := f.shingle[i]; math.IsNaN(x) || math.Abs(x) > MaxValue {
			return fmt.Errorf("shingle value %v", x)
		}
	}
	if r.err != nil {
		return r.err
	}
	if uint64(filled) != min(f.records, uint64(f.p.shingle)) || f.points > f.records ||
		f.records-f.points != min(f.records, uint64(f.p.shingle-1)) {
		return fmt.Errorf("%d points from %d records with shingles of %d", f.points, f.records, f.p.shingle)
	}
	for i, t := range f.trees {
		if err := t.readState(r); err != nil {
			return fmt.Errorf("tree %d: %w", i, err)
		}
		if want := min(f.points, uint64(t.capacity)); uint64(t.size) != want {
			return fmt.Errorf("tree %d: %d sampled points after %d points", i, t.size, f.points)
		}
	}
	return nil
}

func (t *tree) appendState(dst []byte) []byte {
	rng, _ := t.rng.MarshalBinary() // cannot fail
	dst = append(dst, rng...)
	dst = binary.AppendUvarint(dst, uint64(t.sinceLayout))
	dst = binary.AppendVarint(dst, int64(t.root))
	dst = binary.AppendUvarint(dst, uint64(t.usedNodes))
	for _, n := range t.nodes[:t.usedNodes] {
		dst = binary.AppendVarint(dst, int64(n.child[0]))
		dst = binary.AppendVarint(dst, int64(n.child[1]))
		dst = binary.AppendUvarint(dst, uint64(n.dim))
		dst = binary.AppendUvarint(dst, uint64(n.mass))
		dst = appendFloat(dst, n.cut)
	}
	dst = appendInts(dst, t.freeNodes)
	dst = binary.AppendUvarint(dst, uint64(t.usedLeaves))
	for _, x := range t.leafPoint[:int(t.usedLeaves)*t.dims] {
		dst = appendFloat(dst, x)
	}
	for _, m := range t.leafMass[:t.usedLeaves] {
		dst = binary.AppendUvarint(dst, uint64(m))
	}
	dst = appendInts(dst, t.freeLeaves)
	dst = binary.AppendUvarint(dst, uint64(t.size))
	for i := range t.size {
		dst = appendFloat(dst, t.heap[i].weight)
		dst = binary.AppendUvarint(dst, uint64(t.heap[i].leaf))
	}
	return dst
}

const rngSize = 20 // rand.PCG's MarshalBinary

// readState reads a tree written by appendState into t, a fresh tree, and
// checks that it is one: every reference in range, every node and leaf
// reached once from the root or free, masses that add up, cuts that
// separate their subtrees, a heap whose leaves hold as many copies as their
// masses say. Then it rebuilds the boxes.
func (t *tree) readState(r *reader) error {
	if len(r.b) < rngSize {
		return errTruncated
	}
	if err := t.rng.UnmarshalBinary(r.b[:rngSize]); err != nil {
		return err
	}
	r.b = r.b[rngSize:]
	since := r.uvarint()
	if r.err == nil && since >= uint64(t.capacity) {
		return fmt.Errorf("%d insertions since the last relayout, every %d", since, t.capacity)
	}
	t.sinceLayout = int(since)
	root := r.varint()
	usedNodes := r.count(0)
	if r.err == nil && (usedNodes > len(t.nodes) || usedNodes > int(t.capacity)-1) {
		return fmt.Errorf("%d nodes in a tree of %d leaves", usedNodes, t.capacity)
	}
	for i := 0; i < usedNodes && r.err == nil; i++ {
		n := &t.nodes[i]
		left, right, dim, mass := r.varint(), r.varint(), r.uvarint(), r.uvarint()
		if left < math.MinInt16 || left > math.MaxInt16 || right < math.MinInt16 || right > math.MaxInt16 ||
			dim > math.MaxUint16 || mass > math.MaxUint16 {
			return fmt.Errorf("node %d: children %d, %d, cut dimension %d, mass %d", i, left, right, dim, mass)
		}
		n.child[0], n.child[1], n.dim, n.mass = int16(left), int16(right), uint16(dim), uint16(mass)
		n.cut = r.float()
	}
	t.usedNodes = int32(usedNodes)
	t.freeNodes = r.ints(t.freeNodes[:0], usedNodes)
	usedLeaves := r.count(0)
	if r.err == nil && usedLeaves > int(t.capacity) {
		return fmt.Errorf("%d leaves in a tree of %d", usedLeaves, t.capacity)
	}
	for i := 0; i < usedLeaves*t.dims && r.err == nil; i++ {
		t.leafPoint[i] = r.float()
	}
	for i := 0; i < usedLeaves && r.err == nil; i++ {
		t.leafMass[i] = int32(r.uvarint())
	}
	t.usedLeaves = int32(usedLeaves)
	t.freeLeaves = r.ints(t.freeLeaves[:0], usedLeaves)
	size := r.count(0)
	if r.err == nil && size > int(t.capacity) {
		return fmt.Errorf("%d sampled points in a sample of %d", size, t.capacity)
	}
	for i := 0; i < size && r.err == nil; i++ {
		t.heap[i].weight = r.float()
		t.heap[i].leaf = int32(r.uvarint())
	}
	t.size = size
	if r.err != nil {
		return r.err
	}
	if root < math.MinInt32 || root > math.MaxInt32 {
		return fmt.Errorf("root %d", root)
	}
	t.root = int32(root)
	return t.check()
}

// check validates a tree read from a snapshot and rebuilds its boxes.
func (t *tree) check() error {
	nodeSeen := make([]bool, t.usedNodes)
	leafSeen := make([]bool, t.usedLeaves)
	for _, r := range t.freeNodes {
		if nodeSeen[r] {
			return fmt.Errorf("node %d freed twice", r)
		}
		nodeSeen[r] = true
	}
	for _, l := range t.freeLeaves {
		if leafSeen[l] {
			return fmt.Errorf("leaf %d freed twice", l)
		}
		leafSeen[l] = true
	}
	for _, x := range t.leafPoint[:int(t.usedLeaves)*t.dims] {
		if math.IsNaN(x) || math.Abs(x) > MaxValue {
			return errors.New("a point beyond the values a forest takes")
		}
	}
	total := 0
	if t.root != none {
		var err error
		if total, err = t.checkRef(t.root, nodeSeen, leafSeen, 0); err != nil {
			return err
		}
	}
	for i, s := range nodeSeen {
		if !s {
			return fmt.Errorf("node %d neither in the tree nor free", i)
		}
	}
	for i, s := range leafSeen {
		if !s {
			return fmt.Errorf("leaf %d neither in the tree nor free", i)
		}
	}
	if total != t.size {
		return fmt.Errorf("tree mass %d, %d sampled points", total, t.size)
	}
	copies := make([]int32, t.usedLeaves)
	for i := range t.size {
		l := t.heap[i].leaf
		if l < 0 || l >= t.usedLeaves || t.leafMass[l] == 0 {
			return fmt.Errorf("sampled point %d at leaf %d, not in the tree", i, l)
		}
		copies[l]++
		if w := t.heap[i].weight; math.IsNaN(w) || i > 0 && w > t.heap[(i-1)/2].weight {
			return fmt.Errorf("sampler heap out of order at %d", i)
		}
	}
	for _, l := range t.freeLeaves {
		t.leafMass[l] = 0
	}
	for l, c := range copies {
		if c != t.leafMass[l] {
			return fmt.Errorf("leaf %d of mass %d sampled %d times", l, t.leafMass[l], c)
		}
	}
	return nil
}

// checkRef checks the subtree at r, rebuilding its boxes bottom up, and
// returns its mass. depth bounds the recursion: a tree of n leaves is less
// than n deep.
func (t *tree) checkRef(r int32, nodeSeen, leafSeen []bool, depth int) (int, error) {
	if depth > int(t.capacity) {
		return 0, errors.New("tree deeper than its leaves")
	}
	if r < 0 {
		l := ^r
		if l >= t.usedLeaves || leafSeen[l] {
			return 0, fmt.Errorf("leaf %d out of range or reached twice", l)
		}
		leafSeen[l] = true
		if t.leafMass[l] <= 0 {
			return 0, fmt.Errorf("leaf %d of mass %d", l, t.leafMass[l])
		}
		return int(t.leafMass[l]), nil
	}
	if r >= t.usedNodes || nodeSeen[r] {
		return 0, fmt.Errorf("node %d out of range or reached twice", r)
	}
	nodeSeen[r] = true
	n := t.nodes[r]
	if int(n.dim) >= t.dims || math.IsNaN(n.cut) || math.IsInf(n.cut, 0) {
		return 0, fmt.Errorf("node %d: cut %d@%v", r, n.dim, n.cut)
	}
	ml, err := t.checkRef(int32(n.child[0]), nodeSeen, leafSeen, depth+1)
	if err != nil {
		return 0, err
	}
	mr, err := t.checkRef(int32(n.child[1]), nodeSeen, leafSeen, depth+1)
	if err != nil {
		return 0, err
	}
	if int(n.mass) != ml+mr {
		return 0, fmt.Errorf("node %d of mass %d over %d and %d", r, n.mass, ml, mr)
	}
	// Every point on the left is at most the cut, every point on the right
	// above it, so each point's descent finds its leaf.
	if t.refBox(int32(n.child[0])).max[n.dim] > n.cut || t.refBox(int32(n.child[1])).min[n.dim] <= n.cut {
		return 0, fmt.Errorf("node %d: cut %d@%v does not separate its children", r, n.dim, n.cut)
	}
	t.rebuildBox(r)
	return ml + mr, nil
}

var errTruncated = errors.New("truncated")

// reader decodes a snapshot body; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail(errTruncated)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errTruncated)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errTruncated)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count of items of at least minSize bytes each, bounded by
// what is left to read.
func (r *reader) count(minSize int) int {
	v := r.uvarint()
	if r.err == nil && (v > math.MaxInt32 || minSize > 0 && v > uint64(len(r.b)/minSize)) {
		r.fail(fmt.Errorf("count %d exceeds the data", v))
		return 0
	}
	return int(v)
}

func (r *reader) float() float64 {
	if len(r.b) < 8 {
		r.fail(errTruncated)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// ints reads a list of int32 below bound into dst, whose capacity bounds
// its length.
func (r *reader) ints(dst []int32, bound int) []int32 {
	n := r.count(1)
	if r.err == nil && n > cap(dst) {
		r.fail(fmt.Errorf("%d free slots for %d", n, cap(dst)))
	}
	for i := 0; i < n && r.err == nil; i++ {
		v := r.uvarint()
		if v >= uint64(bound) {
			r.fail(fmt.Errorf("slot %d out of %d", v, bound))
			break
		}
		dst = append(dst, int32(v))
	}
	return dst
}

func appendFloat(dst []byte, x float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
}

func appendInts(dst []byte, s []int32) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	for _, v := range s {
		dst = binary.AppendUvarint(dst, uint64(v))
	}
	return dst
}
