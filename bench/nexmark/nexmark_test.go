package nexmark

import (
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

func TestProportionsAndIDs(t *testing.T) {
	g, err := New(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var e Event
	counts := map[Kind]int{}
	var maxPerson, maxAuction int64 = -1, -1
	for range 50_000 {
		g.Next(&e)
		counts[e.Kind]++
		switch e.Kind {
		case KindPerson:
			if e.Person.ID <= maxPerson {
				t.Fatalf("person id %d not increasing", e.Person.ID)
			}
			maxPerson = e.Person.ID
		case KindAuction:
			if e.Auction.ID <= maxAuction {
				t.Fatalf("auction id %d not increasing", e.Auction.ID)
			}
			maxAuction = e.Auction.ID
			if e.Auction.Seller > maxPerson || e.Auction.Seller < firstPersonID {
				t.Fatalf("auction seller %d not an existing person (newest %d)", e.Auction.Seller, maxPerson)
			}
			if e.Auction.Expires <= e.Auction.DateTime || e.Auction.Reserve < e.Auction.InitialBid {
				t.Fatalf("bad auction %+v", e.Auction)
			}
		case KindBid:
			if e.Bid.Auction > maxAuction || e.Bid.Auction < firstAuctionID {
				t.Fatalf("bid on auction %d, newest is %d", e.Bid.Auction, maxAuction)
			}
			if e.Bid.Bidder > maxPerson+1 || e.Bid.Bidder < firstPersonID {
				t.Fatalf("bidder %d, newest person %d", e.Bid.Bidder, maxPerson)
			}
			if e.Bid.Price < 100 || e.Bid.Price > 100_000_000 {
				t.Fatalf("price %d out of range", e.Bid.Price)
			}
		}
	}
	if counts[KindPerson] != 1000 || counts[KindAuction] != 3000 || counts[KindBid] != 46000 {
		t.Fatalf("proportions %v, want 1000:3000:46000", counts)
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := New(7, nil)
	b, _ := New(7, nil)
	c, _ := New(8, nil)
	var ea, eb, ec Event
	differ := false
	for i := range 10_000 {
		a.Next(&ea)
		b.Next(&eb)
		c.Next(&ec)
		if ea != eb {
			t.Fatalf("event %d differs for the same seed: %+v vs %+v", i, ea, eb)
		}
		if ea != ec {
			differ = true
		}
	}
	if !differ {
		t.Fatal("seeds 7 and 8 gave the same stream")
	}
}

func TestEventTime(t *testing.T) {
	for _, ooo := range []time.Duration{0, 50 * time.Millisecond} {
		g, _ := New(3, &Options{OutOfOrder: ooo})
		var e Event
		maxSeen := record.MinTime
		outOfOrder := 0
		for i := range 20_000 {
			g.Next(&e)
			want := g.opt.Start + record.Time(i)*record.Time(100*time.Microsecond)
			got := e.EventTime()
			if got > want || got < want-record.Time(ooo) {
				t.Fatalf("ooo=%v event %d at %d, want in [%d, %d]", ooo, i, got, want-record.Time(ooo), want)
			}
			if got < maxSeen {
				outOfOrder++
			}
			maxSeen = max(maxSeen, got)
		}
		if (ooo == 0) != (outOfOrder == 0) {
			t.Fatalf("ooo=%v: %d events out of order", ooo, outOfOrder)
		}
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{{Gap: -1}, {OutOfOrder: -1}, {HotAuctionRatio: -2}} {
		if _, err := New(1, &o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	g, _ := New(1, nil)
	var e Event
	if n := testing.AllocsPerRun(10_000, func() { g.Next(&e) }); n != 0 {
		t.Fatalf("Next allocates %v per event", n)
	}
}

func BenchmarkNext(b *testing.B) {
	g, _ := New(1, nil)
	var e Event
	b.ReportAllocs()
	for b.Loop() {
		g.Next(&e)
	}
}
