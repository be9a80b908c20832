package window

// The standard packages below are also six of those oracle_test.go imports:
// the two files use the same tools for other subjects, which is no logic
// repeated, and neither is the natural place for the other's tests.
import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
)

// click is the TopK tests' record: the key is a section, the value an article.
type click = rec[string, int]

var clickSection, clickArticle = recKey[string, int], recV[string, int]

// zipfClicks returns n clicks 1 ms apart, articles Zipf-distributed (s) over
// [0, items), sections uniform over sections.
func zipfClicks(seed uint64, n, items, sections int, s float64) []click {
	rng := rand.New(rand.NewPCG(seed, 7))
	z := rand.NewZipf(rng, s, 1, uint64(items-1))
	out := make([]click, n)
	t := record.Time(rng.Int64N(int64(time.Minute)))
	for i := range out {
		t += record.Time(time.Millisecond)
		out[i] = click{T: t, Key: fmt.Sprint("s", rng.IntN(sections)), V: int(z.Uint64())}
	}
	return out
}

type topKey struct {
	start   record.Time
	section string
}

// oracleTopK counts every (window, key) exactly and ranks its items by
// count, then first appearance in the window.
type oracleCounts struct {
	counts map[int]int64
	first  map[int]int
	n      int
}

func oracleTopK(w Assigner, in []click, keyed bool) (map[topKey]*oracleCounts, []topKey) {
	m := map[topKey]*oracleCounts{}
	var order []topKey
	for _, c := range in {
		span, _ := w.Window(c.T)
		k := topKey{start: span.Start}
		if keyed {
			k.section = c.Key
		}
		o := m[k]
		if o == nil {
			o = &oracleCounts{counts: map[int]int64{}, first: map[int]int{}}
			m[k] = o
			order = append(order, k)
		}
		if _, ok := o.first[c.V]; !ok {
			o.first[c.V] = o.n
		}
		o.n++
		o.counts[c.V]++
	}
	return m, order
}

func (o *oracleCounts) ranked() []aggregate.Item[int] {
	var out []aggregate.Item[int]
	for a, c := range o.counts {
		out = append(out, aggregate.Item[int]{Value: a, Count: c})
	}
	slices.SortFunc(out, func(x, y aggregate.Item[int]) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		return cmp.Compare(o.first[x.Value], o.first[y.Value])
	})
	return out
}

// collectTopK runs in through op and checks its stats after Flush.
func collectTopK[K comparable](t *testing.T, op *TopK[click, K, int], in []click) []TopKItem[K, int] {
	t.Helper()
	rows, err := record.Collect(op, in)
	if err != nil {
		t.Fatal(err)
	}
	if s := op.Stats(); s.Records != uint64(len(in)) || s.Emitted != uint64(len(rows)) || s.OpenWindows != 0 {
		t.Errorf("Stats = %+v, %d rows", s, len(rows))
	}
	return rows
}

// TestTopKItemsExact checks the operator against exact counts when the
// capacity covers every distinct item of a window: the rows are the true top
// K, in order, with exact counts and no error.
func TestTopKItemsExact(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keyed bool
		w     Assigner
		k     int
	}{
		{"unkeyed step 10s k=5", false, Step(10 * time.Second), 5},
		{"keyed step 10s k=3", true, Step(10 * time.Second), 3},
		{"keyed floor minute k=10", true, Floor(Minute), 10},
		{"unkeyed k=1", false, Step(5 * time.Second), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := zipfClicks(uint64(tc.k), 30_000, 60, 4, 1.1)
			opts := &TopKOptions[click]{Capacity: 60}
			var got []TopKItem[string, int]
			if tc.keyed {
				got = collectTopK(t, must(TopKItemsByKey(tc.w, clickSection, tc.k, clickArticle, opts)), in)
			} else {
				for _, r := range collectTopK(t, must(TopKItems(tc.w, tc.k, clickArticle, opts)), in) {
					got = append(got, TopKItem[string, int]{Start: r.Start, End: r.End, Rank: r.Rank, Item: r.Item, ItemCount: r.ItemCount, Error: r.Error})
				}
			}
			m, order := oracleTopK(tc.w, in, tc.keyed)
			var want []TopKItem[string, int]
			for _, k := range order { // all windows close in order at Flush or as time passes
				span, _ := tc.w.Window(k.start)
				for i, it := range m[k].ranked()[:min(tc.k, len(m[k].counts))] {
					want = append(want, TopKItem[string, int]{Start: span.Start, End: span.End, Key: k.section, Rank: i + 1, Item: it.Value, ItemCount: it.Count})
				}
			}
			// Results come out by End, then key first appearance: the oracle's
			// order sorted stably by End.
			slices.SortStableFunc(want, func(x, y TopKItem[string, int]) int { return cmp.Compare(x.End, y.End) })
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-oracle +operator):\n%s", diff)
			}
		})
	}
}

// TestTopKItemsZipf checks the Space-Saving bounds when the capacity is far
// below the number of distinct items: Zipf s = 1.2 over 10^5 items, 2·10^5
// draws in one window, K = 10, capacity 200, five seeds. The rows are the
// true top 10, in true order except between items whose true counts differ
// by less than the reported error, and every count bounds the true one.
func TestTopKItemsZipf(t *testing.T) {
	draws := sized(200_000, 50_000)
	for seed := range uint64(5) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			in := zipfClicks(seed, draws, 100_000, 1, 1.2)
			op, err := TopKItems(Step(24*time.Hour), 10, clickArticle, &TopKOptions[click]{Capacity: 200})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := record.Collect(op, in)
			if err != nil {
				t.Fatal(err)
			}
			m, order := oracleTopK(Step(24*time.Hour), in, false)
			if len(order) != 1 {
				t.Fatalf("stream spans %d days, want 1", len(order))
			}
			truth := m[order[0]]
			ranked := truth.ranked()
			if len(rows) != 10 {
				t.Fatalf("%d rows, want 10", len(rows))
			}
			trueTop := map[int]bool{}
			for _, it := range ranked[:10] {
				trueTop[it.Value] = true
			}
			for i, r := range rows {
				c := truth.counts[r.Item]
				if r.Rank != i+1 {
					t.Errorf("row %d has rank %d", i, r.Rank)
				}
				if r.ItemCount-r.Error > c || c > r.ItemCount {
					t.Errorf("item %d: count %d error %d, true count %d", r.Item, r.ItemCount, r.Error, c)
				}
				if !trueTop[r.Item] {
					t.Errorf("item %d (true count %d) reported but not in the true top 10 (10th: %d)", r.Item, c, ranked[9].Count)
				}
				if i > 0 {
					p := rows[i-1]
					if pc := truth.counts[p.Item]; pc < c && c-pc >= max(p.Error, r.Error) {
						t.Errorf("item %d (true %d) ranked before item %d (true %d) beyond the error %d", p.Item, pc, r.Item, c, max(p.Error, r.Error))
					}
				}
			}
		})
	}
}

// TestTopKItemsLate checks late data and allowed lateness: a late record
// within the lateness re-emits every row of its window, marked Update.
func TestTopKItemsLate(t *testing.T) {
	at := func(s int, a int) click { return click{T: record.Time(s) * record.Time(time.Second), V: a} }
	in := []click{at(1, 7), at(2, 8), at(3, 7), at(11, 9), at(4, 8), at(5, 8), at(25, 1), at(6, 3)}
	var late []int
	opts := &TopKOptions[click]{}
	opts.Lateness = 10 * time.Second
	opts.Late = func(c click, err error) {
		if !errors.Is(err, ErrLate) {
			t.Errorf("late error %v", err)
		}
		late = append(late, c.V)
	}
	op, err := TopKItems(Step(10*time.Second), 2, clickArticle, opts)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := record.Collect(op, in)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Start, Rank, Item int
		Count             int64
		Update            bool
	}
	var got []row
	for _, r := range rows {
		got = append(got, row{int(r.Start / record.Time(time.Second)), r.Rank, r.Item, r.ItemCount, r.Update})
	}
	want := []row{
		{0, 1, 7, 2, false}, {0, 2, 8, 1, false}, // closed by the record at 11 s
		{0, 1, 7, 2, true}, {0, 2, 8, 2, true}, // 8 at 4 s: a tie, and 7 appeared first
		{0, 1, 8, 3, true}, {0, 2, 7, 2, true}, // 8 at 5 s
		{10, 1, 9, 1, false}, // closed by the record at 25 s, which also drops [0, 10)
		{20, 1, 1, 1, false}, // at Flush
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff([]int{3}, late); diff != "" {
		t.Errorf("late (-want +got):\n%s", diff)
	}
	if s := op.Stats(); s.Emitted != uint64(len(want)) || s.Updates != 4 || s.Late != 1 || s.Records != uint64(len(in)) {
		t.Errorf("Stats = %+v", s)
	}
}

func TestTopKItemsErrors(t *testing.T) {
	step := Step(time.Second)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"k=0", errOf(TopKItems(step, 0, clickArticle, nil)), aggregate.ErrK},
		{"capacity below k", errOf(TopKItems(step, 5, clickArticle, &TopKOptions[click]{Capacity: 4})), aggregate.ErrCapacity},
		{"capacity overflow", errOf(TopKItems(step, 5, clickArticle, &TopKOptions[click]{Capacity: math.MaxInt32 + 1})), aggregate.ErrCapacity},
		{"nil item", errOf(TopKItems[click, int](step, 3, nil, nil)), ErrInvalid},
		{"nil key", errOf(TopKItemsByKey[click, string](step, nil, 3, clickArticle, nil)), ErrInvalid},
		{"bad assigner", errOf(TopKItems(Step(-1), 3, clickArticle, nil)), ErrInvalid},
		{"negative delay", errOf(TopKItems(step, 3, clickArticle, &TopKOptions[click]{Options: Options[click]{Delay: -1}})), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("error %v, want %v", tt.err, tt.want)
			}
		})
	}
}

func errOf[T any](_ T, err error) error { return err }

func TestTopKItemJSON(t *testing.T) {
	start := record.Time(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	end := start + record.Time(time.Minute)
	type article struct {
		ID    int    `json:"id"`
		Title string `json:"title"`
	}
	tests := []struct {
		name string
		got  func() ([]byte, error)
		want string
	}{
		{
			"unkeyed string item",
			func() ([]byte, error) {
				return TopKItem[NoKey, string]{Start: start, End: end, Rank: 1, Item: "/news/1", ItemCount: 310, Error: 4}.AppendJSON(nil)
			},
			`{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:01:00Z","ITEM":"/news/1","ITEM_COUNT":310}`,
		},
		{
			"keyed int item update",
			func() ([]byte, error) {
				return TopKItem[string, int]{Start: start, End: end, Key: "sport", Item: 17, ItemCount: 3, Update: true}.AppendJSON([]byte("["))
			},
			`[{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:01:00Z","key":"sport","ITEM":17,"ITEM_COUNT":3,"update":true}`,
		},
		{
			"struct item, nanoseconds",
			func() ([]byte, error) {
				return TopKItem[NoKey, article]{Start: start + 1, End: end - 1, Item: article{1, "a&b"}, ItemCount: 1}.AppendJSON(nil)
			},
			`{"window_start":"2024-05-01T12:00:00.000000001Z","window_end":"2024-05-01T12:00:59.999999999Z","ITEM":{"id":1,"title":"a\u0026b"},"ITEM_COUNT":1}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("AppendJSON:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	for name, f := range map[string]func([]byte) ([]byte, error){
		"bad item": TopKItem[NoKey, float64]{Item: math.NaN()}.AppendJSON,
		"bad key":  TopKItem[chan int, int]{Key: make(chan int)}.AppendJSON,
	} {
		t.Run(name, func(t *testing.T) {
			out, err := f([]byte("keep"))
			if err == nil || string(out) != "keep" {
				t.Errorf("AppendJSON = %q, %v; want dst unchanged and an error", out, err)
			}
		})
	}
}

func TestTopKItemEventTime(t *testing.T) {
	r := TopKItem[NoKey, int]{Start: 0, End: 10}
	if r.EventTime() != 9 {
		t.Errorf("EventTime = %d, want 9", r.EventTime())
	}
}

func newTopKOp(t testing.TB, k, capacity int, lateness time.Duration) *TopK[click, string, int] {
	t.Helper()
	opts := &TopKOptions[click]{Capacity: capacity}
	opts.Delay, opts.Lateness = 500*time.Millisecond, lateness
	op, err := TopKItemsByKey(Step(2*time.Second), clickSection, k, clickArticle, opts)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// shuffled returns in with some records moved back in time, some of them
// late.
func shuffled(in []click, seed uint64) []click {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := slices.Clone(in)
	for i := range out {
		if rng.IntN(20) == 0 {
			out[i].T -= record.Time(rng.Int64N(int64(3 * time.Second)))
		}
	}
	return out
}

// TestTopKSnapshotRoundTrip checks that a snapshot carries all state, with
// late records and updates: see checkCuts.
func TestTopKSnapshotRoundTrip(t *testing.T) {
	for i, c := range []struct {
		k, capacity int
		lateness    time.Duration
	}{{3, 5, 0}, {2, 0, time.Second}, {5, 8, 3 * time.Second}} {
		steps := pushes(shuffled(zipfClicks(uint64(i), 3000, 40, 3, 1.3), uint64(i)))
		t.Run(fmt.Sprintf("cfg=%d", i), func(t *testing.T) {
			checkCuts(t, func() *TopK[click, string, int] { return newTopKOp(t, c.k, c.capacity, c.lateness) },
				steps, []int{0, 1, 500, 2999, 3000})
		})
	}
}

func TestTopKRestoreErrors(t *testing.T) {
	src := newTopKOp(t, 3, 6, time.Second)
	for _, e := range zipfClicks(1, 400, 30, 3, 1.2) {
		src.Push(e, func(TopKItem[string, int]) {})
	}
	snap, err := src.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]*TopK[click, string, int]{
		"k":        newTopKOp(t, 4, 6, time.Second),
		"capacity": newTopKOp(t, 3, 7, time.Second),
	} {
		t.Run(name, func(t *testing.T) {
			if restoreChecked(t, op, snap) == nil {
				t.Fatal("Restore took a snapshot of another configuration")
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		op := newTopKOp(t, 3, 6, time.Second)
		op.Push(click{T: 1, Key: "s", V: 1}, func(TopKItem[string, int]) {})
		for n := range len(snap) {
			if restoreChecked(t, op, snap[:n]) == nil {
				t.Fatalf("Restore took %d of %d bytes", n, len(snap))
			}
		}
	})
}

func FuzzTopKRestore(f *testing.F) {
	for _, n := range []int{0, 5, 60} {
		op := newTopKOp(f, 2, 4, time.Second)
		for _, e := range zipfClicks(uint64(n), n, 10, 2, 1.2) {
			op.Push(e, func(TopKItem[string, int]) {})
		}
		snap, err := op.AppendSnapshot(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(snap)
	}
	for _, seed := range otherOperatorSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		newOp := func() *TopK[click, string, int] { return newTopKOp(t, 2, 4, time.Second) }
		op := newOp()
		op.Push(click{T: 1, Key: "s", V: 1}, nil)
		if !restoreFuzzed(t, op, newOp, data) {
			return
		}
		emit := func(TopKItem[string, int]) {}
		op.Push(click{T: record.Time(time.Minute), Key: "t", V: 2}, emit)
		op.Stats()
		op.Flush(emit)
	})
}
