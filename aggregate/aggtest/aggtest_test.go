package aggtest_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/aggregate/aggtest"
)

// intSum is a correct hand-written aggregate; the broken ones below each
// override one of its methods.
type intSum struct{}

func (intSum) Add(a *int64, r int64)    { *a += r }
func (intSum) Remove(a *int64, r int64) { *a -= r }
func (intSum) Merge(dst, src *int64)    { *dst += *src }
func (intSum) Result(a *int64) int64    { return *a }
func (intSum) AppendState(dst []byte, a *int64) ([]byte, error) {
	return binary.AppendVarint(dst, *a), nil
}

func (intSum) ReadState(a *int64, src []byte) (int, error) {
	x, n := binary.Varint(src)
	if n <= 0 {
		return 0, errors.New("bad varint")
	}
	*a = x
	return n, nil
}

// plainSum has no Remove and no codec.
type plainSum struct{}

func (plainSum) Add(a *int64, r int64) { *a += r }
func (plainSum) Merge(dst, src *int64) { *dst += *src }
func (plainSum) Result(a *int64) int64 { return *a }

// leakyIdentity adds one on every Merge, so a zero accumulator is not neutral.
type leakyIdentity struct{ plainSum }

func (leakyIdentity) Merge(dst, src *int64) { *dst += *src + 1 }

// subtracting merges by subtraction: not associative, not a sequential pass.
type subtracting struct{ plainSum }

func (subtracting) Merge(dst, src *int64) { *dst -= *src }

// midpoint merges by averaging: identity fails (a⊕0 = a/2) and so does
// associativity.
type midpoint struct{ plainSum }

func (midpoint) Merge(dst, src *int64) { *dst = (*dst + *src) / 2 }

// lifoOnly removes correctly only the newest record it saw.
type lifoOnly struct{}

type lifoState struct{ vals []int64 }

func (lifoOnly) Add(a *lifoState, r int64) { a.vals = append(a.vals, r) }
func (lifoOnly) Merge(dst, src *lifoState) { dst.vals = append(dst.vals, src.vals...) }
func (lifoOnly) Result(a *lifoState) int64 {
	var s int64
	for i, v := range a.vals {
		s += v * int64(i+1) // order-sensitive
	}
	return s
}
func (lifoOnly) Remove(a *lifoState, r int64) { a.vals = a.vals[:len(a.vals)-1] }

// wrongRemove subtracts twice.
type wrongRemove struct{ intSum }

func (wrongRemove) Remove(a *int64, r int64) { *a -= 2 * r }

// clobberingCodec ignores dst.
type clobberingCodec struct{ intSum }

func (clobberingCodec) AppendState(dst []byte, a *int64) ([]byte, error) {
	return binary.AppendVarint(nil, *a), nil
}

// greedyCodec claims to have used one byte more than it wrote.
type greedyCodec struct{ intSum }

func (greedyCodec) ReadState(a *int64, src []byte) (int, error) {
	n, err := intSum{}.ReadState(a, src)
	return n + 1, err
}

// dirtyCodec writes the receiver before it finds the input truncated.
type dirtyCodec struct{ intSum }

func (dirtyCodec) AppendState(dst []byte, a *int64) ([]byte, error) {
	return binary.BigEndian.AppendUint64(dst, uint64(*a)), nil
}

func (dirtyCodec) ReadState(a *int64, src []byte) (int, error) {
	*a = 0
	if len(src) < 8 {
		return 0, errors.New("short")
	}
	*a = int64(binary.BigEndian.Uint64(src))
	return 8, nil
}

// lossyCodec drops the low bit.
type lossyCodec struct{ intSum }

func (lossyCodec) ReadState(a *int64, src []byte) (int, error) {
	n, err := intSum{}.ReadState(a, src)
	*a &^= 1
	return n, err
}

func genInt(rng *rand.Rand) int64 { return rng.Int64N(2001) - 1000 }

func laws(err error) []string {
	var out []string
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		for _, e := range j.Unwrap() {
			var f *aggtest.Failure
			if errors.As(e, &f) {
				out = append(out, f.Law)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestCheckFindsBrokenLaws(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string // laws that must be reported
	}{
		{"correct", aggtest.Check[int64](intSum{}, genInt, nil), nil},
		{"correct without remove or codec", aggtest.Check[int64](plainSum{}, genInt, nil), nil},
		{"leaky identity", aggtest.Check[int64](leakyIdentity{}, genInt, nil), []string{"identity", "merge"}},
		{"subtracting merge", aggtest.Check[int64](subtracting{}, genInt, nil), []string{"associativity", "identity", "merge"}},
		{"midpoint merge", aggtest.Check[int64](midpoint{}, genInt, nil), []string{"associativity", "identity", "merge"}},
		{"remove takes the newest", aggtest.Check[int64](lifoOnly{}, genInt, nil), []string{"remove-fifo", "remove-merged"}},
		{"remove subtracts twice", aggtest.Check[int64](wrongRemove{}, genInt, nil), []string{"remove-fifo", "remove-lifo", "remove-merged"}},
		{"codec ignores dst", aggtest.Check[int64](clobberingCodec{}, genInt, nil), []string{"codec"}},
		{"codec overreads", aggtest.Check[int64](greedyCodec{}, genInt, nil), []string{"codec"}},
		{"codec dirties receiver", aggtest.Check[int64](dirtyCodec{}, genInt, nil), []string{"codec"}},
		{"codec loses a bit", aggtest.Check[int64](lossyCodec{}, genInt, nil), []string{"codec"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := laws(tt.err); !slices.Equal(got, tt.want) {
				t.Errorf("broken laws = %v, want %v\nerror: %v", got, tt.want, tt.err)
			}
		})
	}
}

func TestFailureMessage(t *testing.T) {
	err := aggtest.Check[int64](midpoint{}, genInt, nil)
	if err == nil || !strings.Contains(err.Error(), "aggtest: identity law broken") {
		t.Errorf("error = %v, want an identity law message", err)
	}
}

// fakeTB records what Run reports.
type fakeTB struct {
	testing.TB
	errs []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func TestRunReportsEachFailure(t *testing.T) {
	var tb fakeTB
	aggtest.Run[int64](&tb, wrongRemove{}, genInt, nil)
	if len(tb.errs) != 3 {
		t.Errorf("Run reported %d errors, want 3: %q", len(tb.errs), tb.errs)
	}
	tb = fakeTB{}
	aggtest.Run[int64](&tb, intSum{}, genInt, nil)
	if len(tb.errs) != 0 {
		t.Errorf("Run reported %q for a correct aggregate", tb.errs)
	}
}

// capped keeps up to 8 distinct values and starts over when a ninth comes:
// its laws hold only while a stream has at most 8 distinct values.
type capped struct{}

func (capped) Add(a *[]int64, r int64) {
	switch {
	case slices.Contains(*a, r):
	case len(*a) < 8:
		*a = append(*a, r)
	default:
		*a = append((*a)[:0], r)
	}
}
func (capped) Merge(dst, src *[]int64) {
	for _, r := range *src {
		capped{}.Add(dst, r)
	}
}
func (capped) Result(a *[]int64) int { return len(*a) }

func TestInRange(t *testing.T) {
	gen := func(rng *rand.Rand) int64 { return rng.Int64N(40) }
	if err := aggtest.Check[int64](cappedSum{}, gen, nil); err == nil {
		t.Error("Check passed a capped aggregate outside its range")
	}
	opts := &aggtest.Options[int64, int64]{InRange: func(rs []int64) bool {
		seen := map[int64]bool{}
		for _, r := range rs {
			seen[r] = true
		}
		return len(seen) <= 8
	}}
	if err := aggtest.Check[int64](cappedSum{}, gen, opts); err != nil {
		t.Errorf("Check within range: %v", err)
	}
}

// cappedSum sums the distinct values capped keeps.
type cappedSum struct{ capped }

func (cappedSum) Result(a *[]int64) int64 {
	var s int64
	for _, v := range *a {
		s += v
	}
	return s
}

func TestApprox(t *testing.T) {
	eq := aggtest.Approx[float64](1e-9)
	tests := []struct {
		a, b float64
		want bool
	}{
		{1, 1, true},
		{1, 1 + 1e-12, true},
		{1, 1 + 1e-6, false},
		{1e300, 1e300 * (1 + 1e-10), true},
		{0, 1e-300, false},
		{math.NaN(), math.NaN(), true},
		{math.NaN(), 1, false},
		{math.Inf(1), math.Inf(1), true},
		{math.Inf(1), math.Inf(-1), false},
		{math.Inf(1), math.MaxFloat64, false},
	}
	for _, tt := range tests {
		if got := eq(tt.a, tt.b); got != tt.want {
			t.Errorf("Approx(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	within := aggtest.Within[float64](1e-9, 1e-6)
	for _, tt := range []struct {
		a, b float64
		want bool
	}{
		{0, 1e-7, true},
		{0, 1e-5, false},
		{1e9, 1e9 + 0.5, true},
		{1e9, 1e9 + 10, false},
		{math.NaN(), 0, false},
	} {
		if got := within(tt.a, tt.b); got != tt.want {
			t.Errorf("Within(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	type item struct {
		Name string
		X    float64
	}
	eqs := aggtest.Approx[aggregate.PairResult[[]item, aggregate.Null[float64]]](1e-9)
	p := aggregate.PairResult[[]item, aggregate.Null[float64]]{First: []item{{"a", 1}}, Second: aggregate.Null[float64]{Value: 2, Valid: true}}
	q := p
	q.First = []item{{"a", 1 + 1e-13}}
	if !eqs(p, q) {
		t.Error("Approx: nearly equal structs differ")
	}
	q.First = []item{{"b", 1}}
	if eqs(p, q) {
		t.Error("Approx: structs with different strings agree")
	}
	q = p
	q.Second.Valid = false
	if eqs(p, q) {
		t.Error("Approx: structs with different bools agree")
	}
}

// aliasing merges into an empty dst by sharing src's map, so Adds to dst
// show in src.
type aliasing struct{}

func (aliasing) Add(a *map[int64]int64, r int64) {
	if *a == nil {
		*a = map[int64]int64{}
	}
	(*a)[r]++
}
func (aliasing) Merge(dst, src *map[int64]int64) {
	if *dst == nil {
		*dst = *src
		return
	}
	for k, v := range *src {
		(*dst)[k] += v
	}
}
func (aliasing) Result(a *map[int64]int64) int64 {
	var s int64
	for k, v := range *a {
		s += k * v
	}
	return s
}

// draining empties src as it merges it.
type draining struct{ plainSum }

func (draining) Merge(dst, src *int64) { *dst, *src = *dst+*src, 0 }

func TestCheckFindsSharedState(t *testing.T) {
	for name, err := range map[string]error{
		"aliasing": aggtest.Check[int64](aliasing{}, genInt, nil),
		"draining": aggtest.Check[int64](draining{}, genInt, nil),
	} {
		if got := laws(err); !slices.Equal(got, []string{"merge-src"}) {
			t.Errorf("%s: broken laws = %v, want [merge-src]\nerror: %v", name, got, err)
		}
	}
}
