package bench

import (
	"cmp"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/bench/nexmark"
	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// testBids spreads a few thousand bids over a few minutes, so that every query
// closes many windows and sessions.
func testBids(t *testing.T, seed uint64) []nexmark.Bid {
	t.Helper()
	return Bids(seed, 6000, &nexmark.Options{Gap: 20 * time.Millisecond})
}

func run[R, O any](t *testing.T, op record.Operator[R, O], in []R) []O {
	t.Helper()
	out, err := record.Collect(op, in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func floorTo(t record.Time, d time.Duration) record.Time {
	return t - record.Time(record.FloorMod(int64(t), int64(d)))
}

func TestQ5(t *testing.T) {
	for _, size := range []time.Duration{10 * time.Second, 60 * time.Second} {
		slide := 2 * time.Second
		bids := testBids(t, 5)
		op, err := Q5(size, slide)
		if err != nil {
			t.Fatal(err)
		}
		got := run(t, op, bids)

		// Naive: every hopping window that holds a bid, counts per auction in
		// first-appearance order.
		type win struct{ start, end record.Time }
		counts := map[win]map[int64]int64{}
		order := map[win][]int64{}
		for _, b := range bids {
			last := floorTo(b.DateTime, slide)
			for s := last; s > b.DateTime-record.Time(size); s -= record.Time(slide) {
				w := win{s, s + record.Time(size)}
				if counts[w] == nil {
					counts[w] = map[int64]int64{}
				}
				if counts[w][b.Auction] == 0 {
					order[w] = append(order[w], b.Auction)
				}
				counts[w][b.Auction]++
			}
		}
		var want []window.Result[NoKey, HotItems]
		ends := slices.SortedFunc(maps.Keys(counts), func(a, b win) int { return cmp.Compare(a.end, b.end) })
		for _, w := range ends {
			var h HotItems
			for _, a := range order[w] {
				switch c := counts[w][a]; {
				case c > h.Count:
					h = HotItems{Auctions: []int64{a}, Count: c}
				case c == h.Count:
					h.Auctions = append(h.Auctions, a)
				}
			}
			// The second stage's window is the tumbling slide that holds End − 1.
			want = append(want, window.Result[NoKey, HotItems]{Start: w.end - record.Time(slide), End: w.end, Value: h})
		}
		if d := gocmp.Diff(want, got); d != "" {
			t.Fatalf("size %v: q5 differs from the naive evaluation (-want +got):\n%s", size, d)
		}
		if len(want) < 50 {
			t.Fatalf("only %d windows: the test data is too small", len(want))
		}
	}
}

func TestQ7(t *testing.T) {
	bids := testBids(t, 7)
	const size = 10 * time.Second
	op, err := Q7(size)
	if err != nil {
		t.Fatal(err)
	}
	got := run(t, op, bids)

	best := map[record.Time]nexmark.Bid{}
	var starts []record.Time
	for _, b := range bids {
		s := floorTo(b.DateTime, size)
		cur, ok := best[s]
		if !ok {
			starts = append(starts, s)
		}
		if !ok || b.Price > cur.Price {
			best[s] = b
		}
	}
	if len(got) != len(starts) {
		t.Fatalf("%d windows, want %d", len(got), len(starts))
	}
	for i, s := range starts {
		if got[i].Start != s || got[i].Value.Bid != best[s] {
			t.Fatalf("window %d: got %v %+v, want %v %+v", i, got[i].Start, got[i].Value.Bid, s, best[s])
		}
	}

	// The hand-written loop agrees too.
	loop := NewQ7Loop(size)
	var n int
	emit := func(start record.Time, m MaxBid) {
		if start != starts[n] || m.Bid != best[start] {
			t.Fatalf("loop window %d: %v %+v", n, start, m.Bid)
		}
		n++
	}
	for _, b := range bids {
		loop.Push(b, emit)
	}
	loop.Flush(emit)
	if n != len(starts) {
		t.Fatalf("loop emitted %d windows, want %d", n, len(starts))
	}
}

func TestQ11(t *testing.T) {
	bids := testBids(t, 11)
	const gap = 10 * time.Second
	op, err := Q11(gap)
	if err != nil {
		t.Fatal(err)
	}
	got := run(t, op, bids)

	type session struct {
		bidder     int64
		start, end record.Time
		count      int64
	}
	byBidder := map[int64][]record.Time{}
	for _, b := range bids {
		byBidder[b.Bidder] = append(byBidder[b.Bidder], b.DateTime)
	}
	var want []session
	for bidder, times := range byBidder {
		slices.Sort(times)
		s := session{bidder: bidder, start: times[0], end: times[0] + record.Time(gap), count: 1}
		for _, tm := range times[1:] {
			if tm < s.end {
				s.end = tm + record.Time(gap)
				s.count++
				continue
			}
			want = append(want, s)
			s = session{bidder: bidder, start: tm, end: tm + record.Time(gap), count: 1}
		}
		want = append(want, s)
	}
	var have []session
	for _, r := range got {
		have = append(have, session{r.Key, r.Start, r.End, r.Value})
	}
	less := func(a, b session) bool {
		return a.bidder < b.bidder || a.bidder == b.bidder && a.start < b.start
	}
	if d := gocmp.Diff(want, have, gocmp.AllowUnexported(session{}), cmpopts.SortSlices(less)); d != "" {
		t.Fatalf("q11 differs from the naive evaluation (-want +got):\n%s", d)
	}
	if len(want) < 100 {
		t.Fatalf("only %d sessions", len(want))
	}
	for i := 1; i < len(got); i++ {
		if got[i].End < got[i-1].End {
			t.Fatalf("results not ordered by End at %d", i)
		}
	}
}

func TestQDistinct(t *testing.T) {
	// Spread the bids over three days so several day windows close.
	bids := Bids(15, 6000, &nexmark.Options{Gap: 40 * time.Second})
	op, err := QDistinct()
	if err != nil {
		t.Fatal(err)
	}
	got := run(t, op, bids)

	type key struct {
		day     record.Time
		auction int64
	}
	sets := map[key]map[int64]bool{}
	for _, b := range bids {
		k := key{floorTo(b.DateTime, 24*time.Hour), b.Auction}
		if sets[k] == nil {
			sets[k] = map[int64]bool{}
		}
		sets[k][b.Bidder] = true
	}
	if len(got) != len(sets) {
		t.Fatalf("%d results, want %d", len(got), len(sets))
	}
	for _, r := range got {
		want := sets[key{r.Start, r.Key}]
		if r.End-r.Start != record.Time(24*time.Hour) || !r.Exact || r.NumberOfDistinctItems != uint64(len(want)) {
			t.Fatalf("auction %d day %v: %d distinct (exact %v), want %d", r.Key, r.Start, r.NumberOfDistinctItems, r.Exact, len(want))
		}
	}
	if len(sets) < 500 {
		t.Fatalf("only %d (auction, day) groups", len(sets))
	}
	_ = distinct.Result[int64]{}
}

func TestQTopK(t *testing.T) {
	bids := testBids(t, 10)
	const size, k = 10 * time.Second, 10
	op, err := QTopK(k, size)
	if err != nil {
		t.Fatal(err)
	}
	got := run(t, op, bids)

	counts := map[record.Time]map[int64]int64{}
	order := map[record.Time][]int64{}
	var starts []record.Time
	for _, b := range bids {
		s := floorTo(b.DateTime, size)
		if counts[s] == nil {
			counts[s] = map[int64]int64{}
			starts = append(starts, s)
		}
		if counts[s][b.Auction] == 0 {
			order[s] = append(order[s], b.Auction)
		}
		counts[s][b.Auction]++
	}
	if len(got) != len(starts) {
		t.Fatalf("%d windows, want %d", len(got), len(starts))
	}
	for i, s := range starts {
		items := got[i].Value
		if got[i].Start != s || len(items) != min(k, len(order[s])) {
			t.Fatalf("window %d: start %v with %d items", i, got[i].Start, len(items))
		}
		// Every reported count bounds the true count, and the reported items
		// are the true top k up to the reported error.
		byTrue := slices.Clone(order[s])
		slices.SortStableFunc(byTrue, func(a, b int64) int { return cmp.Compare(counts[s][b], counts[s][a]) })
		kth := counts[s][byTrue[len(items)-1]]
		for _, it := range items {
			tc := counts[s][it.Value]
			if it.Count-it.Error > tc || tc > it.Count {
				t.Fatalf("window %v auction %d: count %d error %d, true %d", s, it.Value, it.Count, it.Error, tc)
			}
			if tc+it.Error < kth {
				t.Fatalf("window %v: auction %d (true %d) reported, but the %d-th true count is %d", s, it.Value, tc, k, kth)
			}
		}
		if items[0].Value != byTrue[0] && counts[s][byTrue[0]] > counts[s][items[0].Value]+items[0].Error {
			t.Fatalf("window %v: top auction %d, want %d", s, items[0].Value, byTrue[0])
		}
	}
	_ = aggregate.Item[int64]{}
}

func TestPeerCountsAgree(t *testing.T) {
	bids := Bids(3, 20_000, nil)
	want := LoopCount(bids)
	got, err := RowtimeCount(bids, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(want, got) {
		t.Fatal("rowtime's keyed count differs from the loop's")
	}
	if peer := GoStreamsCount(bids, 50*time.Millisecond); !maps.Equal(want, peer) {
		t.Fatal("go-streams' keyed count differs from the loop's")
	}
}
