package anomaly

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/rowtime/rowtime/record"
)

// ErrKeys is wrapped by the refusal of a record whose key would need a
// forest beyond Options.MaxKeys.
var ErrKeys = errors.New("anomaly: too many keys")

// refusal is the error of a refused record: it wraps the reason (ErrValue,
// ErrKeys, the caller's) and is a [record.ErrRefused] too.
type refusal struct{ err error }

func (e refusal) Error() string            { return e.err.Error() }
func (e refusal) Unwrap() error            { return e.err }
func (e refusal) Is(target error) bool     { return target == record.ErrRefused }
func (e refusal) Refused() bool            { return true }
func refuse(format string, a ...any) error { return refusal{fmt.Errorf(format, a...)} }
func refuseErr(err error) error            { return refusal{err} }

var _ interface{ Refused() bool } = refusal{} // the classifier of record.IsRefused

// Result is the output for one record: the record, its ANOMALY_SCORE and,
// when the operator explains, its ANOMALY_EXPLANATION, one [Attribution] per
// column in column order. Explanation belongs to the operator and is valid
// until its next Push or Restore: copy it to keep it.
type Result[R record.Timed] struct {
	Record      R
	Score       float64
	Explanation []Attribution
	columns     []string
}

// EventTime returns the record's event time, so a result is a record itself.
func (r Result[R]) EventTime() record.Time { return r.Record.EventTime() }

// Columns returns the names of the scored columns, in order.
func (r Result[R]) Columns() []string { return r.columns }

// AppendJSON appends the result's columns as a JSON object with KDA's
// column names: {"ANOMALY_SCORE":1.25} or, with an explanation,
// {"ANOMALY_SCORE":1.25,"ANOMALY_EXPLANATION":"{\"x\":{…}}"}, the
// explanation a string holding the JSON of [AppendExplanation] as KDA's
// VARCHAR column did. The score is written with the fewest digits that
// read back to the same float64.
func (r Result[R]) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"ANOMALY_SCORE":`...)
	dst = strconv.AppendFloat(dst, r.Score, 'g', -1, 64)
	if r.Explanation != nil {
		dst = append(dst, `,"ANOMALY_EXPLANATION":"`...)
		start := len(dst)
		dst = AppendExplanation(dst, r.columns, r.Explanation)
		// The explanation's JSON holds quotes and nothing else to escape:
		// the column names were checked at construction.
		dst = escapeQuotes(dst, start)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

func escapeQuotes(dst []byte, start int) []byte {
	n := 0
	for _, c := range dst[start:] {
		if c == '"' {
			n++
		}
	}
	end := len(dst)
	dst = append(dst, make([]byte, n)...)
	for i, j := end-1, len(dst)-1; i >= start; i-- {
		dst[j] = dst[i]
		j--
		if dst[i] == '"' {
			dst[j] = '\\'
			j--
		}
	}
	return dst
}

// AppendExplanation appends KDA's JSON of an ANOMALY_EXPLANATION: an object
// with a key per column, in column order, each holding DIRECTION, STRENGTH
// and ATTRIBUTION_SCORE as strings with 4 decimals:
// {"x":{"DIRECTION":"HIGH","STRENGTH":"0.9874","ATTRIBUTION_SCORE":"1.2043"}}.
func AppendExplanation(dst []byte, columns []string, e []Attribution) []byte {
	dst = append(dst, '{')
	for i, a := range e {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendQuote(dst, columns[i])
		dst = append(dst, `:{"DIRECTION":"`...)
		dst = append(dst, a.Direction()...)
		dst = append(dst, `","STRENGTH":"`...)
		dst = strconv.AppendFloat(dst, a.Strength(), 'f', 4, 64)
		dst = append(dst, `","ATTRIBUTION_SCORE":"`...)
		dst = strconv.AppendFloat(dst, a.Score(), 'f', 4, 64)
		dst = append(dst, `"}`...)
	}
	return append(dst, '}')
}

// Stats describes what an [Operator] has done and holds.
type Stats struct {
	Records    uint64 // records scored
	Refused    uint64 // records refused by Push
	Emitted    uint64 // results emitted
	Forests    int    // forests held (one per key seen)
	StateBytes int    // memory held by the forests, about
}

// An Operator scores every record: KDA's RANDOM_CUT_FOREST (or, with
// Options.Explain, RANDOM_CUT_FOREST_WITH_EXPLANATION) over the records in
// the order they are pushed, optionally with a forest per key. It is a
// [record.Operator] from R to [Result], one result per record at once:
// Advance and Flush emit nothing.
//
// Build one with [New] or [NewKeyed]: the zero Operator is not usable. An
// Operator is not safe for concurrent use.
type Operator[R record.Timed, K comparable] struct {
	columns []string
	values  func(dst []float64, r R) ([]float64, error)
	key     func(R) K // nil: one forest
	p       params
	explain bool
	maxKeys int

	forests []*Forest // in the order their keys arrived
	keys    []K
	index   map[K]int

	buf     []float64
	flushed bool

	records, refused, emitted uint64
}

// New returns an operator that scores every record with one forest. columns
// names the numeric columns (at most 30, distinct, in the order values
// appends them: the names of the explanation's keys); values appends a
// record's values to dst and returns the extended slice, or an error (a
// missing or non-numeric field) that refuses the record. The operator passes
// a reused buffer, so values need not allocate.
//
// The parameters of opts (nil means KDA's defaults) must lie in KDA's
// ranges; the error wraps [ErrInvalid] otherwise.
func New[R record.Timed](columns []string, values func(dst []float64, r R) ([]float64, error), opts *Options) (*Operator[R, struct{}], error) {
	return newOperator[R, struct{}](columns, nil, values, opts)
}

// NewKeyed is [New] with a forest per key, as KDA's RANDOM_CUT_FOREST over a
// stream partitioned by key: each key's records are scored against, and
// added to, that key's forest only. Options.MaxKeys bounds the forests.
func NewKeyed[R record.Timed, K comparable](columns []string, key func(R) K, values func(dst []float64, r R) ([]float64, error), opts *Options) (*Operator[R, K], error) {
	if key == nil {
		return nil, fmt.Errorf("%w: nil key function", ErrInvalid)
	}
	return newOperator(columns, key, values, opts)
}

func newOperator[R record.Timed, K comparable](columns []string, key func(R) K, values func(dst []float64, r R) ([]float64, error), opts *Options) (*Operator[R, K], error) {
	if values == nil {
		return nil, fmt.Errorf("%w: nil values function", ErrInvalid)
	}
	p := opts.params()
	if err := p.check(len(columns)); err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(columns))
	for _, c := range columns {
		if c == "" || seen[c] || !plainName(c) {
			return nil, fmt.Errorf("%w: column name %q (names must be distinct, non-empty, without quotes, backslashes or control characters)", ErrInvalid, c)
		}
		seen[c] = true
	}
	op := &Operator[R, K]{
		columns: append([]string(nil), columns...), values: values, key: key, p: p,
		index: map[K]int{},
	}
	if opts != nil {
		if opts.MaxKeys < 0 {
			return nil, fmt.Errorf("%w: MaxKeys %d, want ≥ 0", ErrInvalid, opts.MaxKeys)
		}
		op.explain, op.maxKeys = opts.Explain, opts.MaxKeys
	}
	return op, nil
}

// plainName reports whether a column name needs no escaping in JSON.
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == 0x7f {
			return false
		}
	}
	return true
}

// Push scores the record against its forest, adds the record to the
// forest, and emits the result. A record whose values cannot be read (the
// values function's error), with a NaN or infinite value, or with the wrong
// number of values, is refused with an error wrapping [ErrValue] (or the
// values function's error) and [record.ErrRefused]; a record of a new key
// beyond MaxKeys is refused with [ErrKeys]. A refused record changes
// nothing. After Flush, Push returns [record.ErrFlushed].
func (op *Operator[R, K]) Push(r R, emit func(Result[R])) error {
	if op.flushed {
		return record.ErrFlushed
	}
	vals, err := op.values(op.buf[:0], r)
	if vals != nil {
		op.buf = vals[:0]
	}
	if err != nil {
		op.refused++
		return refuseErr(fmt.Errorf("%w: %w", ErrValue, err))
	}
	var k K
	if op.key != nil {
		k = op.key(r)
	}
	i, ok := op.index[k]
	var f *Forest
	if ok {
		f = op.forests[i]
	} else {
		f = &Forest{columns: len(op.columns)} // enough to check the values
	}
	if err := f.check(vals); err != nil {
		op.refused++
		return refuseErr(err)
	}
	if !ok {
		if op.maxKeys > 0 && len(op.forests) >= op.maxKeys {
			op.refused++
			return refuse("%w: %d forests already, MaxKeys is %d", ErrKeys, len(op.forests), op.maxKeys)
		}
		f = op.newForest(len(op.forests))
		op.index[k] = len(op.forests)
		op.forests = append(op.forests, f)
		op.keys = append(op.keys, k)
	}
	res := Result[R]{Record: r, columns: op.columns}
	if op.explain {
		res.Score, res.Explanation, _ = f.UpdateExplain(vals)
	} else {
		res.Score, _ = f.Update(vals)
	}
	op.records++
	op.emitted++
	emit(res)
	return nil
}

// newForest builds the forest of the i-th key: each key's trees draw from
// their own streams, derived from the seed and i.
func (op *Operator[R, K]) newForest(i int) *Forest {
	p := op.p
	p.seed = op.p.seed + uint64(i)*0xd1b54a32d192ed03
	return newForest(len(op.columns), p)
}

// Advance does nothing but check the operator is not flushed: scores do not
// wait for time.
func (op *Operator[R, K]) Advance(wm record.Time, emit func(Result[R])) error {
	if op.flushed {
		return record.ErrFlushed
	}
	return nil
}

// Flush ends the input; it emits nothing, every result having been emitted
// by its Push.
func (op *Operator[R, K]) Flush(emit func(Result[R])) error {
	op.flushed = true
	return nil
}

// Stats returns the operator's counters and the size of its state.
func (op *Operator[R, K]) Stats() Stats {
	s := Stats{Records: op.records, Refused: op.refused, Emitted: op.emitted, Forests: len(op.forests)}
	for _, f := range op.forests {
		s.StateBytes += f.stateBytes()
	}
	return s
}

// Columns returns the names of the scored columns.
func (op *Operator[R, K]) Columns() []string { return op.columns }

// stateBytes counts the memory of the forest's arrays.
func (f *Forest) stateBytes() int {
	n := 8*(len(f.shingle)+len(f.high)+len(f.low)+2*len(f.attrs)) + 4*len(f.paths)
	for _, t := range f.trees {
		n += t.stateBytes()
	}
	return n
}

func (t *tree) stateBytes() int {
	const nodeSize, sampleSize = 16, 16
	return nodeSize*cap(t.nodes) + sampleSize*cap(t.heap) + 8*(cap(t.boxes)+cap(t.leafPoint)+cap(t.cur)) +
		4*(cap(t.freeNodes)+cap(t.leafMass)+cap(t.freeLeaves))
}
