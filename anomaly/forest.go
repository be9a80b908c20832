package anomaly

import (
	"errors"
	"fmt"
	"math"
)

// Errors returned by the package. Constructors wrap ErrInvalid; a record
// that cannot be scored gives an error wrapping ErrValue (and
// record.ErrRefused from an operator); Restore wraps ErrSnapshot.
var (
	ErrInvalid = errors.New("anomaly: invalid parameter")
	ErrValue   = errors.New("anomaly: invalid value")
)

// KDA's parameters: their defaults and ranges.
const (
	DefaultTrees       = 100
	DefaultSampleSize  = 256
	DefaultTimeDecay   = 100_000
	DefaultShingleSize = 1

	MaxTrees       = 1000
	MinSampleSize  = 10
	MaxSampleSize  = 1000
	MaxTimeDecay   = math.MaxInt32
	MaxShingleSize = 30
	MaxColumns     = 30

	// MaxValue bounds the magnitude of a value, so that boxes' ranges and
	// their sums over up to 900 dimensions stay finite.
	MaxValue = 1e150
)

// Options holds the parameters of RANDOM_CUT_FOREST. A nil *Options means
// KDA's defaults; so does a zero field.
type Options struct {
	// Trees is numberOfTrees, between 1 and 1000; 0 means 100.
	Trees int
	// SampleSize is subSampleSize, the points each tree samples, between 10
	// and 1000 and below TimeDecay; 0 means 256.
	SampleSize int
	// TimeDecay is timeDecay, in records: a point's sampling weight fades
	// by e per TimeDecay records; between 1 and 2³¹−1; 0 means 100,000.
	TimeDecay int
	// ShingleSize is shingleSize, the number of consecutive records whose
	// values make up one point, between 1 and 30; 0 means 1.
	ShingleSize int
	// Seed seeds the trees' random numbers: the same seed and the same input
	// give the same scores. Every seed, 0 included, is a seed.
	Seed uint64

	// Explain computes explanations as well as scores
	// (RANDOM_CUT_FOREST_WITH_EXPLANATION). Used by the operators.
	Explain bool
	// MaxKeys bounds the number of forests of a keyed operator (one per
	// key); a record of a new key beyond it is refused. 0 means no bound.
	MaxKeys int
}

// params are the forest's parameters after defaults and checks; lambda 0
// means no time decay, which only tests use.
type params struct {
	trees, sample, shingle int
	timeDecay              int
	lambda                 float64 // 0: no decay
	seed                   uint64
}

func (o *Options) params() params {
	var v Options
	if o != nil {
		v = *o
	}
	p := params{trees: v.Trees, sample: v.SampleSize, timeDecay: v.TimeDecay, shingle: v.ShingleSize, seed: v.Seed}
	if p.trees == 0 {
		p.trees = DefaultTrees
	}
	if p.sample == 0 {
		p.sample = DefaultSampleSize
	}
	if p.timeDecay == 0 {
		p.timeDecay = DefaultTimeDecay
	}
	if p.shingle == 0 {
		p.shingle = DefaultShingleSize
	}
	p.lambda = 1 / float64(p.timeDecay)
	return p
}

// check enforces KDA's ranges.
func (p params) check(columns int) error {
	switch {
	case columns < 1 || columns > MaxColumns:
		return fmt.Errorf("%w: %d numeric columns, want 1 to %d", ErrInvalid, columns, MaxColumns)
	case p.trees < 1 || p.trees > MaxTrees:
		return fmt.Errorf("%w: numberOfTrees %d, want 1 to %d", ErrInvalid, p.trees, MaxTrees)
	case p.sample < MinSampleSize || p.sample > MaxSampleSize:
		return fmt.Errorf("%w: subSampleSize %d, want %d to %d", ErrInvalid, p.sample, MinSampleSize, MaxSampleSize)
	case p.timeDecay < 1 || p.timeDecay > MaxTimeDecay:
		return fmt.Errorf("%w: timeDecay %d, want 1 to %d", ErrInvalid, p.timeDecay, MaxTimeDecay)
	case p.sample >= p.timeDecay:
		return fmt.Errorf("%w: subSampleSize %d must be below timeDecay %d", ErrInvalid, p.sample, p.timeDecay)
	case p.shingle < 1 || p.shingle > MaxShingleSize:
		return fmt.Errorf("%w: shingleSize %d, want 1 to %d", ErrInvalid, p.shingle, MaxShingleSize)
	}
	return nil
}

// A Forest scores the records of one series: KDA's RANDOM_CUT_FOREST over
// a stream without partitions. Each record's values are scored against the
// forest as it stands, then added to it. Build one with [NewForest]: the
// zero Forest is not usable. It is not safe for concurrent use.
type Forest struct {
	p       params
	columns int
	dims    int // columns · shingle
	trees   []*tree

	expLambda float64 // exp(λ), for the samplers' bounds
	layout    layoutScratch
	paths     []int32 // the trees' paths, group of them
	normMass  int     // the mass normLog is for
	normLog   float64 // log(normMass+1)
	touched   float64 // what scoreTrees read ahead, stored so the reads stay

	records uint64    // records taken
	points  uint64    // points (full shingles) taken
	shingle []float64 // the last shingle records' values, oldest first
	filled  int       // records in shingle, up to p.shingle

	av        attributionVisitor
	high, low []float64 // per dimension, summed over the trees
	attrs     []Attribution
}

// NewForest returns a forest over records of the given number of numeric
// columns, with the parameters of opts (nil means KDA's defaults). It
// enforces KDA's ranges: the error wraps [ErrInvalid] otherwise.
func NewForest(columns int, opts *Options) (*Forest, error) {
	p := opts.params()
	if err := p.check(columns); err != nil {
		return nil, err
	}
	return newForest(columns, p), nil
}

// newForest builds a forest without checking KDA's ranges, for tests that
// need more trees or no decay (lambda 0).
func newForest(columns int, p params) *Forest {
	f := &Forest{p: p, columns: columns, dims: columns * p.shingle, expLambda: math.Exp(p.lambda)}
	f.trees = make([]*tree, p.trees)
	// The trees share group paths: the forest descends group trees at a
	// time, each on its own path, so tree i uses path i mod group. A path
	// is written at every level of every descent; a hundred of them would
	// keep a hundred more lines in the cache.
	n := p.sample + 1
	f.paths = make([]int32, group*n)
	for i := range f.trees {
		// Distinct, reproducible streams per tree, from the seed.
		k := i % group
		f.trees[i] = newTree(f.dims, p.sample, p.seed, uint64(i)*0x9e3779b97f4a7c15+1, f.paths[k*n:(k+1)*n])
	}
	m := max(p.sample-1, 1)
	f.layout = layoutScratch{nodes: make([]node, m), boxes: make([]float64, m*2*f.dims)}
	f.shingle = make([]float64, f.dims)
	f.high = make([]float64, f.dims)
	f.low = make([]float64, f.dims)
	f.attrs = make([]Attribution, columns)
	return f
}

// Columns returns the number of numeric columns of a record.
func (f *Forest) Columns() int { return f.columns }

// Records returns the number of records the forest has taken.
func (f *Forest) Records() uint64 { return f.records }

// check validates a record's values without changing anything.
func (f *Forest) check(values []float64) error {
	if len(values) != f.columns {
		return fmt.Errorf("%w: %d values, want %d", ErrValue, len(values), f.columns)
	}
	for i, x := range values {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: column %d is %v", ErrValue, i, x)
		}
		if math.Abs(x) > MaxValue {
			return fmt.Errorf("%w: column %d is %v, beyond ±%g", ErrValue, i, x, MaxValue)
		}
	}
	return nil
}

// Update scores the record's values against the forest, then adds them to
// it, and returns the score: 0 for the first SampleSize points (and for the
// ShingleSize−1 records before the first full shingle), as KDA did. values
// must hold one finite number of magnitude at most [MaxValue] per column,
// or the error wraps [ErrValue] and the forest is unchanged.
func (f *Forest) Update(values []float64) (float64, error) {
	if err := f.check(values); err != nil {
		return 0, err
	}
	point, ok := f.take(values)
	if !ok {
		return 0, nil
	}
	if !f.ready() {
		f.add(point)
		return 0, nil
	}
	return f.scoreAdd(point), nil
}

// UpdateExplain is [Forest.Update] with the explanation: per column, the
// attribution of the score (summed over the shingle's positions). The score
// is Update's, and the attributions sum to it up to rounding; they are all
// zero while the score is. The slice belongs to the forest and is valid
// until its next update.
func (f *Forest) UpdateExplain(values []float64) (float64, []Attribution, error) {
	if err := f.check(values); err != nil {
		return 0, nil, err
	}
	clear(f.attrs)
	point, ok := f.take(values)
	if !ok {
		return 0, f.attrs, nil
	}
	s := 0.0
	if f.ready() {
		s = f.score(point)
		f.explain(point)
	}
	f.add(point)
	return s, f.attrs, nil
}

// take shifts values into the shingle and reports whether it is full.
func (f *Forest) take(values []float64) ([]float64, bool) {
	f.records++
	c := f.columns
	copy(f.shingle, f.shingle[c:])
	copy(f.shingle[f.dims-c:], values)
	if f.filled < f.p.shingle {
		f.filled++
	}
	return f.shingle, f.filled == f.p.shingle
}

func (f *Forest) ready() bool { return f.points >= uint64(f.p.sample) }

func (f *Forest) add(point []float64) {
	f.points++
	for _, t := range f.trees {
		t.update(point, f.points, f.p.lambda, f.expLambda, &f.layout)
	}
}

// scoreAdd is score then add, tree by tree: each tree is updated right
// after it scored the point, while the lines its descent loaded are still
// in the first-level cache (the insertion descends the same path). Scoring
// all trees first and updating them after would load every tree twice,
// as soon as the forest outgrows the cache. A tree's update changes no
// other tree, and the scores are summed in the same order as in score, so
// the result is score's to the last bit.
func (f *Forest) scoreAdd(point []float64) float64 {
	f.points++
	return f.scoreTrees(point, true)
}

// score is the mean of the trees' scores (RandomCutForest.getAnomalyScore).
func (f *Forest) score(point []float64) float64 { return f.scoreTrees(point, false) }

// scoreTrees is score, and with add the update of each tree after it
// scored.
func (f *Forest) scoreTrees(point []float64, add bool) float64 {
	seq, lambda, expLambda := f.points, f.p.lambda, f.expLambda
	s := 0.0
	d, n := f.dims, f.p.sample+1
	var (
		leaves [group]int32
		seen   [group]bool
		paths  [group][]int32
	)
	for k := range paths {
		paths[k] = f.paths[k*n : k*n : (k+1)*n]
	}
	for ts := f.trees; len(ts) > 0; ts = ts[min(len(ts), group):] {
		q := ts[:min(len(ts), group)]
		descendGroup(q, point, &leaves, &paths)
		// The leaves' points are read together, their misses overlap; so
		// are the boxes of the leaves' parents, which the scores read
		// first, one tree after another: touched here, they are in the
		// cache by then.
		touch := 0.0
		for k, t := range q {
			l := int(^leaves[k])
			seen[k] = equalPoints(t.leafPoint[l*d:(l+1)*d], point)
			if m := len(paths[k]); m > 0 {
				touch += t.boxes[int(paths[k][m-1])*2*d]
			}
		}
		f.touched = touch
		for k, t := range q {
			s += t.scoreFrom(leaves[k], seen[k], point, paths[k], f.logMass(t.size))
			if add {
				t.update(point, seq, lambda, expLambda, &f.layout)
			}
		}
	}
	return s / float64(len(f.trees))
}

// logMass is log(mass+1) for the trees' normalization, cached: every
// tree holds as many points, and once the samples are full that number
// hardly ever changes.
func (f *Forest) logMass(mass int) float64 {
	if f.normMass != mass {
		f.normMass, f.normLog = mass, math.Log(float64(mass)+1)
	}
	return f.normLog
}

// explain fills f.attrs with the mean of the trees' attributions
// (RandomCutForest.getAnomalyAttribution), folding the shingle's positions
// into their columns. They sum to the score up to rounding.
func (f *Forest) explain(point []float64) {
	clear(f.high)
	clear(f.low)
	for _, t := range f.trees {
		t.attribute(&f.av, point, f.high, f.low)
	}
	n := float64(len(f.trees))
	for i := range f.high {
		a := &f.attrs[i%f.columns]
		a.High += f.high[i] / n
		a.Low += f.low[i] / n
	}
}

// Direction is the side of a column's value the anomaly lies on.
type Direction string

// The directions of an explanation.
const (
	High Direction = "HIGH" // the value is higher than the forest expects
	Low  Direction = "LOW"  // the value is lower than the forest expects
)

// An Attribution is the part of an anomaly score due to one column, split
// into the part due to the value lying above what the forest holds (High)
// and below it (Low): the reference's DiVector, one entry per column.
type Attribution struct {
	High, Low float64
}

// Score is KDA's ATTRIBUTION_SCORE: High + Low. The columns' scores sum to
// the anomaly score.
func (a Attribution) Score() float64 { return a.High + a.Low }

// Direction is KDA's DIRECTION: HIGH when the high part is at least the low
// part, LOW otherwise.
func (a Attribution) Direction() Direction {
	if a.High >= a.Low {
		return High
	}
	return Low
}

// Strength is rowtime's STRENGTH, which KDA never defined: |High − Low|,
// the part of the column's attribution that its direction does not cancel.
// It lies between 0 (as much pulls high as low) and the attribution score
// (all of it on one side), in the units of the score, so strengths compare
// across columns and records as scores do.
func (a Attribution) Strength() float64 { return math.Abs(a.High - a.Low) }
