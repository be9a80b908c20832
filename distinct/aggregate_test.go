package distinct_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/aggregate/aggtest"
	"github.com/rowtime/rowtime/distinct"
)

type click struct {
	User    string
	Page    []byte
	Session int32
}

func genClick(pool int) func(*rand.Rand) click {
	return func(rng *rand.Rand) click {
		return click{
			User:    fmt.Sprint("user-", rng.IntN(pool)),
			Page:    fmt.Appendf(nil, "/p/%d", rng.IntN(pool)),
			Session: int32(rng.IntN(pool) - pool/2),
		}
	}
}

// TestCountLaws runs the aggregate law kit over streams that stay exact and
// streams that cross the threshold into HyperLogLog: every law holds
// exactly, since merged sketches are the state of one sketch fed everything.
func TestCountLaws(t *testing.T) {
	cases := []struct {
		name    string
		opts    *distinct.Options
		pool    int
		records int
	}{
		{"exact", nil, 50, 100},
		{"threshold 20 p10", &distinct.Options{Threshold: 20, Precision: 10}, 1000, 200},
		{"threshold 1 p4", &distinct.Options{Threshold: 1, Precision: 4}, 1000, 100},
		{"threshold 100 p8", &distinct.Options{Threshold: 100, Precision: 8}, 5000, 1000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			trials := 50
			if testing.Short() {
				trials = 10
			}
			opts := &aggtest.Options[click, uint64]{Trials: trials, Records: c.records, Seed: 7}
			user, err := distinct.Count(func(c click) string { return c.User }, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := distinct.Count(func(c click) []byte { return c.Page }, c.opts)
			session, _ := distinct.Count(func(c click) int32 { return c.Session }, c.opts)
			for name, f := range map[string]aggregate.Func[click, distinct.Sketch, uint64]{"string": user, "bytes": page, "int32": session} {
				t.Run(name, func(t *testing.T) {
					if _, ok := f.(aggregate.StateCodec[distinct.Sketch]); !ok {
						t.Fatal("Count is not a StateCodec")
					}
					aggtest.Run(t, f, genClick(c.pool), opts)
				})
			}
		})
	}
}

// TestCountOracle checks the aggregate's results against an exact map while
// it is exact, and against HyperLogLog's error bound beyond.
func TestCountOracle(t *testing.T) {
	f, err := distinct.Count(func(c click) string { return c.User }, &distinct.Options{Threshold: 500})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	gen := genClick(4000)
	var a distinct.Sketch
	seen := map[string]bool{}
	for range 20_000 {
		c := gen(rng)
		f.Add(&a, c)
		seen[c.User] = true
		if len(seen) <= 500 {
			if got := f.Result(&a); got != uint64(len(seen)) {
				t.Fatalf("exact phase: Result = %d, want %d", got, len(seen))
			}
		} else if a.Exact() {
			t.Fatalf("still exact with %d > 500 distinct items", len(seen))
		}
	}
	if got, want := float64(f.Result(&a)), float64(len(seen)); got < want*0.97 || got > want*1.03 {
		t.Errorf("Result = %v, want %v within 3%%", got, want)
	}
}

func TestCountReadStateMismatch(t *testing.T) {
	f14, _ := distinct.Count(func(c click) string { return c.User }, nil)
	f12, _ := distinct.Count(func(c click) string { return c.User }, &distinct.Options{Precision: 12})
	f14t, _ := distinct.Count(func(c click) string { return c.User }, &distinct.Options{Threshold: 5})
	var a distinct.Sketch
	f12.Add(&a, click{User: "x"})
	enc, err := f12.(aggregate.StateCodec[distinct.Sketch]).AppendState(nil, &a)
	if err != nil {
		t.Fatal(err)
	}
	var b distinct.Sketch
	f14.Add(&b, click{User: "y"})
	codec := f14.(aggregate.StateCodec[distinct.Sketch])
	if _, err := codec.ReadState(&b, enc); !errors.Is(err, distinct.ErrPrecision) {
		t.Errorf("ReadState of a p12 state into a p14 count: %v, want ErrPrecision", err)
	}
	if f14.Result(&b) != 1 {
		t.Errorf("failed ReadState changed the receiver")
	}
	var c distinct.Sketch
	f14t.Add(&c, click{User: "z"})
	enc, _ = f14t.(aggregate.StateCodec[distinct.Sketch]).AppendState(nil, &c)
	if _, err := codec.ReadState(&b, enc); !errors.Is(err, distinct.ErrMismatch) {
		t.Errorf("ReadState of another threshold: %v, want ErrMismatch", err)
	}
	var z distinct.Sketch // a zero state fits every count
	enc, _ = codec.AppendState(nil, &z)
	if _, err := f12.(aggregate.StateCodec[distinct.Sketch]).ReadState(&b, enc); err != nil {
		t.Errorf("ReadState of a zero state: %v", err)
	}
}

func TestCountMergePanicsOnMismatch(t *testing.T) {
	f14, _ := distinct.Count(func(c click) string { return c.User }, nil)
	f12, _ := distinct.Count(func(c click) string { return c.User }, &distinct.Options{Precision: 12})
	var a, b distinct.Sketch
	f14.Add(&a, click{User: "x"})
	f12.Add(&b, click{User: "y"})
	defer func() {
		if err, _ := recover().(error); !errors.Is(err, distinct.ErrPrecision) {
			t.Errorf("Merge of mixed precisions: recovered %v, want ErrPrecision", err)
		}
	}()
	f14.Merge(&a, &b)
}

func TestCountAddAllocs(t *testing.T) {
	f, _ := distinct.Count(func(c click) string { return c.User }, &distinct.Options{Threshold: 10})
	var a distinct.Sketch
	cs := make([]click, 100)
	for i := range cs {
		cs[i] = click{User: fmt.Sprint("user-", i)}
	}
	for _, c := range cs {
		f.Add(&a, c)
	}
	if n := testing.AllocsPerRun(10, func() {
		for _, c := range cs {
			f.Add(&a, c)
		}
	}); n != 0 {
		t.Errorf("Add allocates %v times per 100 records", n)
	}
}
