package auction

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// Names of the two output streams, as in the KDA application.
const (
	SpendStream   = "SPEND_PER_BLOCK_STREAM"
	BiddersStream = "DESTINATION_SQL_STREAM"
)

// Window lengths of the two queries.
const (
	SpendWindow   = 15 * time.Second
	BiddersWindow = 10 * time.Second
)

// Options tunes a Query. A nil *Options means the defaults: no delay, no
// allowed lateness, late records dropped and counted in Stats.
type Options struct {
	// Delay is the allowed out-of-orderness of event time (see window.Options).
	Delay time.Duration
	// Lateness keeps windows open for corrections that long after they are
	// emitted; a correction is emitted again with "update":true.
	Lateness time.Duration
	// Late, if set, receives every record too late for one of the streams,
	// with the stream's name and the operator's error.
	Late func(r Record, stream string, err error)
}

// Query runs the two auction queries over one stream of bids: SUM(Amount) per
// Block per 15-second STEP window, and COUNT_DISTINCT_ITEMS_TUMBLING of
// Bidder per 10-second window. Each result is emitted as one JSON object:
//
//	{"stream":"SPEND_PER_BLOCK_STREAM","window_start":"…","window_end":"…","block":N,"spend":N}
//	{"stream":"DESTINATION_SQL_STREAM","window_start":"…","window_end":"…","NUMBER_OF_DISTINCT_ITEMS":N}
//
// with the window bounds in RFC 3339 with nanoseconds, UTC, and
// "update":true added to a correction under Options.Lateness. Results of one
// call come out in the order the operators complete them: the spend
// windows, then the distinct-count windows. Query implements
// record.Operator[Record, []byte]; the line handed to emit has no trailing
// newline and is valid only during the call.
//
// A Query is not safe for concurrent use.
type Query struct {
	opts    Options
	spend   *window.Agg[Record, int64, int64]
	bidders countOp

	emit      func([]byte)
	buf       []byte
	onSpend   func(window.Result[int64, int64])
	onBidders func(distinct.Result[distinct.NoKey])
}

var _ record.Operator[Record, []byte] = (*Query)(nil)

// countOp is what the Query needs of the COUNT_DISTINCT_ITEMS_TUMBLING
// operator (a *distinct.Counter).
type countOp interface {
	record.Operator[Record, distinct.Result[distinct.NoKey]]
	Stats() window.Stats
	AppendSnapshot(dst []byte) ([]byte, error)
	Restore(data []byte) error
}

// New returns a Query. It fails only for invalid options (a negative Delay
// or Lateness).
func New(opts *Options) (*Query, error) {
	q := &Query{}
	if opts != nil {
		q.opts = *opts
	}
	// SELECT STREAM "Block", SUM("Amount") ... GROUP BY "Block", STEP(... BY INTERVAL '15' SECOND)
	spendOpts := &window.Options[Record]{Delay: q.opts.Delay, Lateness: q.opts.Lateness}
	biddersOpts := &window.Options[Record]{Delay: q.opts.Delay, Lateness: q.opts.Lateness}
	if late := q.opts.Late; late != nil {
		spendOpts.Late = func(r Record, err error) { late(r, SpendStream, err) }
		biddersOpts.Late = func(r Record, err error) { late(r, BiddersStream, err) }
	}
	var err error
	q.spend, err = window.Aggregate(window.Step(SpendWindow),
		func(r Record) int64 { return r.Value.Block },
		aggregate.Sum(func(r Record) int64 { return r.Value.Amount }),
		spendOpts)
	if err != nil {
		return nil, fmt.Errorf("auction: %w", err)
	}
	// COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(...), 'Bidder', 10)
	bidders, err := distinct.CountItems(window.Step(BiddersWindow),
		func(r Record) string { return r.Value.Bidder },
		&distinct.CountOptions[Record]{Options: *biddersOpts})
	if err != nil {
		return nil, fmt.Errorf("auction: %w", err)
	}
	q.bidders = bidders
	q.onSpend = q.spendLine
	q.onBidders = q.biddersLine
	return q, nil
}

func (q *Query) spendLine(r window.Result[int64, int64]) {
	b := q.head(SpendStream, r.Start, r.End)
	b = append(b, `,"block":`...)
	b = strconv.AppendInt(b, r.Key, 10)
	b = append(b, `,"spend":`...)
	b = strconv.AppendInt(b, r.Value, 10)
	q.tail(b, r.Update)
}

func (q *Query) biddersLine(r distinct.Result[distinct.NoKey]) {
	// The operator's own JSON form, with the stream's name in front.
	b := append(q.buf[:0], `{"stream":"`+BiddersStream+`",`...)
	at := len(b)
	b, err := r.AppendJSON(b)
	if err != nil { // only a key can fail to encode, and there is none
		panic(err)
	}
	b = append(b[:at], b[at+1:]...) // drop the operator's opening brace
	q.buf = b
	q.emit(b)
}

func (q *Query) head(stream string, start, end record.Time) []byte {
	b := append(q.buf[:0], `{"stream":"`...)
	b = append(b, stream...)
	b = append(b, `","window_start":`...)
	b = cli.AppendTime(b, start)
	b = append(b, `,"window_end":`...)
	return cli.AppendTime(b, end)
}

func (q *Query) tail(b []byte, update bool) {
	if update {
		b = append(b, `,"update":true`...)
	}
	b = append(b, '}')
	q.buf = b
	q.emit(b)
}

// run calls f with emit installed for the result callbacks.
func (q *Query) run(emit func([]byte), f func() error) error {
	prev := q.emit
	q.emit = emit
	err := f()
	q.emit = prev
	return err
}

// Push takes one bid into both queries and emits the results it completes.
// An error names the stream whose operator refused the record (a window
// bound out of the range of record.Time).
func (q *Query) Push(r Record, emit func([]byte)) error {
	prev := q.emit
	q.emit = emit
	err1 := q.spend.Push(r, q.onSpend)
	err2 := q.bidders.Push(r, q.onBidders)
	q.emit = prev
	return joinStreams(err1, err2)
}

// Advance moves both queries' watermark to wm and emits what that completes.
func (q *Query) Advance(wm record.Time, emit func([]byte)) error {
	return q.run(emit, func() error {
		return joinStreams(q.spend.Advance(wm, q.onSpend), q.bidders.Advance(wm, q.onBidders))
	})
}

// Flush emits every open window of both queries: the end of input.
func (q *Query) Flush(emit func([]byte)) error {
	return q.run(emit, func() error {
		return joinStreams(q.spend.Flush(q.onSpend), q.bidders.Flush(q.onBidders))
	})
}

func joinStreams(spend, bidders error) error {
	if spend != nil {
		spend = fmt.Errorf("auction: %s: %w", SpendStream, spend)
	}
	if bidders != nil {
		bidders = fmt.Errorf("auction: %s: %w", BiddersStream, bidders)
	}
	return errors.Join(spend, bidders)
}

// Stats is what the two operators of a Query have seen and hold.
type Stats struct {
	Spend   window.Stats // SPEND_PER_BLOCK_STREAM
	Bidders window.Stats // DESTINATION_SQL_STREAM
}

// Stats returns the operators' stats.
func (q *Query) Stats() Stats {
	return Stats{Spend: q.spend.Stats(), Bidders: q.bidders.Stats()}
}

// ErrSnapshot is wrapped by the errors of Restore.
var ErrSnapshot = errors.New("auction: bad snapshot")

// AppendSnapshot appends the state of both operators to dst, taken
// together by record.AppendSnapshot. The operators' snapshots carry their
// parameters, so a snapshot restores only into a Query built with the same
// options.
func (q *Query) AppendSnapshot(dst []byte) ([]byte, error) {
	out, err := record.AppendSnapshot(dst, q.spend, q.bidders)
	if err != nil {
		return out, fmt.Errorf("auction: snapshot: %w", err)
	}
	return out, nil
}

// Restore replaces the Query's state with a snapshot written by
// AppendSnapshot. On error (truncated or corrupt data, a snapshot of
// operators with other parameters) the Query is unchanged, as
// record.RestoreSnapshot leaves it; the error wraps ErrSnapshot and the
// operator's own error.
func (q *Query) Restore(data []byte) error {
	if err := record.RestoreSnapshot(data, q.spend, q.bidders); err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	return nil
}
