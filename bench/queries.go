package bench

import (
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/bench/nexmark"
	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// The Nexmark queries below are written with rowtime's public API only, over
// the bid stream of package nexmark. Each returns a record.Operator that a
// caller feeds bids and that emits the query's rows.

// NoKey is the key of a query that does not group by anything.
type NoKey struct{}

func noKey(nexmark.Bid) NoKey { return NoKey{} }

// AuctionCount is one row of q5's first stage: bids on an auction in a window.
type AuctionCount = window.Result[int64, int64]

// HotItems is q5's row: the auction(s) with the most bids in a window.
type HotItems struct {
	Auctions []int64 // in order of first appearance in the window
	Count    int64
}

// hot is the aggregate of q5's second stage: over the per-auction counts of
// one window, the largest count and every auction that reached it. Its state
// holds a slice, so a window allocates once it has a top auction, not a
// record.
type hot struct{}

func (hot) Add(a *HotItems, r AuctionCount) {
	switch {
	case r.Value > a.Count:
		a.Count = r.Value
		a.Auctions = append(a.Auctions[:0], r.Key)
	case r.Value == a.Count:
		a.Auctions = append(a.Auctions, r.Key)
	}
}

func (hot) Merge(dst, src *HotItems) {
	switch {
	case src.Count > dst.Count:
		dst.Count = src.Count
		dst.Auctions = append(dst.Auctions[:0], src.Auctions...)
	case src.Count == dst.Count:
		dst.Auctions = append(dst.Auctions, src.Auctions...)
	}
}

func (hot) Result(a *HotItems) HotItems {
	return HotItems{Auctions: append([]int64(nil), a.Auctions...), Count: a.Count}
}

// Q5 is Nexmark's hot items: bids per auction in hopping windows of size
// sliding by slide, then, per window, the auction(s) with the most bids. The
// second operator consumes the first's results: each result's event time is
// its window's End − 1 ns, so a tumbling window of length slide gathers the
// counts of exactly one hopping window.
func Q5(size, slide time.Duration) (record.Operator[nexmark.Bid, window.Result[NoKey, HotItems]], error) {
	counts, err := window.Aggregate(window.Hop(size, slide),
		func(b nexmark.Bid) int64 { return b.Auction },
		aggregate.Count[nexmark.Bid](), nil)
	if err != nil {
		return nil, err
	}
	top, err := window.Aggregate(window.Step(slide),
		func(AuctionCount) NoKey { return NoKey{} },
		aggregate.Func[AuctionCount, HotItems, HotItems](hot{}), nil)
	if err != nil {
		return nil, err
	}
	return record.Then(counts, top), nil
}

// MaxBid is q7's state and row: the highest bid of a window (the first to
// reach that price).
type MaxBid struct {
	Bid nexmark.Bid
	Set bool
}

type maxBid struct{}

func (maxBid) Add(a *MaxBid, b nexmark.Bid) {
	if !a.Set || b.Price > a.Bid.Price {
		a.Bid, a.Set = b, true
	}
}

func (maxBid) Merge(dst, src *MaxBid) {
	if src.Set && (!dst.Set || src.Bid.Price > dst.Bid.Price) {
		*dst = *src
	}
}

func (maxBid) Result(a *MaxBid) MaxBid { return *a }

// Q7 is Nexmark's highest bid: the bid with the highest price in each
// tumbling window of the given size.
func Q7(size time.Duration) (*window.Agg[nexmark.Bid, NoKey, MaxBid], error) {
	return window.Aggregate(window.Step(size), noKey, aggregate.Func[nexmark.Bid, MaxBid, MaxBid](maxBid{}), nil)
}

// Q7Loop computes q7 with a hand-written loop over in-order bids, the floor
// Q7 is measured against. It calls emit with each window's start and its
// highest bid.
type Q7Loop struct {
	size  record.Time
	start record.Time
	best  MaxBid
}

// NewQ7Loop returns a loop for windows of size.
func NewQ7Loop(size time.Duration) *Q7Loop { return &Q7Loop{size: record.Time(size)} }

// Push takes one bid; bids must come in time order.
func (q *Q7Loop) Push(b nexmark.Bid, emit func(start record.Time, m MaxBid)) {
	s := b.DateTime - record.Time(record.FloorMod(int64(b.DateTime), int64(q.size)))
	if q.best.Set && s != q.start {
		emit(q.start, q.best)
		q.best.Set = false
	}
	q.start = s
	if !q.best.Set || b.Price > q.best.Bid.Price {
		q.best = MaxBid{Bid: b, Set: true}
	}
}

// Flush emits the open window.
func (q *Q7Loop) Flush(emit func(start record.Time, m MaxBid)) {
	if q.best.Set {
		emit(q.start, q.best)
		q.best.Set = false
	}
}

// Q11 is Nexmark's user sessions: bids per bidder per session window with the
// given gap.
func Q11(gap time.Duration) (*window.Agg[nexmark.Bid, int64, int64], error) {
	return window.Aggregate(window.Session(gap),
		func(b nexmark.Bid) int64 { return b.Bidder },
		aggregate.Count[nexmark.Bid](), nil)
}

// QDistinct counts distinct bidders per auction per day, in the manner of
// Nexmark's q15/q16, with package distinct.
func QDistinct() (*distinct.Counter[nexmark.Bid, int64, int64], error) {
	return distinct.CountItemsByKey(window.Floor(window.Day),
		func(b nexmark.Bid) int64 { return b.Auction },
		func(b nexmark.Bid) int64 { return b.Bidder }, nil)
}

// QTopK finds the k auctions with the most bids in each tumbling window of
// the given size, with aggregate.TopK.
func QTopK(k int, size time.Duration) (*window.Agg[nexmark.Bid, NoKey, []aggregate.Item[int64]], error) {
	top, err := aggregate.TopK(k, func(b nexmark.Bid) int64 { return b.Auction }, nil)
	if err != nil {
		return nil, err
	}
	return window.Aggregate(window.Step(size), noKey, top, nil)
}

// RowtimeCount counts bids per auction with a rowtime keyed tumbling count
// (window of the given size), adding up the windows' counts per key: the
// same total a correct keyed count reaches whatever its windows.
func RowtimeCount(bids []nexmark.Bid, size time.Duration) (map[int64]int64, error) {
	op, err := window.Aggregate(window.Step(size),
		func(b nexmark.Bid) int64 { return b.Auction },
		aggregate.Count[nexmark.Bid](), nil)
	if err != nil {
		return nil, err
	}
	counts := make(map[int64]int64)
	emit := func(r window.Result[int64, int64]) { counts[r.Key] += r.Value }
	for i := range bids {
		if err := op.Push(bids[i], emit); err != nil {
			return nil, err
		}
	}
	if err := op.Flush(emit); err != nil {
		return nil, err
	}
	return counts, nil
}
