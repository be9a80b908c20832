package anomaly

import (
	"math"
	"testing"
)

// The tests in this file are ports of the hand-computed tests of AWS's
// Random Cut Forest (aws/random-cut-forest-by-aws, Java core module):
// AnomalyScoreVisitorTest, AnomalyAttributionVisitorTest and the fixed tree
// of RandomCutTreeTest. Where the reference mocks a node, the test builds
// the nodeView the mock stands for.

const epsilon = 1e-10

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > epsilon*max(1, math.Abs(want)) {
		t.Errorf("%s = %.15g, want %.15g", what, got, want)
	}
}

func leafBox(p []float64) box { return box{min: p, max: p} }

// mergedBox is BoundingBox.getMergedBox of boxes and points.
func mergedBox(first []float64, more ...[]float64) box {
	lo := append([]float64(nil), first...)
	hi := append([]float64(nil), first...)
	for _, p := range more {
		for i, x := range p {
			lo[i], hi[i] = min(lo[i], x), max(hi[i], x)
		}
	}
	return box{min: lo, max: hi, rangeSum: rangeSum(lo, hi)}
}

func log2(x float64) float64 { return math.Log(x) / math.Log(2) }

// AnomalyScoreVisitorTest.testNew, testNewWithIgnoreOptions
func TestScoreVisitorNew(t *testing.T) {
	var v scoreVisitor
	v.reset([]float64{1, 2}, 9, 0)
	if v.pointInsideBox || v.coordInsideBox[0] || v.coordInsideBox[1] || v.ignoreLeafEquals || v.ignoreLeafMassThreshold != 0 || v.result() != 0 {
		t.Errorf("fresh visitor %+v", v)
	}
	v.reset([]float64{1, 2}, 9, 7)
	if v.pointInsideBox || !v.ignoreLeafEquals || v.ignoreLeafMassThreshold != 7 || v.result() != 0 {
		t.Errorf("fresh visitor with threshold %+v", v)
	}
}

// AnomalyScoreVisitorTest.testAcceptLeafEquals
func TestScoreVisitorAcceptLeafEquals(t *testing.T) {
	point := []float64{1, 2, 3}
	leafDepth, leafMass, subSampleSize := 100, 10, 21
	var v scoreVisitor
	v.reset(point, subSampleSize, 0)
	v.acceptLeaf(point, leafMass, leafDepth)
	want := damp(leafMass, subSampleSize) / (float64(leafDepth) + math.Log(float64(leafMass)+1)/math.Log(2))
	near(t, "score", v.result(), normalize(want, subSampleSize))
	if !v.pointInsideBox {
		t.Error("point not inside box")
	}

	v.reset(point, subSampleSize, 0)
	v.acceptLeaf(point, leafMass, 0)
	want = damp(leafMass, subSampleSize) / (math.Log(float64(leafMass)+1) / math.Log(2))
	near(t, "score at depth 0", v.result(), normalize(want, subSampleSize))
	if !v.pointInsideBox {
		t.Error("point not inside box")
	}

	var another scoreVisitor
	another.reset(point, subSampleSize, 7)
	another.acceptLeaf(point, leafMass, 0)
	if another.score != v.score {
		t.Errorf("threshold 7: %v, want %v", another.score, v.score)
	}
	var yetAnother scoreVisitor
	yetAnother.reset(point, subSampleSize, 12)
	yetAnother.acceptLeaf(point, leafMass, 0)
	if yetAnother.score == v.score {
		t.Errorf("threshold 12: %v, want a different score", yetAnother.score)
	}
}

// AnomalyScoreVisitorTest.testAcceptLeafNotEquals
func TestScoreVisitorAcceptLeafNotEquals(t *testing.T) {
	point := []float64{1, 2, 3}
	another := []float64{4, 5, 6}
	leafDepth := 100
	var v scoreVisitor
	v.reset(point, 2, 0)
	v.acceptLeaf(another, 0, leafDepth) // the mock's mass is 0
	near(t, "score", v.result(), normalize(1.0/float64(leafDepth+1), 2))
	if v.pointInsideBox {
		t.Error("point inside box")
	}
	for _, threshold := range []int{7, 12} {
		var w scoreVisitor
		w.reset(point, 2, threshold)
		w.acceptLeaf(another, 10, 100)
		if w.score != v.score {
			t.Errorf("threshold %d: %v, want %v", threshold, w.score, v.score)
		}
	}
}

// AnomalyScoreVisitorTest.testAcceptEqualsLeafPoint
func TestScoreVisitorAcceptEqualsLeafPoint(t *testing.T) {
	pointToScore := []float64{0, 0}
	sampleSize := 50
	var v scoreVisitor
	v.reset(pointToScore, sampleSize, 0)
	point := []float64{0, 0}
	depth := 2
	v.acceptLeaf(point, 0, depth) // the mock's mass is 0
	want := damp(0, sampleSize) / (float64(depth) + math.Log(1)/math.Log(2))
	near(t, "leaf", v.result(), normalize(want, sampleSize))

	b := mergedBox(point, []float64{1, 1})
	depth--
	v.accept(&nodeView{box: b}, depth)
	near(t, "parent", v.result(), normalize(want, sampleSize))

	b = mergedBox(b.min, b.max, []float64{-1, -1})
	depth--
	v.accept(&nodeView{box: b}, depth)
	near(t, "grandparent", v.result(), normalize(want, sampleSize))
}

// AnomalyScoreVisitorTest.testAccept
func TestScoreVisitorAccept(t *testing.T) {
	pointToScore := []float64{0, 0}
	sampleSize := 50
	var v scoreVisitor
	v.reset(pointToScore, sampleSize, 0)
	other := []float64{1, 1}
	depth := 4
	v.acceptLeaf(other, 0, depth)
	want := 1.0 / float64(depth+1)
	near(t, "leaf", v.result(), normalize(want, sampleSize))

	depth--
	b := mergedBox(other, []float64{2, 0})
	// The reference mocks probailityOfSeparation as 1/3: the box's own.
	if p := probabilityOfSeparation(b, pointToScore); math.Abs(p-1.0/3) > epsilon {
		t.Fatalf("probability of separation %v, want 1/3", p)
	}
	v.accept(&nodeView{box: b}, depth)
	var fresh scoreVisitor
	fresh.reset(pointToScore, sampleSize, 0)
	p := fresh.probabilityOfSeparation(b)
	want = p*(1.0/float64(depth+1)) + (1-p)*want
	near(t, "parent", v.result(), normalize(want, sampleSize))

	depth--
	b = mergedBox(b.min, b.max, []float64{-1, 0})
	if p := probabilityOfSeparation(b, pointToScore); p != 0 {
		t.Fatalf("probability of separation %v, want 0", p)
	}
	v.accept(&nodeView{box: b}, depth)
	fresh.reset(pointToScore, sampleSize, 0)
	p = fresh.probabilityOfSeparation(b)
	want = p*(1.0/float64(depth+1)) + (1-p)*want
	near(t, "grandparent", v.result(), normalize(want, sampleSize))

	depth--
	b = mergedBox(b.min, b.max, []float64{-1, -1})
	v.accept(&nodeView{box: b}, depth)
	near(t, "root", v.result(), normalize(want, sampleSize))
	if !v.pointInsideBox {
		t.Error("point not inside box")
	}
}

// AnomalyScoreVisitorTest.testGetProbabilityOfSeparation
func TestScoreVisitorProbabilityOfSeparation(t *testing.T) {
	b := mergedBox([]float64{0, 0, 0}, []float64{1, 2, 3})
	check := func(point []float64, preset []int, want float64, inside [3]bool) {
		t.Helper()
		var v scoreVisitor
		v.reset(point, 2, 0)
		for _, i := range preset {
			v.coordInsideBox[i] = true
		}
		near(t, "p", v.probabilityOfSeparation(b), want)
		if [3]bool(v.coordInsideBox) != inside {
			t.Errorf("point %v: coordInsideBox %v, want %v", point, v.coordInsideBox, inside)
		}
	}
	check([]float64{0.5, 0.5, 0.5}, nil, 0, [3]bool{true, true, true})
	check([]float64{0.5, 0.5, 0.5}, []int{1, 2}, 0, [3]bool{true, true, true})
	check([]float64{2, 0.5, 0.5}, nil, 1.0/(2+2+3), [3]bool{false, true, true})
	check([]float64{2, 0.5, 0.5}, []int{1, 2}, 1.0/(2+2+3), [3]bool{false, true, true})
	check([]float64{0.5, -3, 4}, nil, (3.0+1)/(1+5+4), [3]bool{true, false, false})
	check([]float64{0.5, -3, 4}, []int{0}, (3.0+1)/(1+5+4), [3]bool{true, false, false})
}

// AnomalyScoreVisitorTest.test_getProbabilityOfSeparation_leafNode
func TestScoreVisitorProbabilityOfSeparationLeaf(t *testing.T) {
	point := []float64{1, 2, 3}
	var v scoreVisitor
	v.reset(point, 2, 0)
	defer func() {
		if recover() == nil {
			t.Error("no panic for a leaf box")
		}
	}()
	v.probabilityOfSeparation(leafBox([]float64{1, 2, 3}))
}

// AnomalyAttributionVisitorTest.testNew, testNewWithIgnoreOptions
func TestAttributionVisitorNew(t *testing.T) {
	point := []float64{1.1, -2.2, 3.3}
	for _, threshold := range []int{0, 7} {
		var v attributionVisitor
		v.reset(point, 99, threshold)
		if v.pointInsideBox || v.ignoreLeaf != (threshold > 0) || v.ignoreLeafMass != threshold {
			t.Errorf("threshold %d: %+v", threshold, v)
		}
		high, low := make([]float64, 3), make([]float64, 3)
		v.addResult(high, low)
		for i := range 3 {
			if v.coordInsideBox[i] || high[i] != 0 || low[i] != 0 {
				t.Errorf("threshold %d: dimension %d not zero", threshold, i)
			}
		}
	}
}

func attributionResult(v *attributionVisitor) (high, low []float64) {
	high, low = make([]float64, len(v.point)), make([]float64, len(v.point))
	v.addResult(high, low)
	return high, low
}

// AnomalyAttributionVisitorTest.testAcceptLeafEquals
func TestAttributionVisitorAcceptLeafEquals(t *testing.T) {
	point := []float64{1.1, -2.2, 3.3}
	leafDepth, leafMass, treeMass := 100, 10, 21
	var v attributionVisitor
	v.reset(point, treeMass, 0)
	v.acceptLeaf(point, leafMass, leafDepth)
	if !v.hitDuplicates || v.sumOfNewRange != 0 {
		t.Errorf("hitDuplicates %v, sumOfNewRange %v", v.hitDuplicates, v.sumOfNewRange)
	}
	sum := damp(leafMass, treeMass) / (float64(leafDepth) + log2(float64(leafMass)+1))
	want := sum / float64(2*len(point))
	high, low := attributionResult(&v)
	for i := range point {
		near(t, "low", low[i], normalize(want, treeMass))
		near(t, "high", high[i], normalize(want, treeMass))
	}
}

// AnomalyAttributionVisitorTest.testAcceptLeafNotEquals
func TestAttributionVisitorAcceptLeafNotEquals(t *testing.T) {
	point := []float64{1.1, -2.2, 3.3}
	another := []float64{-4, 5, 6}
	leafDepth, leafMass, treeMass := 100, 4, 21
	sum := scoreUnseen(leafDepth, leafMass)
	sumOfNewRange := (1.1 - (-4.0)) + (5.0 - (-2.2)) + (6.0 - 3.3)
	for _, threshold := range []int{0, 3} {
		var v attributionVisitor
		v.reset(point, treeMass, threshold)
		v.acceptLeaf(another, leafMass, leafDepth)
		high, low := attributionResult(&v)
		near(t, "high[0]", high[0], normalize(sum*(1.1-(-4.0))/sumOfNewRange, treeMass))
		near(t, "low[0]", low[0], 0)
		near(t, "high[1]", high[1], 0)
		near(t, "low[1]", low[1], normalize(sum*(5.0-(-2.2))/sumOfNewRange, treeMass))
		near(t, "high[2]", high[2], 0)
		near(t, "low[2]", low[2], normalize(sum*(6.0-3.3)/sumOfNewRange, treeMass))
	}
	var v attributionVisitor
	v.reset(point, treeMass, 4)
	v.acceptLeaf(another, leafMass, leafDepth)
	high, low := attributionResult(&v)
	want := sum / float64(2*len(point))
	for i := range point {
		near(t, "low", low[i], normalize(want, treeMass))
		near(t, "high", high[i], normalize(want, treeMass))
	}
}

// AnomalyAttributionVisitorTest.testAccept
func TestAttributionVisitorAccept(t *testing.T) {
	pointToScore := []float64{0, 0}
	treeMass := 50
	var v attributionVisitor
	v.reset(pointToScore, treeMass, 0)
	point := []float64{1, -2}
	leafMass, depth := 3, 4
	v.acceptLeaf(point, leafMass, depth)
	high, low := attributionResult(&v)
	sum := scoreUnseen(depth, leafMass)
	sumOfNewRange := 1.0 + 2.0
	wantLow := []float64{sum * 1.0 / sumOfNewRange, 0}
	wantHigh := []float64{0, sum * 2.0 / sumOfNewRange}
	for i := range pointToScore {
		near(t, "leaf low", low[i], normalize(wantLow[i], treeMass))
		near(t, "leaf high", high[i], normalize(wantHigh[i], treeMass))
	}

	// The parent does not contain the point.
	depth--
	siblingMass := 2
	parentMass := leafMass + siblingMass
	b := mergedBox(point, []float64{2, -0.5})
	v.accept(&nodeView{box: b, mass: parentMass}, depth)
	high, low = attributionResult(&v)
	sumOfNewRange2 := 2.0 + 2.0
	probOfCut2 := (1.0 + 0.5) / sumOfNewRange2
	diff2 := []float64{0, 1, 0.5, 0}
	score2 := scoreUnseen(depth, parentMass)
	wantLow2, wantHigh2 := make([]float64, 2), make([]float64, 2)
	for i := range pointToScore {
		wantHigh2[i] = diff2[2*i]/sumOfNewRange2*score2 + (1-probOfCut2)*wantHigh[i]
		wantLow2[i] = diff2[2*i+1]/sumOfNewRange2*score2 + (1-probOfCut2)*wantLow[i]
	}
	for i := range pointToScore {
		near(t, "parent low", low[i], normalize(wantLow2[i], treeMass))
		near(t, "parent high", high[i], normalize(wantHigh2[i], treeMass))
	}
	if v.pointInsideBox {
		t.Fatal("point inside the parent's box")
	}

	// The grandparent contains the point.
	depth--
	gb := mergedBox(b.min, b.max, []float64{-1, 1}, []float64{-0.5, -1.5})
	v.accept(&nodeView{box: gb, mass: parentMass + 2}, depth)
	high, low = attributionResult(&v)
	for i := range pointToScore {
		near(t, "grandparent low", low[i], normalize(wantLow2[i], treeMass))
		near(t, "grandparent high", high[i], normalize(wantHigh2[i], treeMass))
	}
}

// AnomalyAttributionVisitorTest.reNormalizeNotEqual and reNormalize
func TestAttributionVisitorRenormalize(t *testing.T) {
	for _, equal := range []bool{false, true} {
		for _, mass := range []int{3, 5} {
			pointToScore := []float64{0, 0}
			var v attributionVisitor
			v.reset(pointToScore, 50, 4)
			point := []float64{1, -2}
			if equal {
				point = pointToScore
			}
			v.acceptLeaf(point, mass, 1)
			v.accept(&nodeView{
				box:     mergedBox(point, []float64{2, 2}),
				mass:    mass + 2,
				sibling: leafBox([]float64{2, 2}),
			}, 0)
			sum := 0.0
			for i := range v.high {
				sum += v.high[i] + v.low[i]
			}
			if math.Abs(sum-v.savedScore) > 1e-6 {
				t.Errorf("equal %v, mass %d: attribution sums to %v, score %v", equal, mass, sum, v.savedScore)
			}
		}
	}
}

// fixedTree builds the tree of RandomCutTreeTest.setUp, with the cut
// factors it fixes so that each cut halves its box:
//
//	      /\
//	     /  \
//	-1,-1   /\
//	       /  \
//	      /\   1,1
//	     /  \
//	  -1,0  0,1 (mass 2)
func fixedTree(t *testing.T) (*tree, map[[2]float64]int32) {
	tr := newTree(2, 256, 1, 2, nil)
	factor := 0.0
	tr.draw = func() float64 { return factor }
	leaves := map[[2]float64]int32{}
	add := func(p [2]float64) { leaves[p] = tr.insert(p[:]) }

	add([2]float64{-1, -1})
	tr.delete(leaves[[2]float64{-1, -1}])
	if tr.root != none {
		t.Fatal("tree not empty after deleting its only point")
	}
	add([2]float64{-1, -1})
	factor = 0.625
	add([2]float64{1, 1})
	factor = 0.5
	add([2]float64{-1, 0})
	factor = 0.25
	add([2]float64{0, 1})
	add([2]float64{0, 1}) // mass to 0,1
	tr.size = 5           // as the sampler would count
	return tr, leaves
}

type wantNode struct {
	min, max [2]float64
	dim      int32
	cut      float64
	mass     int32
}

func checkNode(t *testing.T, tr *tree, r int32, w wantNode) {
	t.Helper()
	if r < 0 {
		t.Fatalf("reference %d is a leaf, want an internal node", r)
	}
	b := tr.nodeBox(r)
	n := tr.nodes[r]
	if [2]float64(b.min) != w.min || [2]float64(b.max) != w.max || int32(n.dim) != w.dim || math.Abs(n.cut-w.cut) > 1e-8 || int32(n.mass) != w.mass {
		t.Errorf("node %d: box %v–%v cut %d@%v mass %d, want %v–%v cut %d@%v mass %d",
			r, b.min, b.max, n.dim, n.cut, n.mass, w.min, w.max, w.dim, w.cut, w.mass)
	}
	if b.rangeSum != rangeSum(b.min, b.max) {
		t.Errorf("node %d: range sum %v", r, b.rangeSum)
	}
}

func checkLeaf(t *testing.T, tr *tree, r int32, p [2]float64, mass int32) {
	t.Helper()
	if r >= 0 {
		t.Fatalf("reference %d is internal, want a leaf", r)
	}
	if got := [2]float64(tr.point(^r)); got != p || tr.leafMass[^r] != mass {
		t.Errorf("leaf %v mass %d, want %v mass %d", got, tr.leafMass[^r], p, mass)
	}
}

// RandomCutTreeTest.testInitialTreeState
func TestFixedTreeInitialState(t *testing.T) {
	tr, _ := fixedTree(t)
	root := tr.root
	checkNode(t, tr, root, wantNode{[2]float64{-1, -1}, [2]float64{1, 1}, 1, -0.5, 5})
	checkLeaf(t, tr, int32(tr.nodes[root].child[0]), [2]float64{-1, -1}, 1)
	n := int32(tr.nodes[root].child[1])
	checkNode(t, tr, n, wantNode{[2]float64{-1, 0}, [2]float64{1, 1}, 0, 0.5, 4})
	checkLeaf(t, tr, int32(tr.nodes[n].child[1]), [2]float64{1, 1}, 1)
	n = int32(tr.nodes[n].child[0])
	checkNode(t, tr, n, wantNode{[2]float64{-1, 0}, [2]float64{0, 1}, 0, -0.5, 3})
	checkLeaf(t, tr, int32(tr.nodes[n].child[0]), [2]float64{-1, 0}, 1)
	checkLeaf(t, tr, int32(tr.nodes[n].child[1]), [2]float64{0, 1}, 2)
}

// RandomCutTreeTest.testDeletePointWithLeafSibling
func TestFixedTreeDeleteWithLeafSibling(t *testing.T) {
	tr, leaves := fixedTree(t)
	tr.delete(leaves[[2]float64{-1, 0}])
	root := tr.root
	checkNode(t, tr, root, wantNode{[2]float64{-1, -1}, [2]float64{1, 1}, 1, -0.5, 4})
	checkLeaf(t, tr, int32(tr.nodes[root].child[0]), [2]float64{-1, -1}, 1)
	n := int32(tr.nodes[root].child[1]) // the sibling moved up, its box recomputed
	checkNode(t, tr, n, wantNode{[2]float64{0, 1}, [2]float64{1, 1}, 0, 0.5, 3})
	checkLeaf(t, tr, int32(tr.nodes[n].child[0]), [2]float64{0, 1}, 2)
	checkLeaf(t, tr, int32(tr.nodes[n].child[1]), [2]float64{1, 1}, 1)
}

// RandomCutTreeTest.testDeletePointWithNonLeafSibling
func TestFixedTreeDeleteWithNonLeafSibling(t *testing.T) {
	tr, leaves := fixedTree(t)
	tr.delete(leaves[[2]float64{1, 1}])
	root := tr.root
	checkNode(t, tr, root, wantNode{[2]float64{-1, -1}, [2]float64{0, 1}, 1, -0.5, 4})
	checkLeaf(t, tr, int32(tr.nodes[root].child[0]), [2]float64{-1, -1}, 1)
	n := int32(tr.nodes[root].child[1])
	checkNode(t, tr, n, wantNode{[2]float64{-1, 0}, [2]float64{0, 1}, 0, -0.5, 3})
	checkLeaf(t, tr, int32(tr.nodes[n].child[0]), [2]float64{-1, 0}, 1)
	checkLeaf(t, tr, int32(tr.nodes[n].child[1]), [2]float64{0, 1}, 2)
}

// RandomCutTreeTest.testDeletePointWithMassGreaterThan1
func TestFixedTreeDeleteWithMassGreaterThan1(t *testing.T) {
	tr, leaves := fixedTree(t)
	tr.delete(leaves[[2]float64{0, 1}])
	root := tr.root
	checkNode(t, tr, root, wantNode{[2]float64{-1, -1}, [2]float64{1, 1}, 1, -0.5, 4})
	checkLeaf(t, tr, int32(tr.nodes[root].child[0]), [2]float64{-1, -1}, 1)
	n := int32(tr.nodes[root].child[1])
	checkNode(t, tr, n, wantNode{[2]float64{-1, 0}, [2]float64{1, 1}, 0, 0.5, 3})
	checkLeaf(t, tr, int32(tr.nodes[n].child[1]), [2]float64{1, 1}, 1)
	n = int32(tr.nodes[n].child[0])
	checkNode(t, tr, n, wantNode{[2]float64{-1, 0}, [2]float64{0, 1}, 0, -0.5, 2})
	checkLeaf(t, tr, int32(tr.nodes[n].child[0]), [2]float64{-1, 0}, 1)
	checkLeaf(t, tr, int32(tr.nodes[n].child[1]), [2]float64{0, 1}, 1)
}

// RandomCutTreeTest.cutTestMultiD, the cuts of factors in [0, 1): the
// reference draws among dimensions by Java's Random for factors at or above
// 1, which random draws never are.
func TestRandomCut(t *testing.T) {
	zero := []float64{0, 0}
	if d, c := randomCut(0, []float64{0, 1}, zero, zero); d != 1 || c != 0 {
		t.Errorf("factor 0: cut %d@%v, want 1@0", d, c)
	}
	// 1,1 against 0,0: ranges 1 and 1, 0.75 of the way is dimension 1 at 0.5.
	one := []float64{1, 1}
	if d, c := randomCut(0.75, one, zero, zero); d != 1 || c != 0.5 {
		t.Errorf("factor 0.75: cut %d@%v, want 1@0.5", d, c)
	}
	// A cut at the top of a range moves just below it, into [min, max).
	if d, c := randomCut(0.5, []float64{1}, []float64{0}, []float64{0}); d != 0 || c != 0.5 {
		t.Errorf("factor 0.5: cut %d@%v", d, c)
	}
	if d, c := randomCut(math.Nextafter(1, 0), []float64{1}, []float64{0}, []float64{0}); d != 0 || c >= 1 {
		t.Errorf("factor just below 1: cut %d@%v, want below 1", d, c)
	}
}

// Scores and attributions on the fixed tree, computed by hand.
func TestFixedTreeScores(t *testing.T) {
	tr, _ := fixedTree(t)
	var sv scoreVisitor
	var av attributionVisitor
	norm := log2(6) // tree mass 5
	cases := []struct {
		name      string
		p         []float64
		score     float64
		high, low []float64
	}{
		// Leaf 1,1 at depth 2: 1/3; its parent (box −1..1 × 0..1, range
		// sum 3) grows by 2 with probability 2/5: 2/5·1/2 + 3/5·1/3 = 0.4;
		// the root (range sum 4) by 2, probability 1/3: 1/3·1 + 2/3·0.4 = 0.6.
		// Each dimension grows by 1 upward at every step: half of it each.
		{"outside", []float64{2, 2}, 0.6 * norm, []float64{0.3 * norm, 0.3 * norm}, []float64{0, 0}},
		// Leaf 0,1 at depth 3 only, the parent box holding 0,0: 1/4. The leaf
		// grows downward by 1 in dimension 1.
		{"inside", []float64{0, 0}, 0.25 * norm, []float64{0, 0}, []float64{0, 0.25 * norm}},
		// Seen twice at depth 3: damp(2, 5)·scoreSeen(3, 2) = S. The
		// attribution starts even, then the sibling leaf −1,0 stands for the
		// tree without the point: against it the point lies 1 higher in
		// both dimensions, and the parent's sibling 1,1 makes a box that
		// holds it; rescaled to S, half of it high in each dimension.
		{"seen", []float64{0, 1}, 0.8 / (3 + log2(3)) * norm,
			[]float64{0.4 / (3 + log2(3)) * norm, 0.4 / (3 + log2(3)) * norm},
			[]float64{0, 0}},
	}
	for _, c := range cases {
		near(t, c.name+" score (visitor)", tr.scoreVisit(&sv, c.p), c.score)
		near(t, c.name+" score", tr.score(c.p), c.score)
		high, low := make([]float64, 2), make([]float64, 2)
		tr.attribute(&av, c.p, high, low)
		for i := range 2 {
			near(t, c.name+" high", high[i], c.high[i])
			near(t, c.name+" low", low[i], c.low[i])
		}
	}
}
