package aggtest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/rowtime/rowtime/aggregate"
)

// Options configures Check and Run. A nil *Options means the defaults.
type Options[R, V any] struct {
	// Equal reports whether two results agree. The default is Approx(1e-9):
	// exact for everything but floats, which agree within 1e-9 relative
	// (and NaN agrees with NaN).
	Equal func(got, want V) bool
	// Trials is the number of random streams; default 50.
	Trials int
	// Records is the length of each stream; default 100. Streams are drawn
	// with lengths from 0 to Records, so short and empty ones are included.
	Records int
	// Seed seeds the random source (with PCG), so a run is reproducible; the
	// zero Seed is a valid fixed seed.
	Seed uint64
	// InRange, when set, reports whether the laws hold exactly for a stream.
	// Streams for which it returns false are cut to their longest prefix
	// for which it returns true.
	InRange func(rs []R) bool
}

// Failure is a violated law. Check returns the failures it finds joined with
// errors.Join; each can be extracted with errors.As.
type Failure struct {
	Law    string // identity, associativity, merge, merge-src, remove-fifo, remove-lifo, remove-merged, codec
	Trial  int    // the trial whose stream broke the law
	Detail string
}

func (f *Failure) Error() string {
	return fmt.Sprintf("aggtest: %s law broken (trial %d): %s", f.Law, f.Trial, f.Detail)
}

// Run checks f's laws with Check and reports each failure with t.Errorf.
func Run[R, A, V any](t testing.TB, f aggregate.Func[R, A, V], gen func(*rand.Rand) R, opts *Options[R, V]) {
	t.Helper()
	err := Check(f, gen, opts)
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			t.Errorf("%v", e)
		}
		return
	}
	t.Errorf("%v", err)
}

// Check checks f's laws on random streams of records drawn from gen and
// returns the failures it finds, at most one per law, joined with
// errors.Join; nil means every law held.
func Check[R, A, V any](f aggregate.Func[R, A, V], gen func(*rand.Rand) R, opts *Options[R, V]) error {
	c := checker[R, A, V]{f: f}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.Equal == nil {
		c.opts.Equal = Approx[V](1e-9)
	}
	if c.opts.Trials <= 0 {
		c.opts.Trials = 50
	}
	if c.opts.Records <= 0 {
		c.opts.Records = 100
	}
	c.rm, _ = f.(aggregate.Remover[R, A])
	c.codec, _ = f.(aggregate.StateCodec[A])
	c.broken = map[string]bool{}
	rng := rand.New(rand.NewPCG(c.opts.Seed, 0x5eed))
	for trial := range c.opts.Trials {
		n := rng.IntN(c.opts.Records + 1)
		if trial == 0 {
			n = 0
		}
		rs := make([]R, n)
		for i := range rs {
			rs[i] = gen(rng)
		}
		if c.opts.InRange != nil {
			for len(rs) > 0 && !c.opts.InRange(rs) {
				rs = rs[:len(rs)-1]
			}
		}
		c.trial(trial, rng, rs)
	}
	return errors.Join(c.errs...)
}

type checker[R, A, V any] struct {
	f      aggregate.Func[R, A, V]
	rm     aggregate.Remover[R, A]
	codec  aggregate.StateCodec[A]
	opts   Options[R, V]
	errs   []error
	broken map[string]bool
	trialN int
}

// fail records a broken law, once per law.
func (c *checker[R, A, V]) fail(law, format string, args ...any) {
	if c.broken[law] {
		return
	}
	c.broken[law] = true
	c.errs = append(c.errs, &Failure{Law: law, Trial: c.trialN, Detail: fmt.Sprintf(format, args...)})
}

// expect compares a result with the wanted one under law.
func (c *checker[R, A, V]) expect(law string, got, want V, what string) bool {
	if c.opts.Equal(got, want) {
		return true
	}
	c.fail(law, "%s: got %v, want %v", what, got, want)
	return false
}

func (c *checker[R, A, V]) fold(rs []R) *A {
	a := new(A)
	for _, r := range rs {
		c.f.Add(a, r)
	}
	return a
}

func (c *checker[R, A, V]) result(rs []R) V { return c.f.Result(c.fold(rs)) }

// cuts returns k-1 sorted cut points in [0, n], so that runs can be empty.
func cuts(rng *rand.Rand, n, k int) []int {
	cs := make([]int, k+1)
	cs[k] = n
	for i := 1; i < k; i++ {
		cs[i] = rng.IntN(n + 1)
	}
	for i := 1; i < k; i++ { // insertion sort; k is small
		for j := i; j > 1 && cs[j] < cs[j-1]; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
	return cs
}

func (c *checker[R, A, V]) trial(trial int, rng *rand.Rand, rs []R) {
	c.trialN = trial
	want := c.result(rs)
	n := len(rs)

	// identity
	{
		a := c.fold(rs)
		c.f.Merge(a, new(A))
		c.expect("identity", c.f.Result(a), want, fmt.Sprintf("merging a zero accumulator into %d records", n))
		z := new(A)
		c.f.Merge(z, c.fold(rs))
		c.expect("identity", c.f.Result(z), want, fmt.Sprintf("merging %d records into a zero accumulator", n))
	}

	// merge of consecutive runs
	{
		cs := cuts(rng, n, 1+rng.IntN(6))
		acc := c.fold(rs[:cs[1]])
		for i := 1; i+1 < len(cs); i++ {
			c.f.Merge(acc, c.fold(rs[cs[i]:cs[i+1]]))
		}
		c.expect("merge", c.f.Result(acc), want, fmt.Sprintf("merging runs cut at %v of %d records", cs[1:len(cs)-1], n))
	}

	// Merge leaves src as it was, and dst shares nothing with it: Adds to
	// dst after the Merge do not show in src.
	{
		cut := rng.IntN(n + 1)
		dst, src := c.fold(rs[:cut]), c.fold(rs[cut:])
		c.f.Merge(dst, src)
		for _, r := range rs {
			c.f.Add(dst, r)
		}
		c.expect("merge-src", c.f.Result(src), c.result(rs[cut:]),
			fmt.Sprintf("src of %d records after a Merge and further Adds to dst", n-cut))
	}

	// associativity
	{
		cs := cuts(rng, n, 3)
		a, b, d := rs[:cs[1]], rs[cs[1]:cs[2]], rs[cs[2]:]
		left := c.fold(a)
		c.f.Merge(left, c.fold(b))
		c.f.Merge(left, c.fold(d))
		bd := c.fold(b)
		c.f.Merge(bd, c.fold(d))
		right := c.fold(a)
		c.f.Merge(right, bd)
		c.expect("associativity", c.f.Result(left), c.f.Result(right),
			fmt.Sprintf("(a⊕b)⊕c against a⊕(b⊕c), runs of %d, %d, %d records", len(a), len(b), len(d)))
	}

	if c.rm != nil {
		c.checkRemove(rng, rs)
	}
	if c.codec != nil {
		c.checkCodec(rng, rs)
	}
}

func (c *checker[R, A, V]) checkRemove(rng *rand.Rand, rs []R) {
	n := len(rs)
	// FIFO: a sliding window of w records, oldest removed first.
	w := 1 + rng.IntN(max(n, 1))
	a := new(A)
	for i, r := range rs {
		c.f.Add(a, r)
		if i >= w {
			c.rm.Remove(a, rs[i-w])
		}
		lo := max(0, i+1-w)
		if !c.expect("remove-fifo", c.f.Result(a), c.result(rs[lo:i+1]),
			fmt.Sprintf("sliding window of %d, records [%d, %d) of %d", w, lo, i+1, n)) {
			break
		}
	}
	// then drain it oldest-first down to empty.
	for lo := max(0, n-w); lo < n; lo++ {
		c.rm.Remove(a, rs[lo])
		if !c.expect("remove-fifo", c.f.Result(a), c.result(rs[lo+1:]),
			fmt.Sprintf("draining: records [%d, %d) of %d", lo+1, n, n)) {
			break
		}
	}

	// LIFO: remove newest first.
	a = c.fold(rs)
	for i := n - 1; i >= 0; i-- {
		c.rm.Remove(a, rs[i])
		if !c.expect("remove-lifo", c.f.Result(a), c.result(rs[:i]),
			fmt.Sprintf("records [0, %d) of %d after removing newest first", i, n)) {
			break
		}
	}

	// From a merged accumulator: removing records of the first run.
	cut := rng.IntN(n + 1)
	a = c.fold(rs[:cut])
	c.f.Merge(a, c.fold(rs[cut:]))
	for i := range cut {
		c.rm.Remove(a, rs[i])
	}
	c.expect("remove-merged", c.f.Result(a), c.result(rs[cut:]),
		fmt.Sprintf("removing the first run of %d from runs of %d and %d merged", cut, cut, n-cut))
}

func (c *checker[R, A, V]) checkCodec(rng *rand.Rand, rs []R) {
	n := len(rs)
	cut := rng.IntN(n + 1)
	prefix := []byte("prefix")
	enc, err := c.codec.AppendState(append([]byte(nil), prefix...), c.fold(rs[:cut]))
	if err != nil {
		c.fail("codec", "AppendState: %v", err)
		return
	}
	if string(enc[:len(prefix)]) != string(prefix) {
		c.fail("codec", "AppendState overwrote dst's bytes: %q", enc[:len(prefix)])
		return
	}
	enc = enc[len(prefix):]
	full := append(append([]byte(nil), enc...), "trailing"...)
	got := new(A)
	m, err := c.codec.ReadState(got, full)
	if err != nil {
		c.fail("codec", "ReadState of %d records' state: %v", cut, err)
		return
	}
	if m != len(enc) {
		c.fail("codec", "ReadState used %d bytes of a %d-byte encoding", m, len(enc))
		return
	}
	want := c.fold(rs[:cut])
	if !c.expect("codec", c.f.Result(got), c.f.Result(want), fmt.Sprintf("decoded state of %d records", cut)) {
		return
	}
	// The decoded state continues like the original: Adds, then a Merge.
	mid := cut + (n-cut)/2
	for _, r := range rs[cut:mid] {
		c.f.Add(got, r)
		c.f.Add(want, r)
	}
	c.f.Merge(got, c.fold(rs[mid:]))
	c.f.Merge(want, c.fold(rs[mid:]))
	if !c.expect("codec", c.f.Result(got), c.f.Result(want), "decoded state after further Adds and a Merge") {
		return
	}
	// Truncations fail and leave the receiver unchanged. A receiver that
	// holds the whole stream shows a change made before the error.
	full = enc
	step := max(1, len(full)/64)
	for l := 0; l < len(full); l += step {
		recv := c.fold(rs)
		if _, err := c.codec.ReadState(recv, full[:l]); err == nil {
			c.fail("codec", "ReadState of the first %d of %d bytes succeeded", l, len(full))
			return
		}
		if !c.expect("codec", c.f.Result(recv), c.result(rs), fmt.Sprintf("receiver after a failed ReadState of %d of %d bytes", l, len(full))) {
			return
		}
	}
}

// Approx returns an equality for results of type V that is exact except for
// floating-point numbers, which are equal when they differ by at most rel
// relative to the larger magnitude, when both are NaN, or when they are the
// same infinity. It looks inside structs, arrays, slices, maps, pointers and
// interfaces, so that it serves aggregate.PairResult or aggregate.Null of
// floats, or slices of items with float fields.
func Approx[V any](rel float64) func(got, want V) bool { return Within[V](rel, 0) }

// Within is Approx with an absolute tolerance as well: floats agree when they
// differ by at most rel relative to the larger magnitude or by at most abs.
// It suits results that can be near zero while their inputs are large, such
// as the variance of a sliding window that has removed values far more
// spread than those left (abs would then be rel times the input's variance).
func Within[V any](rel, abs float64) func(got, want V) bool {
	t := tol{rel, abs}
	return func(got, want V) bool {
		return approx(reflect.ValueOf(&got).Elem(), reflect.ValueOf(&want).Elem(), t)
	}
}

type tol struct{ rel, abs float64 }

func approx(x, y reflect.Value, rel tol) bool {
	switch x.Kind() {
	case reflect.Float32, reflect.Float64:
		return closeEnough(x.Float(), y.Float(), rel)
	case reflect.Complex64, reflect.Complex128:
		a, b := x.Complex(), y.Complex()
		return closeEnough(real(a), real(b), rel) && closeEnough(imag(a), imag(b), rel)
	case reflect.Struct:
		for i := range x.NumField() {
			if !approx(x.Field(i), y.Field(i), rel) {
				return false
			}
		}
		return true
	case reflect.Array:
		for i := range x.Len() {
			if !approx(x.Index(i), y.Index(i), rel) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if x.IsNil() != y.IsNil() && x.Len()+y.Len() > 0 {
			return false
		}
		if x.Len() != y.Len() {
			return false
		}
		for i := range x.Len() {
			if !approx(x.Index(i), y.Index(i), rel) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface:
		if x.IsNil() || y.IsNil() {
			return x.IsNil() == y.IsNil()
		}
		if x.Kind() == reflect.Interface && x.Elem().Type() != y.Elem().Type() {
			return false
		}
		return approx(x.Elem(), y.Elem(), rel)
	case reflect.Map:
		if x.Len() != y.Len() {
			return false
		}
		for _, k := range x.MapKeys() {
			yv := y.MapIndex(k)
			if !yv.IsValid() || !approx(x.MapIndex(k), yv, rel) {
				return false
			}
		}
		return true
	}
	if x.Kind() == reflect.Func {
		return x.IsNil() && y.IsNil()
	}
	return x.Equal(y)
}

func closeEnough(a, b float64, t tol) bool {
	if a == b || (math.IsNaN(a) && math.IsNaN(b)) {
		return true
	}
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return false
	}
	d := math.Abs(a - b)
	return d <= t.abs || d <= t.rel*math.Max(math.Abs(a), math.Abs(b))
}
