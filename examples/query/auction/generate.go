package auction

import (
	"encoding/hex"
	"math/rand/v2"

	"github.com/rowtime/rowtime/record"
)

// Parameters of the generated workload.
const (
	Bidders       = 10 // bidder addresses
	BidsPerBlock  = 10 // transactions in one block (one producer batch)
	OpenAuctions  = 3  // auctions taking bids at any time
	OwnerBidRate  = 20 // one bid in OwnerBidRate is the contract owner's own
	FirstBlock    = 7_000_000
	MinBlockGapS  = 12 // seconds between blocks, uniform in [MinBlockGapS, MaxBlockGapS]
	MaxBlockGapS  = 18
	bidsPerAuctMn = 40 // an auction takes between these many bids
	bidsPerAuctMx = 120
)

// Start is the event time of the first generated block: 2026-01-27 00:00:00
// UTC, the day Kinesis Data Analytics for SQL stopped running.
const Start = record.Time(1769472000 * 1e9)

// Generator produces the blockchain auction workload deterministically from
// its seed: blocks about every 15 s (12 to 18 s apart, in event time), each
// holding BidsPerBlock bids stamped with the block's time, by ten bidder
// addresses on OpenAuctions auctions at a time, where the contract owner
// sometimes bids on their own auction. A bid raises the price by a random
// step, or now and then falls short of the current maximum (the contract
// then keeps its Maxbidder). Records come out in event-time order.
type Generator struct {
	rng      *rand.Rand
	bidders  [Bidders]string
	owners   [OpenAuctions + 1]string
	auctions [OpenAuctions]auctionState
	block    int64
	hash     string
	t        record.Time
	inBlock  int // bids already generated in the current block
}

type auctionState struct {
	addr, owner string
	maxBid      int64
	maxBidder   string
	bidsLeft    int
}

// NewGenerator returns a generator for seed.
func NewGenerator(seed uint64) *Generator {
	g := &Generator{rng: rand.New(rand.NewPCG(seed, 0x6175637469_6f6e))}
	for i := range g.bidders {
		g.bidders[i] = g.address()
	}
	for i := range g.owners {
		g.owners[i] = g.address()
	}
	for i := range g.auctions {
		g.newAuction(i)
	}
	g.block = FirstBlock - 1
	g.t = Start
	g.inBlock = BidsPerBlock
	return g
}

// Next returns the next bid.
func (g *Generator) Next() Record {
	if g.inBlock == BidsPerBlock {
		if g.block >= FirstBlock {
			g.t += record.Time(MinBlockGapS+g.rng.IntN(MaxBlockGapS-MinBlockGapS+1)) * 1e9
		}
		g.block++
		g.hash = g.hex(32)
		g.inBlock = 0
	}
	g.inBlock++
	i := g.rng.IntN(OpenAuctions)
	a := &g.auctions[i]
	bidder := g.bidders[g.rng.IntN(Bidders)]
	if g.rng.IntN(OwnerBidRate) == 0 {
		bidder = a.owner
	}
	var amount int64
	if a.maxBid > 0 && g.rng.IntN(8) == 0 {
		amount = 1 + g.rng.Int64N(a.maxBid) // falls short
	} else {
		amount = a.maxBid + 1 + g.rng.Int64N(50)
	}
	if amount > a.maxBid {
		a.maxBid, a.maxBidder = amount, bidder
	}
	r := Record{Time: g.t, Value: Bid{
		Block:         g.block,
		Blockhash:     g.hash,
		Bidder:        bidder,
		Maxbidder:     a.maxBidder,
		Contractowner: a.owner,
		Auction:       a.addr,
		Amount:        amount,
	}}
	if a.bidsLeft--; a.bidsLeft == 0 {
		g.newAuction(i)
	}
	return r
}

func (g *Generator) newAuction(i int) {
	g.auctions[i] = auctionState{
		addr:     g.address(),
		owner:    g.owners[g.rng.IntN(len(g.owners))],
		bidsLeft: bidsPerAuctMn + g.rng.IntN(bidsPerAuctMx-bidsPerAuctMn+1),
	}
}

func (g *Generator) address() string { return g.hex(20) }

func (g *Generator) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
	return "0x" + hex.EncodeToString(b)
}

// Generate returns the first n records of the workload for seed.
func Generate(seed uint64, n int) []Record {
	g := NewGenerator(seed)
	out := make([]Record, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}
