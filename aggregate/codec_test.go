package aggregate_test

import (
	"errors"
	"math"
	"testing"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/aggregate/aggtest"
	"github.com/rowtime/rowtime/record"
)

// codecCase is one aggregate whose state decoder the fuzz test exercises.
type codecCase interface {
	seeds() [][]byte
	check(t *testing.T, data []byte)
}

type codecOf[A, V any] struct {
	f  aggregate.Func[event, A, V]
	in []event // records for the seed states and the receiver
}

func (c codecOf[A, V]) codec() aggregate.StateCodec[A] { return c.f.(aggregate.StateCodec[A]) }

func (c codecOf[A, V]) seeds() [][]byte {
	var out [][]byte
	var a A
	for i := 0; i <= len(c.in); i++ {
		b, err := c.codec().AppendState(nil, &a)
		if err != nil {
			panic(err)
		}
		out = append(out, b)
		if i < len(c.in) {
			c.f.Add(&a, c.in[i])
		}
	}
	return out
}

// check decodes data into a receiver that holds state: on error the receiver
// must be unchanged; on success the state must re-encode and decode to the
// same result.
func (c codecOf[A, V]) check(t *testing.T, data []byte) {
	eq := aggtest.Approx[V](0)
	var a A
	for _, r := range c.in[:2] {
		c.f.Add(&a, r)
	}
	before := c.f.Result(&a)
	n, err := c.codec().ReadState(&a, data)
	if err != nil {
		if !errors.Is(err, aggregate.ErrCorrupt) {
			t.Fatalf("%T: error %v does not wrap ErrCorrupt", c.f, err)
		}
		if got := c.f.Result(&a); !eq(got, before) {
			t.Fatalf("%T: failed ReadState changed the receiver from %v to %v", c.f, before, got)
		}
		return
	}
	if n < 1 || n > len(data) {
		t.Fatalf("%T: ReadState used %d of %d bytes", c.f, n, len(data))
	}
	b, err := c.codec().AppendState(nil, &a)
	if err != nil {
		t.Fatalf("%T: AppendState of a decoded state: %v", c.f, err)
	}
	var again A
	if _, err := c.codec().ReadState(&again, b); err != nil {
		t.Fatalf("%T: re-encoded state: %v", c.f, err)
	}
	if x, y := c.f.Result(&a), c.f.Result(&again); !eq(x, y) {
		t.Fatalf("%T: round trip %v, then %v", c.f, x, y)
	}
	for _, r := range c.in {
		c.f.Add(&a, r)
	}
	_ = c.f.Result(&a)
}

func codecCases() []codecCase {
	in := []event{
		{T: 5, N: -3, U: 200, X: 1.5, F: 2, Action: "click", Price: aggregate.Null[float64]{Value: 3, Valid: true}},
		{T: 2, N: 1 << 40, U: 7, X: math.Inf(1), F: -1, Action: "view"},
		{T: 9, N: 12, U: 0, X: math.NaN(), F: 0.5, Action: ""},
		{T: record.MinTime, N: math.MinInt64, U: 255, X: -0.0, Action: "buy"},
	}
	return []codecCase{
		codecOf[int64, int64]{aggregate.Count[event](), in},
		codecOf[aggregate.SumState[int64], int64]{aggregate.Sum(n), in},
		codecOf[aggregate.SumState[uint8], uint8]{aggregate.Sum(u), in},
		codecOf[aggregate.SumState[float64], float64]{aggregate.Sum(x), in},
		codecOf[aggregate.SumState[float32], float32]{aggregate.Sum(f32), in},
		codecOf[aggregate.AvgState[int64], float64]{aggregate.Avg(n), in},
		codecOf[aggregate.ExtremeState[string], string]{aggregate.Min(act), in},
		codecOf[aggregate.ExtremeState[float64], float64]{aggregate.Max(x), in},
		codecOf[aggregate.TimedState[int64], int64]{aggregate.First(n), in},
		codecOf[aggregate.TimedState[string], string]{aggregate.Last(act), in},
		codecOf[aggregate.VarState, float64]{aggregate.VarSamp(n), in},
		codecOf[aggregate.VarState, float64]{aggregate.VarPop(x), in},
		codecOf[aggregate.AvgState[float64], float64]{aggregate.Avg(x), in},
		codecOf[aggregate.AvgState[float32], float64]{aggregate.Avg(f32), in},
		codecOf[aggregate.NullState[aggregate.AvgState[float64]], aggregate.Null[float64]]{
			aggregate.Where(priced, aggregate.OrNull(aggregate.Avg(price))), in},
		codecOf[aggregate.PairState[int64, aggregate.ExtremeState[string]], aggregate.PairResult[int64, string]]{
			aggregate.Pair(aggregate.Count[event](), aggregate.Max(act)), in},
		codecOf[aggregate.PairState[int64, aggregate.SumState[int64]], aggregate.PairResult[int64, int64]]{
			aggregate.Pair(plainCount{}, aggregate.Sum(n)), in},
	}
}

func FuzzReadState(f *testing.F) {
	cases := codecCases()
	for i, c := range cases {
		for _, s := range c.seeds() {
			f.Add(uint8(i), s)
		}
	}
	f.Add(uint8(0), []byte{0x80})
	f.Add(uint8(3), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		cases[int(which)%len(cases)].check(t, data)
	})
}

// TestOldErrorNames checks that the deprecated error names are the one
// snapshot error, so errors.Is with any of them matches any snapshot error.
func TestOldErrorNames(t *testing.T) {
	//lint:ignore SA1019 the deprecated names are what is tested
	for _, e := range []error{aggregate.ErrCorrupt, aggregate.ErrMismatch} {
		if e != record.ErrSnapshot {
			t.Errorf("%v is not record.ErrSnapshot", e)
		}
	}
	for _, e := range []error{aggregate.ErrTruncated, aggregate.ErrVersion} {
		if !errors.Is(e, record.ErrSnapshot) {
			t.Errorf("%v does not wrap record.ErrSnapshot", e)
		}
	}
}
