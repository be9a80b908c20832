package auction

import (
	"strconv"

	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/record"
)

// Bid is one bid on an auction contract, as the producer of the blockchain
// example writes it. Its event time, the payload's EventTimestamp field (Unix
// seconds, as a string or a number), is the Time of the record.Of[Bid] that
// carries it.
type Bid struct {
	Block         int64  `json:"Block"`
	Blockhash     string `json:"Blockhash"`
	Bidder        string `json:"Bidder"`
	Maxbidder     string `json:"Maxbidder"`
	Contractowner string `json:"Contractowner"`
	Auction       string `json:"Auction"`
	Amount        int64  `json:"Amount"`
}

// Record is a bid with its event time.
type Record = record.Of[Bid]

// TimeField is the payload field that holds the event time, in Unix seconds.
const TimeField = "EventTimestamp"

// AppendJSON appends r as one payload of the blockchain example: a JSON
// object with the fields of Bid and EventTimestamp in whole Unix seconds, as
// a number (the fraction of a second, if any, is dropped: floor).
func AppendJSON(dst []byte, r Record) []byte {
	b := &r.Value
	dst = append(dst, `{"Block":`...)
	dst = strconv.AppendInt(dst, b.Block, 10)
	dst = append(dst, `,"Blockhash":`...)
	dst = cli.AppendString(dst, b.Blockhash)
	dst = append(dst, `,"Bidder":`...)
	dst = cli.AppendString(dst, b.Bidder)
	dst = append(dst, `,"Maxbidder":`...)
	dst = cli.AppendString(dst, b.Maxbidder)
	dst = append(dst, `,"Contractowner":`...)
	dst = cli.AppendString(dst, b.Contractowner)
	dst = append(dst, `,"Auction":`...)
	dst = cli.AppendString(dst, b.Auction)
	dst = append(dst, `,"Amount":`...)
	dst = strconv.AppendInt(dst, b.Amount, 10)
	dst = append(dst, `,"EventTimestamp":`...)
	dst = strconv.AppendInt(dst, record.FloorDiv(int64(r.Time), 1e9), 10)
	return append(dst, '}')
}
