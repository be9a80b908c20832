package kinesis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
	"github.com/rowtime/rowtime/window"
)

// Errors of the handler and the loop.
var (
	// ErrFuture is the reason of a dead letter stamped further ahead of
	// the wall clock than MaxSkew allows: taken, it would move the
	// watermark there and make every later record late.
	ErrFuture = errors.New("kinesis: record time too far ahead of the clock")
	// ErrState reports saved state that cannot be used: corrupt,
	// truncated, of another format, or of another query (its descriptor
	// differs). Such state is never overwritten: the batch is retried.
	ErrState = errors.New("kinesis: unusable state")
	// ErrWindowState reports a time-window state map this handler did not
	// write (an older version's): it goes to the dead letters, and the
	// window goes on with fresh state.
	ErrWindowState = errors.New("kinesis: time-window state map of an unknown format")
	// errDeadline stops a batch when too little of the invocation is left
	// to save the state.
	errDeadline = errors.New("kinesis: invocation deadline near, batch cut short")
)

// HandlerOptions configure a Handler. Results is required; the zero
// values of the other fields are the defaults.
type HandlerOptions[Out any] struct {
	// Store keeps each shard's state between invocations. Nil means a
	// FileStore in /tmp/rowtime-state: the execution environment's own
	// disk, which a cold start does not see; use a DynamoDBStore (or an
	// EFS FileStore) in production.
	Store Store
	// Results receives the query's results, after the state that
	// produced them is saved. Required.
	Results Output
	// DeadLetters receives the records that can never be processed, as
	// JSON lines (see DeadLetter). Nil means os.Stderr.
	DeadLetters Output
	// Encode appends one result as a JSON line (without the newline).
	// Nil means: a []byte result as it is, anything else with
	// encoding/json.
	Encode func(dst []byte, out Out) ([]byte, error)

	// Ledger configures the exactly-once bookkeeping (see LedgerOptions);
	// set Ordered with ParallelizationFactor 1. Ledger.Name names the
	// query: state saved under another name is refused.
	Ledger LedgerOptions

	// Reserve is the time kept before the invocation's deadline to save
	// the state and write the output; when less remains, the handler
	// stops taking records and reports the rest for retry (it always
	// takes at least one record). Zero adapts it: three times the longest
	// save and write seen, at least 50 ms, at most 2 s and at most a
	// quarter of the invocation's time.
	Reserve time.Duration
	// MaxSkew is how far a record's time may be ahead of the wall clock;
	// a record beyond it is a dead letter (ErrFuture). Zero means one
	// hour; negative turns the guard off.
	MaxSkew time.Duration
	// CaughtUp is how recent the last record of a batch must have
	// arrived (its ApproximateArrivalTimestamp) for the shard to count as
	// caught up: its watermark then advances with the wall clock minus
	// Delay, so the last windows of a quiet shard close. A backfill, far
	// behind, never advances by the clock. Zero means 10 s; negative
	// turns it off.
	CaughtUp time.Duration
	// Delay is the query's allowed out-of-orderness, subtracted from the
	// clock for that progress.
	Delay time.Duration
	// WindowStateLimit is the size of the base64 state of a time-window
	// invocation above which it goes to the Store and the event's state
	// map carries only its key. Lambda ends a window early when its state
	// passes 1 MB. Zero means 900 KiB.
	WindowStateLimit int

	// NoMetrics turns off the metrics: one CloudWatch Embedded Metric
	// Format line per batch (records, duplicates, late, dead letters,
	// windows emitted, state bytes) to Metrics.
	NoMetrics bool
	// Metrics receives the metric lines. Nil means os.Stdout; a Results
	// writing to the same writer is refused, so results never mix with
	// metrics.
	Metrics io.Writer
	// Namespace is the metrics' CloudWatch namespace. Empty means
	// "rowtime".
	Namespace string
	// Log receives one line per notable event. Nil means os.Stderr.
	Log io.Writer
	// AfterSave, if set, runs after a batch's state is saved and before
	// its results are written: a hook for tests that kill the process
	// there.
	AfterSave func()
	// Now is the wall clock; nil means time.Now.
	Now func() time.Time
}

// A Handler is a Lambda function over Kinesis: each invocation's records
// are decoded by its Format and run, exactly once, through the shard's
// query, whose state is kept in a Store between invocations; results and
// dead letters are written after the state that produced them is saved.
//
//	h, err := kinesis.NewHandler(format, newQuery, &kinesis.HandlerOptions[[]byte]{Results: out})
//	lambda.Start(h.Handle)
//
// It answers events.KinesisEvent (one batch of one shard; state in the
// Store) and events.KinesisTimeWindowEvent (Lambda's tumbling windows;
// state in the event). Map the function with ReportBatchItemFailures
// on. Handle may be called concurrently: invocations are served one at a
// time (the Lambda Go runtime never does otherwise in one execution
// environment).
type Handler[T, Out any] struct {
	mu       sync.Mutex
	format   Format[T]
	newQuery func() (record.Operator[record.Of[T], Out], error)
	opts     HandlerOptions[Out]
	desc     *record.Descriptor
	cache    map[string]*hstate[T, Out]
	cost     time.Duration // the longest save and write seen
	items    []Item[T]
	line     []byte
}

// hstate is the live state of one shard.
type hstate[T, Out any] struct {
	saved handlerState
	once  *Once[record.Of[T], Out]
	key   string
	ver   Version
	data  []byte // the bytes the state was loaded from or last saved as
}

// handlerState is what survives between invocations for one shard, in
// the record codec inside a snapshot envelope.
type handlerState struct {
	Shard      string
	Batch      uint64 // outboxes named so far
	OutboxName string // name of the pending output, "" if none
	Results    []byte // pending result lines
	Dead       []byte // pending dead-letter lines
	// Time-window invocations: the window and the first and last record
	// taken in it (which name its outputs).
	WindowStart     int64
	FirstSeq        string
	LastSeq         string
	Records, Deaths uint64
	Query           []byte // the Once snapshot
}

func (s *handlerState) hasOutbox() bool { return len(s.Results) > 0 || len(s.Dead) > 0 }

// NewHandler returns a handler that decodes records with format and runs
// them through a query built by newQuery for each shard; the query must
// implement record.Snapshotter.
func NewHandler[T, Out any](format Format[T], newQuery func() (record.Operator[record.Of[T], Out], error), opts *HandlerOptions[Out]) (*Handler[T, Out], error) {
	h := &Handler[T, Out]{format: format, newQuery: newQuery}
	if opts != nil {
		h.opts = *opts
	}
	o := &h.opts
	if o.Results == nil {
		return nil, errors.New("kinesis: NewHandler: no Results output")
	}
	if o.Store == nil {
		o.Store = FileStore{Dir: "/tmp/rowtime-state"}
	}
	if o.DeadLetters == nil {
		o.DeadLetters = &WriterOutput{W: os.Stderr}
	}
	if o.Metrics == nil {
		o.Metrics = os.Stdout
	}
	if w, ok := o.Results.(*WriterOutput); ok && !o.NoMetrics && w.W == o.Metrics {
		return nil, errors.New("kinesis: NewHandler: results and metrics would go to the same writer; give Metrics another, or set NoMetrics")
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Namespace == "" {
		o.Namespace = "rowtime"
	}
	if o.MaxSkew == 0 {
		o.MaxSkew = time.Hour
	}
	if o.CaughtUp == 0 {
		o.CaughtUp = 10 * time.Second
	}
	if o.WindowStateLimit <= 0 {
		o.WindowStateLimit = 900 << 10
	}
	if o.Encode == nil {
		o.Encode = encodeDefault[Out]
	}
	if _, err := h.newOnce(); err != nil {
		return nil, err
	}
	h.desc = record.NewDescriptor("kinesis.Handler").Schema(o.Ledger.Name)
	return h, nil
}

func encodeDefault[Out any](dst []byte, out Out) ([]byte, error) {
	if b, ok := any(out).([]byte); ok {
		return append(dst, b...), nil
	}
	b, err := json.Marshal(out)
	return append(dst, b...), err
}

func (h *Handler[T, Out]) newOnce() (*Once[record.Of[T], Out], error) {
	q, err := h.newQuery()
	if err != nil {
		return nil, err
	}
	return NewOnce(q, &h.opts.Ledger)
}

func (h *Handler[T, Out]) logf(format string, args ...any) {
	fmt.Fprintf(h.opts.Log, "rowtime: "+format+"\n", args...)
}

// Handle handles one invocation: it tells a time-window event (which
// carries a window and a shard id) from a plain Kinesis event.
// lambda.Start(h.Handle) is the whole of a function's main.
func (h *Handler[T, Out]) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	var probe struct {
		Window  *json.RawMessage `json:"window"`
		ShardID *string          `json:"shardId"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, fmt.Errorf("kinesis: event is not a JSON object: %w", err)
	}
	if probe.Window != nil || probe.ShardID != nil {
		var ev events.KinesisTimeWindowEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("kinesis: decoding time-window event: %w", err)
		}
		return h.HandleWindow(ctx, ev)
	}
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("kinesis: decoding Kinesis event: %w", err)
	}
	return h.HandleStream(ctx, ev)
}

// encode returns the state's bytes, with a fresh snapshot of the query.
func (h *Handler[T, Out]) encode(st *hstate[T, Out]) ([]byte, error) {
	snap, err := st.once.AppendSnapshot(nil)
	if err != nil {
		return nil, err
	}
	saved := st.saved
	saved.Query = snap
	buf := record.BeginSnapshot(nil, h.desc)
	buf, err = codec.Append(buf, saved)
	if err != nil {
		return nil, fmt.Errorf("kinesis: encoding state: %w", err)
	}
	return record.EndSnapshot(buf, 0), nil
}

// decode rebuilds a shard's state from its bytes, restoring the query
// into a fresh one.
func (h *Handler[T, Out]) decode(key string, data []byte, ver Version) (*hstate[T, Out], error) {
	body, err := record.OpenSnapshot(data, h.desc)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrState, key, err)
	}
	var saved handlerState
	n, err := codec.Read(body, &saved)
	if err == nil && n != len(body) {
		err = fmt.Errorf("%d bytes after the state", len(body)-n)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrState, key, err)
	}
	once, err := h.newOnce()
	if err != nil {
		return nil, err
	}
	if err := once.Restore(saved.Query); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrState, key, err)
	}
	saved.Query = nil
	return &hstate[T, Out]{saved: saved, once: once, key: key, ver: ver, data: data}, nil
}

// fresh returns the empty state of a new shard.
func (h *Handler[T, Out]) fresh(key, shard string) (*hstate[T, Out], error) {
	once, err := h.newOnce()
	if err != nil {
		return nil, err
	}
	return &hstate[T, Out]{saved: handlerState{Shard: shard}, once: once, key: key}, nil
}

// load returns the state under key: the warm copy, the saved one on a
// cold start, or a fresh one for a new shard.
func (h *Handler[T, Out]) load(ctx context.Context, key, shard string) (*hstate[T, Out], error) {
	if st, ok := h.cache[key]; ok {
		return st, nil
	}
	data, ver, err := h.opts.Store.Load(ctx, key)
	var st *hstate[T, Out]
	switch {
	case errors.Is(err, ErrNotFound):
		st, err = h.fresh(key, shard)
	case err != nil:
		return nil, err
	default:
		st, err = h.decode(key, data, ver)
	}
	if err != nil {
		return nil, err
	}
	if h.cache == nil {
		h.cache = map[string]*hstate[T, Out]{}
	}
	h.cache[key] = st
	return st, nil
}

// batchStats counts one batch, for the metrics.
type batchStats struct {
	records, dups, dead, late, control, emitted int
}

// reserve returns the time kept for saving before the deadline of an
// invocation that has total time in all.
func (h *Handler[T, Out]) reserve(total time.Duration) time.Duration {
	if h.opts.Reserve > 0 {
		return h.opts.Reserve
	}
	r := min(max(3*h.cost, 50*time.Millisecond), 2*time.Second)
	if total > 0 {
		r = min(r, total/4)
	}
	return r
}

// take runs recs through st's query. A downstream failure (an error of
// the query that is not a refusal) restores the state the batch started
// from and replays the batch; a record whose replay fails the same way
// goes to the dead letters. It returns the state (another one after a
// replay), the index of the first record not taken (len(recs) when all
// were) and the error that stopped it there.
func (h *Handler[T, Out]) take(ctx context.Context, st *hstate[T, Out], recs []Record, stats *batchStats) (*hstate[T, Out], int, error) {
	poison := map[Position]error{}
	fails := map[Position]int{}
	initial := st.saved // what a replay starts from (appends leave its view as it was)
	for {
		*stats = batchStats{}
		stop, failed, err := h.attempt(ctx, st, recs, poison, stats)
		if failed == nil {
			return st, stop, err
		}
		fails[*failed]++
		if fails[*failed] >= 2 {
			poison[*failed] = err
		}
		h.logf("shard %s: record %v failed downstream (%v): restoring the saved state and replaying", st.saved.Shard, *failed, err)
		var fresh *hstate[T, Out]
		var derr error
		if st.data == nil {
			fresh, derr = h.fresh(st.key, st.saved.Shard)
		} else {
			fresh, derr = h.decode(st.key, st.data, st.ver)
		}
		if derr != nil {
			return st, 0, derr
		}
		fresh.saved = initial
		fresh.ver, fresh.data = st.ver, st.data
		if h.cache[st.key] == st {
			h.cache[st.key] = fresh
		}
		st = fresh
	}
}

// attempt is one pass of take. failed is the position of a record that
// failed downstream, with the error.
func (h *Handler[T, Out]) attempt(ctx context.Context, st *hstate[T, Out], recs []Record, poison map[Position]error, stats *batchStats) (int, *Position, error) {
	start := h.opts.Now()
	deadline, hasDeadline := ctx.Deadline()
	reserve := h.reserve(deadline.Sub(start))
	var skewLimit record.Time = record.MaxTime
	if h.opts.MaxSkew > 0 {
		skewLimit, _ = record.FromTime(start.Add(h.opts.MaxSkew))
	}
	emit := h.emitter(st, stats)
	dead := func(r *Record, it *Item[T], err error) {
		st.saved.Dead = NewDeadLetter(r, it, err).AppendJSON(st.saved.Dead)
		st.saved.Deaths++
		stats.dead++
	}
	taken := 0
	for i := range recs {
		r := &recs[i]
		if taken > 0 && hasDeadline && time.Until(deadline) < reserve {
			return i, nil, errDeadline
		}
		if err := ctx.Err(); err != nil {
			return i, nil, err
		}
		shard := st.once.Shard(r.Shard)
		h.items = h.format.AppendItems(h.items[:0], r)
		took := false
		for k := range h.items {
			it := &h.items[k]
			var ok bool
			var err error
			switch perr, poisoned := poison[it.Pos]; {
			case poisoned:
				if ok, err = st.once.Take(shard, it.Pos); ok {
					dead(r, it, fmt.Errorf("failed again on replay: %w", perr))
				}
			case it.Control:
				if ok, err = st.once.Take(shard, it.Pos); ok {
					stats.control++
				}
			case it.Err != nil:
				if ok, err = st.once.Take(shard, it.Pos); ok {
					dead(r, it, it.Err)
				}
			case it.Rec.Time > skewLimit:
				if ok, err = st.once.Take(shard, it.Pos); ok {
					dead(r, it, fmt.Errorf("%w: %v is more than %v after %v", ErrFuture, it.Rec.Time, h.opts.MaxSkew, start.UTC().Format(time.RFC3339)))
				}
			default:
				ok, err = st.once.Push(shard, it.Pos, it.Rec, emit)
				switch {
				case err == nil:
				case ok: // a refusal: taken as a dead letter
					if errors.Is(err, window.ErrLate) {
						stats.late++
					}
					dead(r, it, err)
					err = nil
				case errors.Is(err, ErrForgotten), errors.Is(err, ErrOrder):
				default:
					return i, &it.Pos, err
				}
			}
			if err != nil {
				return i, nil, err
			}
			switch {
			case ok && !it.Control && it.Err == nil:
				stats.records++
			case !ok:
				stats.dups++
			}
			took = took || ok
		}
		if took {
			taken++
			if st.saved.FirstSeq == "" {
				st.saved.FirstSeq = r.SequenceNumber
			}
			st.saved.LastSeq = r.SequenceNumber
			st.saved.Records++
		}
	}
	return len(recs), nil, nil
}

// advanceByClock moves the watermark with the wall clock when the batch
// shows the shard caught up: its last record arrived within CaughtUp.
func (h *Handler[T, Out]) advanceByClock(st *hstate[T, Out], recs []Record, stats *batchStats) error {
	if h.opts.CaughtUp < 0 || len(recs) == 0 {
		return nil
	}
	last := recs[len(recs)-1].Arrival
	now := h.opts.Now()
	if last == 0 || now.Sub(last.UTC()) > h.opts.CaughtUp {
		return nil
	}
	wm, err := record.FromTime(now.Add(-h.opts.Delay))
	if err != nil {
		return nil
	}
	return st.once.Advance(wm, h.emitter(st, stats))
}

// emitter returns the emit function that appends results to st's outbox
// as JSON lines, counting them in stats. A result that does not encode is
// logged and left out.
func (h *Handler[T, Out]) emitter(st *hstate[T, Out], stats *batchStats) func(Out) {
	return func(out Out) {
		var err error
		n := len(st.saved.Results)
		st.saved.Results, err = h.opts.Encode(st.saved.Results, out)
		if err != nil {
			st.saved.Results = st.saved.Results[:n]
			h.logf("shard %s: a result does not encode: %v", st.saved.Shard, err)
			return
		}
		st.saved.Results = append(st.saved.Results, '\n')
		stats.emitted++
	}
}

// writeOutbox writes st's pending output under its name and empties it.
func (h *Handler[T, Out]) writeOutbox(ctx context.Context, st *hstate[T, Out]) error {
	if !st.saved.hasOutbox() {
		return nil
	}
	name := st.saved.OutboxName
	if len(st.saved.Dead) > 0 {
		if err := h.opts.DeadLetters.Write(ctx, name, st.saved.Dead); err != nil {
			return fmt.Errorf("kinesis: writing dead letters %s: %w", name, err)
		}
	}
	if len(st.saved.Results) > 0 {
		if err := h.opts.Results.Write(ctx, name, st.saved.Results); err != nil {
			return fmt.Errorf("kinesis: writing results %s: %w", name, err)
		}
	}
	st.saved.Results, st.saved.Dead, st.saved.OutboxName = nil, nil, ""
	return nil
}

// failuresFrom reports ids[i:] as failed: Lambda retries the batch from
// the lowest sequence number reported.
func failuresFrom(recs []Record, i int) []events.KinesisBatchItemFailure {
	if i >= len(recs) {
		return nil
	}
	out := make([]events.KinesisBatchItemFailure, 0, len(recs)-i)
	for _, r := range recs[i:] {
		out = append(out, events.KinesisBatchItemFailure{ItemIdentifier: r.SequenceNumber})
	}
	return out
}

// records converts the records of an event; a record whose sequence
// number does not parse is dropped from the batch and dead-lettered
// (Kinesis never writes one).
func (h *Handler[T, Out]) records(ctx context.Context, evs []events.KinesisEventRecord) []Record {
	recs := make([]Record, 0, len(evs))
	for i := range evs {
		r, err := FromEvent(&evs[i])
		if err != nil {
			shard, _, _ := strings.Cut(evs[i].EventID, ":")
			d := DeadLetter{Shard: shard, SequenceNumber: evs[i].Kinesis.SequenceNumber, Error: err.Error(), Data: evs[i].Kinesis.Data}
			if werr := h.opts.DeadLetters.Write(ctx, shard+"-badseq-"+evs[i].Kinesis.SequenceNumber, d.AppendJSON(nil)); werr != nil {
				h.logf("writing dead letter: %v", werr)
			}
			continue
		}
		recs = append(recs, r)
	}
	return recs
}

// HandleStream handles a Kinesis event: one batch of one shard. The
// shard's state comes from the warm cache or the Store, takes the batch,
// and goes back to the Store (conditional on the version read) before the
// batch's output is written.
//
// Failures are reported in batchItemFailures by Lambda's rules: from the
// first record whose effect is not saved, so Lambda retries from there
// (a Store that is unavailable, times out or answers a conflict; the
// deadline too near; a record the bookkeeping cannot place). Records that
// can never be processed go to the dead letters instead and are not
// reported. An invocation never returns an error for a batch.
func (h *Handler[T, Out]) HandleStream(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var resp events.KinesisEventResponse
	recs := h.records(ctx, ev.Records)
	if len(recs) == 0 {
		return resp, nil
	}
	shard := recs[0].Shard
	key := ev.Records[0].EventSourceArn + "/" + shard
	st, err := h.load(ctx, key, shard)
	if err != nil {
		h.logf("shard %s: loading state: %v", shard, err)
		resp.BatchItemFailures = failuresFrom(recs, 0)
		return resp, nil
	}
	// Output of an earlier batch that was saved but perhaps not written.
	if err := h.writeOutbox(ctx, st); err != nil {
		h.logf("shard %s: %v", shard, err)
		resp.BatchItemFailures = failuresFrom(recs, len(recs)-1)
		return resp, nil
	}
	var stats batchStats
	records := st.saved.Records
	st, stop, takeErr := h.take(ctx, st, recs, &stats)
	if takeErr != nil {
		h.logf("shard %s: record %s: %v", shard, recs[stop].SequenceNumber, takeErr)
		resp.BatchItemFailures = failuresFrom(recs, stop)
	} else if err := h.advanceByClock(st, recs, &stats); err != nil {
		h.logf("shard %s: advancing by the clock: %v", shard, err)
	}
	if st.saved.Records == records && !st.saved.hasOutbox() {
		h.metrics(shard, &stats, len(st.data))
		return resp, nil // nothing new: a redelivered batch
	}
	if st.saved.hasOutbox() && st.saved.OutboxName == "" {
		st.saved.Batch++
		st.saved.OutboxName = fmt.Sprintf("%s-%020d", shard, st.saved.Batch)
	}
	began := time.Now()
	data, err := h.encode(st)
	var ver Version
	if err == nil {
		ver, err = h.opts.Store.Save(ctx, key, data, st.ver)
	}
	if err != nil {
		// Nothing of this batch is durable: forget the warm copy, so the
		// retry starts from the saved state (reloaded after a conflict).
		h.logf("shard %s: saving state: %v", shard, err)
		delete(h.cache, key)
		resp.BatchItemFailures = failuresFrom(recs, 0)
		return resp, nil
	}
	st.ver, st.data = ver, data
	if h.opts.AfterSave != nil {
		h.opts.AfterSave()
	}
	if err := h.writeOutbox(ctx, st); err != nil {
		// The state with its outbox is saved. Have Lambda redeliver the
		// last record: a duplicate, whose invocation writes the outbox.
		h.logf("shard %s: %v", shard, err)
		if resp.BatchItemFailures == nil {
			resp.BatchItemFailures = failuresFrom(recs, len(recs)-1)
		}
	}
	h.cost = max(h.cost, time.Since(began))
	h.metrics(shard, &stats, len(data))
	return resp, nil
}

// metrics writes the batch's metrics as one CloudWatch Embedded Metric
// Format line.
func (h *Handler[T, Out]) metrics(shard string, s *batchStats, stateBytes int) {
	if h.opts.NoMetrics {
		return
	}
	h.line = AppendMetrics(h.line[:0], h.opts.Namespace, shard, h.opts.Now(), Metrics{
		Records: s.records, Duplicates: s.dups, Late: s.late, DeadLetters: s.dead,
		WindowsEmitted: s.emitted, StateBytes: stateBytes,
	})
	_, _ = h.opts.Metrics.Write(h.line)
}
