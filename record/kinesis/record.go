package kinesis

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/rowtime/rowtime/record"
)

// ErrSequenceNumber is wrapped by the error for a sequence number that is
// not a decimal number of at most 57 digits.
var ErrSequenceNumber = errors.New("kinesis: bad sequence number")

// A Seq is a Kinesis sequence number as a number. Kinesis writes them as
// decimal strings (56 digits in practice), too long for an integer; a Seq
// holds up to 192 bits, every number of 57 digits, and compares in a few
// instructions. The zero Seq is 0, below every sequence number Kinesis
// issues.
type Seq struct{ hi, mid, lo uint64 }

const pow10_19 = 10_000_000_000_000_000_000 // 10^19

// ParseSeq parses a decimal sequence number. Leading zeros are allowed;
// anything but digits, an empty string or a number of 2^192 or more is an
// error wrapping [ErrSequenceNumber].
func ParseSeq(s string) (Seq, error) {
	if len(s) == 0 {
		return Seq{}, fmt.Errorf("%w: empty", ErrSequenceNumber)
	}
	var q Seq
	// The leading len%8 digits one by one, then eight at a time, two
	// groups of eight (one multiplication of q) where there are sixteen.
	head := len(s) % 8
	var v uint64
	for i := range head {
		d := s[i] - '0'
		if d > 9 {
			return Seq{}, fmt.Errorf("%w: %q holds a non-digit", ErrSequenceNumber, s)
		}
		v = v*10 + uint64(d)
	}
	q.lo = v
	var bad uint64
	for i := head; i < len(s); {
		x, b := digits8(load8(s, i))
		m := uint64(1e8)
		if i+16 <= len(s) {
			y, b2 := digits8(load8(s, i+8))
			x, m, b = x*1e8+y, 1e16, b|b2
			i += 16
		} else {
			i += 8
		}
		bad |= b
		var carry bool
		if q, carry = q.mulAdd(m, x); carry {
			return Seq{}, fmt.Errorf("%w: %q is too large (at most 57 digits)", ErrSequenceNumber, s)
		}
	}
	if bad != 0 {
		return Seq{}, fmt.Errorf("%w: %q holds a non-digit", ErrSequenceNumber, s)
	}
	return q, nil
}

// load8 returns the eight bytes of s from i as a little-endian word.
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// digits8 parses the eight decimal digits of the word x (the SWAR method
// of Wojciech Muła and Daniel Lemire's fast number parsing): each byte
// less '0', then pairs, quads and the two halves combined by
// multiplications. bad is non-zero when a byte is not a digit: a byte
// below '0' borrows into its top bit, one above '9' carries into it when
// 0x46 (0x7f - '9') is added.
func digits8(x uint64) (v, bad uint64) {
	d := x - 0x3030303030303030
	bad = (d | (x + 0x4646464646464646)) & 0x8080808080808080
	d = d*10 + d>>8
	return ((d&0x000000FF000000FF)*(100+(1000000<<32)) + (d>>16&0x000000FF000000FF)*(1+(10000<<32))) >> 32, bad
}

// mulAdd returns q*m + a and whether it overflowed 192 bits.
func (q Seq) mulAdd(m, a uint64) (Seq, bool) {
	h0, l0 := bits.Mul64(q.lo, m)
	h1, l1 := bits.Mul64(q.mid, m)
	h2, l2 := bits.Mul64(q.hi, m)
	var r Seq
	var c uint64
	r.lo, c = bits.Add64(l0, a, 0)
	r.mid, c = bits.Add64(l1, h0, c)
	r.hi, c = bits.Add64(l2, h1, c)
	return r, c != 0 || h2 != 0
}

// divmod returns q / d and q % d.
func (q Seq) divmod(d uint64) (Seq, uint64) {
	var r Seq
	var rem uint64
	r.hi, rem = bits.Div64(0, q.hi, d)
	r.mid, rem = bits.Div64(rem, q.mid, d)
	r.lo, rem = bits.Div64(rem, q.lo, d)
	return r, rem
}

// Compare returns -1, 0 or +1 as q is below, equal to or above r.
func (q Seq) Compare(r Seq) int {
	switch {
	case q.hi != r.hi:
		return cmp3(q.hi, r.hi)
	case q.mid != r.mid:
		return cmp3(q.mid, r.mid)
	}
	return cmp3(q.lo, r.lo)
}

// Less reports whether q is below r.
func (q Seq) Less(r Seq) bool {
	if q.hi != r.hi {
		return q.hi < r.hi
	}
	if q.mid != r.mid {
		return q.mid < r.mid
	}
	return q.lo < r.lo
}

func cmp3(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// IsZero reports whether q is 0.
func (q Seq) IsZero() bool { return q == Seq{} }

// String returns q in decimal, without leading zeros.
func (q Seq) String() string {
	if q.IsZero() {
		return "0"
	}
	var parts []uint64
	for !q.IsZero() {
		var r uint64
		q, r = q.divmod(pow10_19)
		parts = append(parts, r)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d", parts[len(parts)-1])
	for i := len(parts) - 2; i >= 0; i-- {
		fmt.Fprintf(&b, "%019d", parts[i])
	}
	return b.String()
}

// A Position is where one record sits in a shard: the sequence number of
// the Kinesis record that carried it, and its index among the records that
// Kinesis record fans out into (the user records of a KPL aggregate, the
// log events of a CloudWatch Logs message, the lines of a JSON-lines
// payload). A Kinesis record that holds one record has it at index 0.
// Positions order records the way a shard does.
type Position struct {
	Seq Seq
	Sub uint32
}

// Compare returns -1, 0 or +1 as p is before, at or after q.
func (p Position) Compare(q Position) int {
	if c := p.Seq.Compare(q.Seq); c != 0 {
		return c
	}
	switch {
	case p.Sub < q.Sub:
		return -1
	case p.Sub > q.Sub:
		return 1
	}
	return 0
}

// String returns the position as "sequence/index".
func (p Position) String() string { return fmt.Sprintf("%v/%d", p.Seq, p.Sub) }

// A Record is a Kinesis record as Kinesis delivers it, to a Lambda function
// or to GetRecords: its data (a payload, a KPL aggregate, a gzipped
// CloudWatch Logs message), where it sits in its shard, and when Kinesis
// received it.
type Record struct {
	Data           []byte
	PartitionKey   string
	SequenceNumber string      // as Kinesis writes it
	Seq            Seq         // SequenceNumber parsed
	Arrival        record.Time // ApproximateArrivalTimestamp
	Shard          string      // the shard id, "shardId-000000000000"
}

// FromEvent returns the record of a Lambda Kinesis event record. The shard
// id comes from the event id, "shardId-000000000000:4954…". The data is
// not copied.
func FromEvent(r *events.KinesisEventRecord) (Record, error) {
	seq, err := ParseSeq(r.Kinesis.SequenceNumber)
	if err != nil {
		return Record{}, err
	}
	shard, _, _ := strings.Cut(r.EventID, ":")
	var arrival record.Time
	if t := r.Kinesis.ApproximateArrivalTimestamp.Time; !t.IsZero() {
		arrival, _ = record.FromTime(t) // out of range only for absurd timestamps: 0
	}
	return Record{
		Data:           r.Kinesis.Data,
		PartitionKey:   r.Kinesis.PartitionKey,
		SequenceNumber: r.Kinesis.SequenceNumber,
		Seq:            seq,
		Arrival:        arrival,
		Shard:          shard,
	}, nil
}

// FromSDK returns the record of one GetRecords (or SubscribeToShard)
// result of shard. The data is not copied.
func FromSDK(shard string, r *types.Record) (Record, error) {
	var rec Record
	if r.SequenceNumber != nil {
		rec.SequenceNumber = *r.SequenceNumber
	}
	seq, err := ParseSeq(rec.SequenceNumber)
	if err != nil {
		return Record{}, err
	}
	rec.Seq = seq
	rec.Data = r.Data
	rec.Shard = shard
	if r.PartitionKey != nil {
		rec.PartitionKey = *r.PartitionKey
	}
	if r.ApproximateArrivalTimestamp != nil {
		rec.Arrival, _ = record.FromTime(*r.ApproximateArrivalTimestamp)
	}
	return rec, nil
}
