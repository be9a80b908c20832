package trending

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// Event is an action joined to its user's group: what the windowed
// operators see.
type Event struct {
	Time    record.Time
	Article int64
	Click   bool // a click; otherwise an impression
	Group   Group
}

// EventTime returns e.Time.
func (e Event) EventTime() record.Time { return e.Time }

// Join returns the event of r with its user looked up in users (a left
// join: an unknown user gives a zero Group).
func Join(users *Users, r Record) Event {
	return Event{Time: r.Time, Article: r.Value.ArticleID, Click: r.Value.Action == Click, Group: users.Lookup(r.Value.UserID)}
}

// Key is the GROUP BY key of the query: (gender, segment_id, article_id).
type Key struct {
	Group
	Article int64
}

// KeyOf returns the key of e.
func KeyOf(e Event) Key { return Key{Group: e.Group, Article: e.Article} }

// State is the accumulator of Counts: impressions in X, clicks in Y.
type State = aggregate.PairState[int64, int64]

// Counts is the result of Counts: impressions in First, clicks in Second.
type Counts = aggregate.PairResult[int64, int64]

// CountsFunc returns the aggregate of the query, the conditional counts
//
//	SUM(CASE WHEN action = 'impression' THEN 1 ELSE 0 END) AS impression,
//	SUM(CASE WHEN action = 'click' THEN 1 ELSE 0 END) AS click
//
// Its Merge combines the partial states of several shards (see Partial).
func CountsFunc() aggregate.Func[Event, State, Counts] {
	return aggregate.Pair(
		aggregate.Where(func(e Event) bool { return !e.Click }, aggregate.Count[Event]()),
		aggregate.Where(func(e Event) bool { return e.Click }, aggregate.Count[Event]()),
	)
}

// Window is the query's window, FLOOR(ROWTIME TO MINUTE).
var Window = window.Floor(window.Minute)

// Partial returns the windowed operator of one shard: per one-minute window
// and Key, the State of CountsFunc itself rather than its result, so that a
// consumer reading several shards merges the states of one (window, key)
// with CountsFunc().Merge and takes CountsFunc().Result of the merge. The
// states carry everything: merging partials gives exactly the counts of one
// operator fed every shard.
func Partial(opts *window.Options[Event]) (*window.Agg[Event, Key, State], error) {
	return window.Aggregate(Window, KeyOf, aggregate.Partial(CountsFunc()), opts)
}

// AppendLine appends the JSON form of one result of the query:
//
//	{"window_start":"…","window_end":"…","gender":"female","segment_id":3,"article_id":17,"impression":40,"click":4}
//
// with null gender and segment_id for users not in the table, and
// "update":true added for a correction under allowed lateness.
func AppendLine(dst []byte, r window.Result[Key, Counts]) []byte {
	dst = append(dst, `{"window_start":`...)
	dst = cli.AppendTime(dst, r.Start)
	dst = append(dst, `,"window_end":`...)
	dst = cli.AppendTime(dst, r.End)
	if r.Key.Known {
		dst = append(dst, `,"gender":`...)
		dst = cli.AppendString(dst, r.Key.Gender)
		dst = append(dst, `,"segment_id":`...)
		dst = strconv.AppendInt(dst, r.Key.Segment, 10)
	} else {
		dst = append(dst, `,"gender":null,"segment_id":null`...)
	}
	dst = append(dst, `,"article_id":`...)
	dst = strconv.AppendInt(dst, r.Key.Article, 10)
	dst = append(dst, `,"impression":`...)
	dst = strconv.AppendInt(dst, r.Value.First, 10)
	dst = append(dst, `,"click":`...)
	dst = strconv.AppendInt(dst, r.Value.Second, 10)
	if r.Update {
		dst = append(dst, `,"update":true`...)
	}
	return append(dst, '}')
}

// Names of the output streams, for Options.Late and errors.
const (
	CountsStream = "DESTINATION_SQL_STREAM"
	TopStream    = "TOP_K"
)

// Options tunes a Query. A nil *Options means the defaults: no delay, no
// allowed lateness, no top-K, late records dropped and counted in Stats.
type Options struct {
	// Delay is the allowed out-of-orderness of event time.
	Delay time.Duration
	// Lateness keeps windows open for corrections that long after they are
	// emitted; a correction is emitted again with "update":true.
	Lateness time.Duration
	// TopK, when positive, adds the TopK most-clicked articles of each
	// minute to the output.
	TopK int
	// TopCapacity is the number of counters of each minute's top-K summary
	// (Space-Saving): at least TopK; 0 means 10·TopK. The counts are exact
	// while a minute has clicks on at most TopCapacity articles; beyond, an
	// ITEM_COUNT may overcount (never undercount) by up to clicks/TopCapacity.
	TopCapacity int
	// Late, if set, receives every event too late for one of the streams,
	// with the stream's name and the operator's error.
	Late func(e Event, stream string, err error)
}

// Query runs the news query over one stream of actions: the left join to
// the users table, then the counts per minute per Key (and, with
// Options.TopK, the most-clicked articles per minute). It implements
// record.Operator[Record, []byte]: each result is emitted as one JSON object
// (see AppendLine, AppendTopLine), without a trailing newline, valid only
// during the call. Results that close together come out counts first, then
// top-K.
//
// A Query is not safe for concurrent use.
type Query struct {
	opts   Options
	users  *Users
	counts *window.Agg[Event, Key, Counts]
	top    *topK

	emit     func([]byte)
	buf      []byte
	onCounts func(window.Result[Key, Counts])
}

var _ record.Operator[Record, []byte] = (*Query)(nil)

// New returns a Query joining to users (nil: an empty table, so every user
// is unknown). It fails for invalid options.
func New(users *Users, opts *Options) (*Query, error) {
	q := &Query{users: users}
	if opts != nil {
		q.opts = *opts
	}
	if q.opts.TopK < 0 || q.opts.TopCapacity < 0 {
		return nil, fmt.Errorf("trending: TopK and TopCapacity must be ≥ 0, got %d and %d", q.opts.TopK, q.opts.TopCapacity)
	}
	wo := &window.Options[Event]{Delay: q.opts.Delay, Lateness: q.opts.Lateness}
	if late := q.opts.Late; late != nil {
		wo.Late = func(e Event, err error) { late(e, CountsStream, err) }
	}
	var err error
	q.counts, err = window.Aggregate(Window, KeyOf, CountsFunc(), wo)
	if err != nil {
		return nil, fmt.Errorf("trending: %w", err)
	}
	if q.opts.TopK > 0 {
		q.top, err = newTopK(q)
		if err != nil {
			return nil, fmt.Errorf("trending: %w", err)
		}
	}
	q.onCounts = q.countsLine
	return q, nil
}

func (q *Query) countsLine(r window.Result[Key, Counts]) {
	q.buf = AppendLine(q.buf[:0], r)
	q.emit(q.buf)
}

// Push joins one action to its user and takes it into the query.
func (q *Query) Push(r Record, emit func([]byte)) error {
	e := Join(q.users, r)
	prev := q.emit
	q.emit = emit
	err := q.counts.Push(e, q.onCounts)
	var terr error
	if q.top != nil {
		terr = q.top.push(e)
	}
	q.emit = prev
	return joinStreams(err, terr)
}

// Advance moves the watermark of the query to wm and emits what that
// completes.
func (q *Query) Advance(wm record.Time, emit func([]byte)) error {
	prev := q.emit
	q.emit = emit
	err := q.counts.Advance(wm, q.onCounts)
	var terr error
	if q.top != nil {
		terr = q.top.advance(wm)
	}
	q.emit = prev
	return joinStreams(err, terr)
}

// Flush emits every open window: the end of input.
func (q *Query) Flush(emit func([]byte)) error {
	prev := q.emit
	q.emit = emit
	err := q.counts.Flush(q.onCounts)
	var terr error
	if q.top != nil {
		terr = q.top.flush()
	}
	q.emit = prev
	return joinStreams(err, terr)
}

func joinStreams(counts, top error) error {
	if counts != nil {
		counts = fmt.Errorf("trending: %s: %w", CountsStream, counts)
	}
	if top != nil {
		top = fmt.Errorf("trending: %s: %w", TopStream, top)
	}
	return errors.Join(counts, top)
}

// Stats is what the operators of a Query have seen and hold.
type Stats struct {
	Counts window.Stats
	Top    window.Stats // zero without Options.TopK
}

// Stats returns the operators' stats.
func (q *Query) Stats() Stats {
	s := Stats{Counts: q.counts.Stats()}
	if q.top != nil {
		s.Top = q.top.stats()
	}
	return s
}

// ErrSnapshot is wrapped by the errors of Restore.
var ErrSnapshot = errors.New("trending: bad snapshot")

// AppendSnapshot appends the state of the query's operators to dst, taken
// together by record.AppendSnapshot. The users table is not in it: it is reference data, loaded again by the
// process that restores.
func (q *Query) AppendSnapshot(dst []byte) ([]byte, error) {
	parts := []any{q.counts}
	if q.top != nil {
		parts = append(parts, q.top.op)
	}
	out, err := record.AppendSnapshot(dst, parts...)
	if err != nil {
		return out, fmt.Errorf("trending: snapshot: %w", err)
	}
	return out, nil
}

// Restore replaces the Query's state with a snapshot written by
// AppendSnapshot of a Query built with the same options. On error the Query
// is unchanged; the error wraps ErrSnapshot and the operator's own error.
func (q *Query) Restore(data []byte) error {
	fresh, err := New(q.users, &q.opts)
	if err != nil {
		return err
	}
	parts := []any{fresh.counts}
	if fresh.top != nil {
		parts = append(parts, fresh.top.op)
	}
	if err := record.RestoreSnapshot(data, parts...); err != nil {
		return fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	q.counts = fresh.counts
	if q.top != nil {
		fresh.top.q = q
		fresh.top.onItem = fresh.top.line
		q.top = fresh.top
	}
	return nil
}
