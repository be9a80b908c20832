package anomaly

import (
	"fmt"
	"math"
)

// The scoring functions of AWS's Random Cut Forest, ported from
// CommonUtils.java of aws/random-cut-forest-by-aws (Java core module):
// defaultScoreSeenFunction, defaultScoreUnseenFunction, defaultDampFunction
// and defaultScalarNormalizerFunction.

// scoreSeen is the contribution of a leaf equal to the scored point.
func scoreSeen(depth, mass int) float64 {
	return 1 / (float64(depth) + math.Log(float64(mass)+1)/math.Log(2))
}

// scoreUnseen is the contribution of a node that separates the scored point.
func scoreUnseen(depth, mass int) float64 { return 1 / (float64(depth) + 1) }

// damp scales down the score of a point seen leafMass times in a tree of
// treeMass points.
func damp(leafMass, treeMass int) float64 {
	return 1 - float64(leafMass)/(2*float64(treeMass))
}

// normalize scales a tree's raw score by log2(mass+1), so that the score of
// an ordinary point is about 1 whatever the sample size.
func normalize(score float64, treeMass int) float64 {
	return score * math.Log(float64(treeMass)+1) / math.Log(2)
}

// box is a view of a bounding box: per dimension its minimum and maximum,
// and the sum of its ranges. A leaf's box is its point (min and max alias).
type box struct {
	min, max []float64
	rangeSum float64
}

// nodeView is what a visitor sees of a node on the path from the scored
// point's leaf to the root: its box, its mass, and the box of its child that
// is not on the path (the reference's NodeView.getSiblingBoundingBox).
type nodeView struct {
	box     box
	mass    int
	sibling box
}

// probabilityOfSeparation is the probability that a random cut of the box
// grown by p separates p from the box: the growth of the range sum over the
// grown range sum (the reference's RandomCutTree.probabilityOfCut).
func probabilityOfSeparation(b box, p []float64) float64 {
	sum := 0.0
	for i, x := range p {
		sum += max(b.min[i]-x, 0)
	}
	for i, x := range p {
		sum += max(x-b.max[i], 0)
	}
	if sum == 0 {
		return 0
	}
	return sum / (b.rangeSum + sum)
}

// scoreVisitor computes one tree's anomaly score of a point, visiting the
// leaf the point falls into and then its ancestors up to the root. It is a
// port of AbstractScalarScoreVisitor and AnomalyScoreVisitor
// (anomalydetection/ in the reference), including the option to ignore
// leaves of small mass, which the forest does not use (threshold 0) but the
// reference's tests exercise.
type scoreVisitor struct {
	point          []float64
	treeMass       int
	pointInsideBox bool
	coordInsideBox []bool
	score          float64

	ignoreLeafEquals        bool
	ignoreLeafMassThreshold int
	hasShadow               bool
	shadowMin, shadowMax    []float64
}

// reset prepares v for a point and a tree; the buffers are reused.
func (v *scoreVisitor) reset(point []float64, treeMass, ignoreLeafMassThreshold int) {
	v.point = point
	v.treeMass = treeMass
	v.pointInsideBox = false
	v.score = 0
	v.ignoreLeafEquals = ignoreLeafMassThreshold > 0
	v.ignoreLeafMassThreshold = ignoreLeafMassThreshold
	v.hasShadow = false
	v.coordInsideBox = resizeBools(v.coordInsideBox, len(point))
}

func (v *scoreVisitor) result() float64 { return normalize(v.score, v.treeMass) }

func (v *scoreVisitor) converged() bool { return v.pointInsideBox }

// acceptLeaf starts the walk at the leaf the point falls into.
func (v *scoreVisitor) acceptLeaf(leafPoint []float64, leafMass, depth int) {
	if equalPoints(leafPoint, v.point) && (!v.ignoreLeafEquals || leafMass > v.ignoreLeafMassThreshold) {
		v.pointInsideBox = true
		v.score = damp(leafMass, v.treeMass) * scoreSeen(depth, leafMass)
	} else {
		v.score = scoreUnseen(depth, leafMass)
	}
}

// accept takes the next ancestor, at the given depth.
func (v *scoreVisitor) accept(n *nodeView, depth int) {
	if v.pointInsideBox {
		return
	}
	var p float64
	if !v.ignoreLeafEquals {
		p = probabilityOfSeparation(n.box, v.point)
		if p <= 0 {
			v.pointInsideBox = true
			return
		}
	} else {
		v.mergeShadow(n.sibling)
		sb := box{min: v.shadowMin, max: v.shadowMax, rangeSum: rangeSum(v.shadowMin, v.shadowMax)}
		if sb.rangeSum <= 0 {
			p = 1
		} else {
			p = v.probabilityOfSeparation(sb)
		}
	}
	v.score = p*scoreUnseen(depth, n.mass) + (1-p)*v.score
}

// mergeShadow grows the shadow box (the box of the path's nodes without the
// leaf) by a sibling's box.
func (v *scoreVisitor) mergeShadow(s box) {
	if !v.hasShadow {
		v.shadowMin = append(v.shadowMin[:0], s.min...)
		v.shadowMax = append(v.shadowMax[:0], s.max...)
		v.hasShadow = true
		return
	}
	for i := range s.min {
		v.shadowMin[i] = min(v.shadowMin[i], s.min[i])
		v.shadowMax[i] = max(v.shadowMax[i], s.max[i])
	}
}

// probabilityOfSeparation is the reference's getProbabilityOfSeparation,
// with its memory of the coordinates already known to be inside a box.
func (v *scoreVisitor) probabilityOfSeparation(b box) float64 {
	sumOfNewRange, sumOfDifferenceInRange := 0.0, 0.0
	for i, x := range v.point {
		maxVal, minVal := b.max[i], b.min[i]
		oldRange := maxVal - minVal
		if v.coordInsideBox[i] {
			sumOfNewRange += oldRange
			continue
		}
		switch {
		case maxVal < x:
			maxVal = x
		case minVal > x:
			minVal = x
		case !v.ignoreLeafEquals:
			sumOfNewRange += oldRange
			v.coordInsideBox[i] = true
			continue
		}
		newRange := maxVal - minVal
		sumOfNewRange += newRange
		sumOfDifferenceInRange += newRange - oldRange
	}
	if sumOfNewRange <= 0 {
		// A non-leaf box holds two distinct points: its range is positive.
		panic(fmt.Sprintf("anomaly: range sum %v of a merged box at an internal node", sumOfNewRange))
	}
	return sumOfDifferenceInRange / sumOfNewRange
}

// attributionVisitor computes one tree's attribution of the score to each
// dimension, split into the part from cuts above the point (High) and below
// it (Low). It is a port of AbstractAttributionVisitor and
// AnomalyAttributionVisitor (anomalydetection/ in the reference); its High
// and Low sum to the score of scoreVisitor.
type attributionVisitor struct {
	point          []float64
	treeMass       int
	high, low      []float64
	diff           []float64 // per dimension the growth above and below: 2·dims
	hitDuplicates  bool
	savedScore     float64
	sumOfNewRange  float64
	sumOfDiff      float64
	ignoreLeaf     bool
	ignoreLeafMass int
	pointInsideBox bool
	coordInsideBox []bool
	hasShadow      bool
	shadowMin      []float64
	shadowMax      []float64
}

func (v *attributionVisitor) reset(point []float64, treeMass, ignoreLeafMassThreshold int) {
	d := len(point)
	v.point = point
	v.treeMass = treeMass
	v.ignoreLeaf = ignoreLeafMassThreshold > 0
	v.ignoreLeafMass = ignoreLeafMassThreshold
	v.hitDuplicates = false
	v.pointInsideBox = false
	v.savedScore = 0
	v.hasShadow = false
	v.high = resizeFloats(v.high, d)
	v.low = resizeFloats(v.low, d)
	v.diff = resizeFloats(v.diff, 2*d)
	v.coordInsideBox = resizeBools(v.coordInsideBox, d)
}

func (v *attributionVisitor) converged() bool { return v.pointInsideBox }

// addResult adds the normalized attribution to high and low.
func (v *attributionVisitor) addResult(high, low []float64) {
	for i := range v.high {
		high[i] += normalize(v.high[i], v.treeMass)
		low[i] += normalize(v.low[i], v.treeMass)
	}
}

func (v *attributionVisitor) accept(n *nodeView, depth int) {
	if v.pointInsideBox {
		return
	}
	small := n.box
	if v.hitDuplicates || v.ignoreLeaf {
		// The sibling boxes stand for the tree as if the point and its
		// duplicates had not been inserted.
		if !v.hasShadow {
			v.shadowMin = append(v.shadowMin[:0], n.sibling.min...)
			v.shadowMax = append(v.shadowMax[:0], n.sibling.max...)
			v.hasShadow = true
		} else {
			for i := range v.shadowMin {
				v.shadowMin[i] = min(v.shadowMin[i], n.sibling.min[i])
				v.shadowMax[i] = max(v.shadowMax[i], n.sibling.max[i])
			}
		}
		small = box{min: v.shadowMin, max: v.shadowMax}
	}
	v.updateRanges(small)
	probOfCut := v.sumOfDiff / v.sumOfNewRange
	if v.ignoreLeaf {
		v.savedScore = probOfCut*scoreUnseen(depth, n.mass) + (1-probOfCut)*v.savedScore
	}
	if probOfCut <= 0 {
		v.pointInsideBox = true
	} else {
		newScore := scoreUnseen(depth, n.mass)
		for i := range v.point {
			v.high[i] = v.diff[2*i]/v.sumOfNewRange*newScore + (1-probOfCut)*v.high[i]
			v.low[i] = v.diff[2*i+1]/v.sumOfNewRange*newScore + (1-probOfCut)*v.low[i]
		}
	}
	if (v.hitDuplicates || v.ignoreLeaf) && (v.pointInsideBox || depth == 0) {
		// Rescale so the attribution sums to the score.
		v.renormalize(v.savedScore)
	}
}

func (v *attributionVisitor) acceptLeaf(leafPoint []float64, leafMass, depth int) {
	v.updateRanges(box{min: leafPoint, max: leafPoint})
	if v.sumOfNewRange <= 0 {
		v.hitDuplicates = true
	}
	if v.hitDuplicates && (!v.ignoreLeaf || leafMass > v.ignoreLeafMass) {
		v.savedScore = damp(leafMass, v.treeMass) * scoreSeen(depth, leafMass)
	} else {
		v.savedScore = scoreUnseen(depth, leafMass)
	}
	if v.hitDuplicates || (v.ignoreLeaf && leafMass <= v.ignoreLeafMass) {
		// No better option than an equal attribution.
		share := v.savedScore / float64(2*len(v.point))
		for i := range v.high {
			v.high[i], v.low[i] = share, share
			v.coordInsideBox[i] = false
		}
		return
	}
	for i := range v.point {
		v.high[i] = v.savedScore * v.diff[2*i] / v.sumOfNewRange
		v.low[i] = v.savedScore * v.diff[2*i+1] / v.sumOfNewRange
	}
}

// updateRanges compares small with small grown by the point: the total
// grown range, the total growth, and the growth per dimension and side (the
// reference's updateRangesForScoring).
func (v *attributionVisitor) updateRanges(small box) {
	v.sumOfDiff, v.sumOfNewRange = 0, 0
	clear(v.diff)
	for i, x := range v.point {
		lmin, lmax := min(small.min[i], x), max(small.max[i], x)
		v.sumOfNewRange += lmax - lmin
		if v.coordInsideBox[i] && !v.ignoreLeaf {
			continue
		}
		maxGap := max(lmax-small.max[i], 0)
		minGap := max(small.min[i]-lmin, 0)
		if maxGap+minGap > 0 {
			v.sumOfDiff += minGap + maxGap
			v.diff[2*i] = maxGap
			v.diff[2*i+1] = minGap
		} else {
			v.coordInsideBox[i] = true
		}
	}
}

func (v *attributionVisitor) renormalize(target float64) {
	norm := 0.0
	for i := range v.high {
		norm += v.high[i] + v.low[i]
	}
	if norm > 0 {
		f := target / norm
		for i := range v.high {
			v.high[i] *= f
			v.low[i] *= f
		}
	}
}

func equalPoints(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func rangeSum(lo, hi []float64) float64 {
	s := 0.0
	for i := range lo {
		s += hi[i] - lo[i]
	}
	return s
}

func resizeFloats(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func resizeBools(s []bool, n int) []bool {
	if cap(s) < n {
		return make([]bool, n)
	}
	s = s[:n]
	clear(s)
	return s
}
