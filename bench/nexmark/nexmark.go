// Package nexmark generates the Nexmark benchmark's event stream: people
// registering, auctions opening and bids arriving, in the proportion
// 1:3:46, as in the reference generator of the Nexmark suite.
//
// A Generator is deterministic for a seed and allocation-free per event: Next
// fills the caller's Event, and every string field points into tables built
// once by New. Event time advances by a fixed inter-event gap (100 µs by
// default, Nexmark's 10,000 events per second); with Options.OutOfOrder set,
// each event's time is moved back by a uniform random amount up to that bound,
// so the stream is out of order by at most OutOfOrder.
package nexmark

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/rowtime/rowtime/record"
)

// Kind says which of an Event's parts is set.
type Kind uint8

// The three kinds of Nexmark event.
const (
	KindPerson Kind = iota
	KindAuction
	KindBid
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindPerson:
		return "person"
	case KindAuction:
		return "auction"
	case KindBid:
		return "bid"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Person is a new user of the auction site.
type Person struct {
	ID           int64
	Name         string
	EmailAddress string
	CreditCard   string
	City         string
	State        string
	DateTime     record.Time
}

// Auction is an item put up for sale.
type Auction struct {
	ID          int64
	ItemName    string
	Description string
	InitialBid  int64
	Reserve     int64
	DateTime    record.Time
	Expires     record.Time
	Seller      int64
	Category    int64
}

// Bid is an offer on an auction.
type Bid struct {
	Auction  int64
	Bidder   int64
	Price    int64
	Channel  string
	URL      string
	DateTime record.Time
}

// EventTime returns the bid's time, so a Bid is a record.Timed.
func (b Bid) EventTime() record.Time { return b.DateTime }

// Event is one generated event; Kind says which part is valid.
type Event struct {
	Kind    Kind
	Person  Person
	Auction Auction
	Bid     Bid
}

// EventTime returns the time of the event's valid part.
func (e *Event) EventTime() record.Time {
	switch e.Kind {
	case KindPerson:
		return e.Person.DateTime
	case KindAuction:
		return e.Auction.DateTime
	}
	return e.Bid.DateTime
}

// Options tunes a Generator; nil means Nexmark's defaults.
type Options struct {
	// Start is the time of the first event (default 2015-07-15T00:00:00Z,
	// the reference generator's base time).
	Start record.Time
	// Gap is the event-time step between consecutive events (default 100 µs).
	Gap time.Duration
	// OutOfOrder bounds how far an event's time may lag the in-order time
	// (default 0: in order).
	OutOfOrder time.Duration
	// HotAuctionRatio, HotBidderRatio and HotSellerRatio: one in ratio bids
	// (or auctions) goes to a random choice, the others to the current hot
	// one (defaults 2, 4 and 4, as in Nexmark).
	HotAuctionRatio int
	HotBidderRatio  int
	HotSellerRatio  int
}

// Nexmark's proportions and in-flight sizes.
const (
	personProportion  = 1
	auctionProportion = 3
	bidProportion     = 46
	totalProportion   = personProportion + auctionProportion + bidProportion

	firstPersonID    = 1000
	firstAuctionID   = 1000
	firstCategoryID  = 10
	numCategories    = 5
	numActivePeople  = 1000
	numInFlight      = 100
	auctionLengthSec = 10
)

// ErrOptions is returned by New for invalid options.
var ErrOptions = errors.New("nexmark: invalid options")

// Generator produces Nexmark events. It is not safe for concurrent use.
type Generator struct {
	rng   *rand.Rand
	opt   Options
	n     int64 // events generated so far
	first [64]string
	last  [64]string
	names []string // first + " " + last, precomputed
	cities, states,
	channels, urls, items, descs, emails, cards []string
}

var (
	usStates   = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	usCities   = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
)

// New returns a Generator for seed with opts (nil for defaults).
func New(seed uint64, opts *Options) (*Generator, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Start == 0 {
		o.Start = record.Time(time.Date(2015, 7, 15, 0, 0, 0, 0, time.UTC).UnixNano())
	}
	if o.Gap == 0 {
		o.Gap = 100 * time.Microsecond
	}
	if o.HotAuctionRatio == 0 {
		o.HotAuctionRatio = 2
	}
	if o.HotBidderRatio == 0 {
		o.HotBidderRatio = 4
	}
	if o.HotSellerRatio == 0 {
		o.HotSellerRatio = 4
	}
	if o.Gap < 0 || o.OutOfOrder < 0 || o.HotAuctionRatio < 1 || o.HotBidderRatio < 1 || o.HotSellerRatio < 1 {
		return nil, fmt.Errorf("%w: %+v", ErrOptions, o)
	}
	g := &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), opt: o}
	for _, f := range firstNames {
		for _, l := range lastNames {
			g.names = append(g.names, f+" "+l)
		}
	}
	g.cities, g.states = usCities, usStates
	for i := range 10_000 {
		g.channels = append(g.channels, fmt.Sprintf("channel-%d", i))
		g.urls = append(g.urls, fmt.Sprintf("https://www.nexmark.com/%s/item.htm?query=1&channel_id=%d", g.randString(5), i))
	}
	for i := range 1000 {
		g.items = append(g.items, g.randString(20))
		g.descs = append(g.descs, g.randString(100))
		g.emails = append(g.emails, fmt.Sprintf("%s@%s.com", g.randString(7), g.randString(5)))
		g.cards = append(g.cards, fmt.Sprintf("%04d %04d %04d %04d", i%10000, (i*7)%10000, (i*13)%10000, (i*31)%10000))
	}
	return g, nil
}

func (g *Generator) randString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + g.rng.IntN(26))
	}
	return string(b)
}

// Count returns the number of events generated so far.
func (g *Generator) Count() int64 { return g.n }

// Next fills e with the next event.
func (g *Generator) Next(e *Event) {
	n := g.n
	g.n++
	t := g.opt.Start + record.Time(n)*record.Time(g.opt.Gap)
	if g.opt.OutOfOrder > 0 {
		t -= record.Time(g.rng.Int64N(int64(g.opt.OutOfOrder) + 1))
	}
	epoch, offset := n/totalProportion, n%totalProportion
	switch {
	case offset < personProportion:
		e.Kind = KindPerson
		g.person(&e.Person, epoch, t)
	case offset < personProportion+auctionProportion:
		e.Kind = KindAuction
		g.auction(&e.Auction, epoch, offset, t)
	default:
		e.Kind = KindBid
		g.bid(&e.Bid, epoch, offset, t)
	}
}

// NextBid advances the stream to its next bid and fills b with it, skipping
// people and auctions. About 46 of every 50 events are bids.
func (g *Generator) NextBid(b *Bid) {
	var e Event
	for {
		g.Next(&e)
		if e.Kind == KindBid {
			*b = e.Bid
			return
		}
	}
}

func (g *Generator) person(p *Person, epoch int64, t record.Time) {
	p.ID = firstPersonID + epoch
	p.Name = g.names[g.rng.IntN(len(g.names))]
	p.EmailAddress = g.emails[g.rng.IntN(len(g.emails))]
	p.CreditCard = g.cards[g.rng.IntN(len(g.cards))]
	p.City = g.cities[g.rng.IntN(len(g.cities))]
	p.State = g.states[g.rng.IntN(len(g.states))]
	p.DateTime = t
}

// lastPerson is the id of the newest person by the given epoch.
func lastPerson(epoch int64) int64 { return firstPersonID + epoch }

// lastAuction is the id of the newest auction opened by (epoch, offset).
func lastAuction(epoch, offset int64) int64 {
	in := offset - personProportion
	if in < 0 {
		in = -1
	} else if in >= auctionProportion {
		in = auctionProportion - 1
	}
	return firstAuctionID + epoch*auctionProportion + in
}

func (g *Generator) auction(a *Auction, epoch, offset int64, t record.Time) {
	a.ID = lastAuction(epoch, offset)
	a.ItemName = g.items[g.rng.IntN(len(g.items))]
	a.Description = g.descs[g.rng.IntN(len(g.descs))]
	a.InitialBid = g.price()
	a.Reserve = a.InitialBid + g.price()
	a.DateTime = t
	a.Expires = t + record.Time(auctionLengthSec*time.Second) + record.Time(g.rng.Int64N(int64(auctionLengthSec*time.Second)))
	if g.rng.IntN(g.opt.HotSellerRatio) > 0 {
		a.Seller = (lastPerson(epoch) / int64(g.opt.HotSellerRatio)) * int64(g.opt.HotSellerRatio)
	} else {
		a.Seller = g.recentPerson(epoch)
	}
	a.Category = firstCategoryID + g.rng.Int64N(numCategories)
}

func (g *Generator) recentPerson(epoch int64) int64 {
	last := lastPerson(epoch)
	n := min(last-firstPersonID+1, numActivePeople)
	return last - g.rng.Int64N(n)
}

func (g *Generator) bid(b *Bid, epoch, offset int64, t record.Time) {
	last := lastAuction(epoch, offset)
	if g.rng.IntN(g.opt.HotAuctionRatio) > 0 {
		b.Auction = (last / int64(g.opt.HotAuctionRatio)) * int64(g.opt.HotAuctionRatio)
		if b.Auction < firstAuctionID {
			b.Auction = firstAuctionID
		}
	} else {
		n := min(last-firstAuctionID+1, numInFlight)
		b.Auction = last - g.rng.Int64N(n)
	}
	if g.rng.IntN(g.opt.HotBidderRatio) > 0 {
		b.Bidder = (lastPerson(epoch)/int64(g.opt.HotBidderRatio))*int64(g.opt.HotBidderRatio) + 1
	} else {
		b.Bidder = g.recentPerson(epoch)
	}
	b.Price = g.price()
	c := g.rng.IntN(len(g.channels))
	b.Channel, b.URL = g.channels[c], g.urls[c]
	b.DateTime = t
}

// price draws a price in cents, log-uniform between 1 and 10^6 dollars, as
// Nexmark does.
func (g *Generator) price() int64 {
	return int64(math.Round(math.Pow(10, g.rng.Float64()*6) * 100))
}
