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
	bidders *distinct.Counter[Record, distinct.NoKey, string]
	pipe    record.Operator[Record, []byte] // the two pumps, fed by a Tee
	buf     []byte
}

var _ record.Operator[Record, []byte] = (*Query)(nil)

// New returns a Query. It fails only for invalid options (a negative Delay
// or Lateness).
func New(opts *Options) (*Query, error) {
	q := &Query{}
	if opts != nil {
		q.opts = *opts
	}
	spendOpts := &window.Options[Record]{Delay: q.opts.Delay, Lateness: q.opts.Lateness}
	biddersOpts := &window.Options[Record]{Delay: q.opts.Delay, Lateness: q.opts.Lateness}
	if late := q.opts.Late; late != nil {
		spendOpts.Late = func(r Record, err error) { late(r, SpendStream, err) }
		biddersOpts.Late = func(r Record, err error) { late(r, BiddersStream, err) }
	}

	// SELECT STREAM "Block", SUM("Amount") AS spend FROM "SOURCE_SQL_STREAM_001"
	// GROUP BY "Block", STEP(ROWTIME BY INTERVAL '15' SECOND)
	spend, err := window.Aggregate(window.Step(SpendWindow),
		func(r Record) int64 { return r.Value.Block },
		aggregate.Sum(func(r Record) int64 { return r.Value.Amount }),
		spendOpts)
	if err != nil {
		return nil, fmt.Errorf("auction: %w", err)
	}

	// SELECT STREAM * FROM TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(
	//   CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 'Bidder', 10))
	bidders, err := distinct.CountItems(window.Step(BiddersWindow),
		func(r Record) string { return r.Value.Bidder },
		&distinct.CountOptions[Record]{Options: *biddersOpts})
	if err != nil {
		return nil, fmt.Errorf("auction: %w", err)
	}

	// The two pumps: each query's results become the JSON lines of its
	// stream, and a Tee feeds every bid to both, the spend first.
	q.spend, q.bidders = spend, bidders
	q.pipe = record.Tee(
		record.Then(spend, record.Map(q.spendLine)),
		record.Then(bidders, record.Map(q.biddersLine)),
	)
	return q, nil
}

// spendLine is the JSON line of a SPEND_PER_BLOCK_STREAM result.
func (q *Query) spendLine(r window.Result[int64, int64]) []byte {
	b := append(q.buf[:0], `{"stream":"`+SpendStream+`","window_start":`...)
	b = cli.AppendTime(b, r.Start)
	b = append(b, `,"window_end":`...)
	b = cli.AppendTime(b, r.End)
	b = append(b, `,"block":`...)
	b = strconv.AppendInt(b, r.Key, 10)
	b = append(b, `,"spend":`...)
	b = strconv.AppendInt(b, r.Value, 10)
	if r.Update {
		b = append(b, `,"update":true`...)
	}
	q.buf = append(b, '}')
	return q.buf
}

// biddersLine is the JSON line of a DESTINATION_SQL_STREAM result: the
// operator's own JSON form, with the stream's name in front.
func (q *Query) biddersLine(r distinct.Result[distinct.NoKey]) []byte {
	b := append(q.buf[:0], `{"stream":"`+BiddersStream+`",`...)
	at := len(b)
	b, err := r.AppendJSON(b)
	if err != nil { // only a key can fail to encode, and there is none
		panic(err)
	}
	q.buf = append(b[:at], b[at+1:]...) // drop the operator's opening brace
	return q.buf
}

// Push takes one bid into both queries and emits the results it completes.
// An error names the stream whose operator refused the record (a window
// bound out of the range of record.Time).
func (q *Query) Push(r Record, emit func([]byte)) error {
	return streamErr(q.pipe.Push(r, emit))
}

// Advance moves both queries' watermark to wm and emits what that completes.
func (q *Query) Advance(wm record.Time, emit func([]byte)) error {
	return streamErr(q.pipe.Advance(wm, emit))
}

// Flush emits every open window of both queries: the end of input.
func (q *Query) Flush(emit func([]byte)) error {
	return streamErr(q.pipe.Flush(emit))
}

// streamErr names the stream of each operator error in err, which the Tee
// numbers by its stages (1 for the spend, 2 for the bidders). The
// *record.StageError stays in the chain, so that record.IsRefused still
// tells a refusal.
func streamErr(err error) error {
	if err == nil {
		return nil
	}
	var stages []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		stages = j.Unwrap()
	} else {
		stages = []error{err}
	}
	named := make([]error, len(stages))
	for i, e := range stages {
		stream := "?"
		var se *record.StageError
		if errors.As(e, &se) {
			stream = [...]string{SpendStream, BiddersStream}[se.Stage-1]
		}
		named[i] = fmt.Errorf("auction: %s: %w", stream, e)
	}
	if len(named) == 1 {
		return named[0]
	}
	return errors.Join(named...)
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

// AppendSnapshot appends the state of the pipeline to dst, with
// record.AppendSnapshot. The operators' snapshots carry their parameters,
// so a snapshot restores only into a Query built with the same options.
func (q *Query) AppendSnapshot(dst []byte) ([]byte, error) {
	out, err := record.AppendSnapshot(dst, q.pipe)
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
	if err := record.RestoreSnapshot(data, q.pipe); err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	return nil
}
