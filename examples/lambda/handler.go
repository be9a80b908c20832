package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rowtime/rowtime/examples/internal/deadletter"
	"github.com/rowtime/rowtime/examples/internal/seqnum"
	"github.com/rowtime/rowtime/record"
)

// ErrBadRecord is wrapped by a Query's Push error for a record that can never
// be processed: a payload that is not JSON or lacks the time field, or a
// record too late for a window. The handler sends such a record to the
// dead-letter output and goes on, as it does with a refusal
// (record.IsRefused); any other Push error is a failure that may have moved
// the query's state (see Handler.HandleStream).
var ErrBadRecord = errors.New("lambda: record cannot be processed")

// errDeadline stops a batch when too little of the invocation's time is left
// to save the state.
var errDeadline = errors.New("lambda: invocation deadline near, batch cut short")

// Query is the streaming query the handler runs, one per shard: payloads in,
// JSON lines out, and a snapshot of its whole state.
type Query interface {
	// Push decodes one payload and takes it, emitting the result lines it
	// completes. An error wrapping ErrBadRecord, or a refusal, dead-letters
	// the record; any other error means the query's state may have moved,
	// and the handler restores and replays (the error contract of
	// record.Operator).
	Push(data []byte, emit func(line []byte)) error
	// Flush emits every open result: the end of a Lambda time window.
	Flush(emit func(line []byte)) error
	AppendSnapshot(dst []byte) ([]byte, error)
	Restore(data []byte) error
}

// Handler is the Lambda function: it takes events.KinesisEvent invocations
// (state in Store) and events.KinesisTimeWindowEvent invocations (state in the
// event), runs the query over their records and writes the results. Set
// NewQuery, Store, Results and DeadLetters before the first invocation;
// the other fields have working zero values.
type Handler struct {
	NewQuery    func() (Query, error)
	Store       Store
	Results     Output
	DeadLetters Output

	// Reserve is the time kept before the invocation's deadline to save
	// the state and write the output: when less remains, the handler stops
	// taking records and reports the rest for retry. Zero means 2 s.
	Reserve time.Duration

	// WindowStateLimit is the size (of the base64 text) above which the
	// state of a time-window invocation goes to Store, and the event's
	// state map carries only its key. Lambda ends a window early when its
	// state passes 1 MB. Zero means 900 KiB.
	WindowStateLimit int

	// Log receives one line per notable event (dead letters, transient
	// failures, partial windows). Nil means no log.
	Log io.Writer

	cache map[string]*shardState // warm state per store key
}

func (h *Handler) logf(format string, args ...any) {
	if h.Log != nil {
		fmt.Fprintf(h.Log, "rowtime-lambda: "+format+"\n", args...)
	}
}

func (h *Handler) reserve() time.Duration {
	if h.Reserve > 0 {
		return h.Reserve
	}
	return 2 * time.Second
}

// Invoke handles one invocation. It tells a time-window event (which carries
// a window and a shard id) from a plain Kinesis event.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	var probe struct {
		Window  *json.RawMessage `json:"window"`
		ShardID *string          `json:"shardId"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, fmt.Errorf("lambda: event is not a JSON object: %w", err)
	}
	if probe.Window != nil || probe.ShardID != nil {
		var ev events.KinesisTimeWindowEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("lambda: decoding time-window event: %w", err)
		}
		return h.HandleWindow(ctx, ev)
	}
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("lambda: decoding Kinesis event: %w", err)
	}
	return h.HandleStream(ctx, ev)
}

// shardOf returns the shard of a record from its event ID,
// "shardId-000000000000:4954...".
func shardOf(r events.KinesisEventRecord) string {
	id, _, _ := strings.Cut(r.EventID, ":")
	return id
}

// take runs the records through st's query, skipping the ones already taken
// (redeliveries). It returns the index of the first record not taken
// (len(recs) when all were) and the transient error that stopped it.
//
// It follows the error contract of record.Operator: a record the query
// cannot process (ErrBadRecord) or refuses (record.IsRefused) goes to the
// dead letters; any other error means the query's state may have moved, so
// take restores the state it had before the batch, replays the records
// before the failing one and then that one; if it fails the same way again,
// the record goes to the dead letters and the batch is taken without it.
func (h *Handler) take(ctx context.Context, st *shardState, recs []events.KinesisEventRecord) (int, error) {
	emit := func(line []byte) {
		st.Results = append(st.Results, line...)
		if len(line) == 0 || line[len(line)-1] != '\n' {
			st.Results = append(st.Results, '\n')
		}
	}
	var base []byte               // the query's snapshot before the batch, taken at the first new record
	var from int                  // the index of that record
	var baseState savedState      // and the bookkeeping with it
	var failedTwice map[int]error // records to dead-letter on the next pass
	// push takes recs[i]; it returns an error only for a failure.
	push := func(i int) error {
		r := &recs[i].Kinesis
		if st.LastSeq != "" && !seqnum.Less(st.LastSeq, r.SequenceNumber) {
			st.Duplicates++
			return nil
		}
		err, failed := failedTwice[i]
		if !failed {
			err = st.q.Push(r.Data, emit)
		}
		if err != nil {
			if !failed && !errors.Is(err, ErrBadRecord) && !record.IsRefused(err) {
				return err
			}
			if err := h.deadLetter(st, r, err); err != nil {
				return err
			}
		}
		if st.FirstSeq == "" {
			st.FirstSeq = r.SequenceNumber
		}
		st.LastSeq = r.SequenceNumber
		st.Records++
		return nil
	}
	// rewind restores the state before the batch and takes recs[from:i] again.
	rewind := func(i int) error {
		if err := st.q.Restore(base); err != nil {
			return fmt.Errorf("lambda: restoring the query's state before the batch: %w", err)
		}
		st.savedState = baseState
		for j := from; j < i; j++ {
			if err := push(j); err != nil {
				return fmt.Errorf("lambda: replaying record %s: %w", recs[j].Kinesis.SequenceNumber, err)
			}
		}
		return nil
	}
	deadline, hasDeadline := ctx.Deadline()
	for i := 0; i < len(recs); i++ {
		r := &recs[i].Kinesis
		if st.LastSeq != "" && !seqnum.Less(st.LastSeq, r.SequenceNumber) {
			st.Duplicates++
			continue
		}
		if hasDeadline && time.Until(deadline) < h.reserve() {
			return i, errDeadline
		}
		if err := ctx.Err(); err != nil {
			return i, err
		}
		if base == nil {
			snap, err := st.q.AppendSnapshot(nil)
			if err != nil {
				return i, fmt.Errorf("lambda: snapshot of the query: %w", err)
			}
			base, baseState, from = snap, st.savedState, i
			// The slices of the bookkeeping only grow from here: the
			// copy's lengths are the state before the batch.
		}
		err := push(i)
		if err == nil {
			continue
		}
		h.logf("shard %s: record %s: %v: restoring the state before the batch and replaying", st.Shard, r.SequenceNumber, err)
		if err := rewind(i); err != nil {
			return i, err
		}
		if err2 := push(i); err2 != nil {
			// The same failure again: deterministic, so the record goes
			// to the dead letters, and the batch is taken without it.
			if failedTwice == nil {
				failedTwice = make(map[int]error)
			}
			failedTwice[i] = fmt.Errorf("failed again on replay: %w", err2)
			if err := rewind(i); err != nil {
				return i, err
			}
			i-- // take it again: this time into the dead letters
		}
	}
	return len(recs), nil
}

// deadLetter adds r to st's pending dead letters.
func (h *Handler) deadLetter(st *shardState, r *events.KinesisRecord, cause error) error {
	line, err := json.Marshal(deadletter.Entry{Shard: st.Shard, SequenceNumber: r.SequenceNumber, Error: cause.Error(), Data: r.Data})
	if err != nil {
		return err
	}
	st.Dead = append(append(st.Dead, line...), '\n')
	st.DeadLetters++
	h.logf("shard %s: record %s dead-lettered: %v", st.Shard, r.SequenceNumber, cause)
	return nil
}

// writeOutbox writes st's pending output under its name and empties it.
func (h *Handler) writeOutbox(ctx context.Context, st *shardState) error {
	if !st.hasOutbox() {
		return nil
	}
	if len(st.Dead) > 0 {
		if err := h.DeadLetters.Write(ctx, st.OutboxName, st.Dead); err != nil {
			return fmt.Errorf("lambda: writing dead letters %s: %w", st.OutboxName, err)
		}
	}
	if len(st.Results) > 0 {
		if err := h.Results.Write(ctx, st.OutboxName, st.Results); err != nil {
			return fmt.Errorf("lambda: writing results %s: %w", st.OutboxName, err)
		}
	}
	st.Results, st.Dead, st.OutboxName = nil, nil, ""
	return nil
}

// failuresFrom reports recs[i:] as failed: Lambda retries the batch from the
// lowest sequence number reported.
func failuresFrom(recs []events.KinesisEventRecord, i int) []events.KinesisBatchItemFailure {
	if i >= len(recs) {
		return nil
	}
	out := make([]events.KinesisBatchItemFailure, 0, len(recs)-i)
	for _, r := range recs[i:] {
		out = append(out, events.KinesisBatchItemFailure{ItemIdentifier: r.Kinesis.SequenceNumber})
	}
	return out
}

// firstNew returns the index of the first record after seq, len(recs) if
// none.
func firstNew(recs []events.KinesisEventRecord, seq string) int {
	for i, r := range recs {
		if seq == "" || seqnum.Less(seq, r.Kinesis.SequenceNumber) {
			return i
		}
	}
	return len(recs)
}

// HandleStream handles a Kinesis event: one batch of one shard. The shard's
// state comes from the in-process cache (a warm invocation) or from Store (a
// cold start), takes the batch, and goes back to Store before the batch's
// output is written.
//
// Failures are reported per record in batchItemFailures, from the first
// record whose effect is not saved, so Lambda retries from there; records
// that can never be processed go to the dead-letter output instead and are
// not reported. An invocation never returns an error for a batch.
func (h *Handler) HandleStream(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	var resp events.KinesisEventResponse
	recs := ev.Records
	if len(recs) == 0 {
		return resp, nil
	}
	shard := shardOf(recs[0])
	key := recs[0].EventSourceArn + "/" + shard
	st, err := h.load(ctx, key, shard)
	if err != nil {
		// The store is unavailable or holds state this function cannot
		// read: take nothing, keep what is saved, and have Lambda retry.
		h.logf("shard %s: loading state: %v", shard, err)
		resp.BatchItemFailures = failuresFrom(recs, 0)
		return resp, nil
	}
	// Output of an earlier batch that was saved but perhaps not written.
	if err := h.writeOutbox(ctx, st); err != nil {
		h.logf("shard %s: %v", shard, err)
		resp.BatchItemFailures = failuresFrom(recs, min(firstNew(recs, st.LastSeq), len(recs)-1))
		return resp, nil
	}
	before := st.LastSeq
	first := firstNew(recs, before)
	stop, takeErr := h.take(ctx, st, recs)
	if takeErr != nil {
		h.logf("shard %s: record %s: %v", shard, recs[stop].Kinesis.SequenceNumber, takeErr)
		resp.BatchItemFailures = failuresFrom(recs, stop)
	}
	if st.LastSeq == before && !st.hasOutbox() {
		return resp, nil // nothing new: a redelivered batch
	}
	if st.hasOutbox() && st.OutboxName == "" {
		st.Batch++
		st.OutboxName = fmt.Sprintf("%s-%020d", shard, st.Batch)
	}
	data, err := st.encode()
	if err == nil {
		err = h.Store.Save(ctx, key, data)
	}
	if err != nil {
		// Nothing of this batch is durable: forget the warm copy, so the
		// retry starts from the saved state, and retry from the first
		// record taken.
		h.logf("shard %s: saving state: %v", shard, err)
		delete(h.cache, key)
		resp.BatchItemFailures = failuresFrom(recs, first)
		return resp, nil
	}
	if err := h.writeOutbox(ctx, st); err != nil {
		// The state with its outbox is saved. Have Lambda redeliver the
		// last record: a duplicate, whose invocation writes the outbox.
		h.logf("shard %s: %v", shard, err)
		if resp.BatchItemFailures == nil {
			resp.BatchItemFailures = failuresFrom(recs, len(recs)-1)
		}
	}
	return resp, nil
}

// load returns the state of the shard stored under key: the warm copy, the
// saved one on a cold start, or a fresh one for a new shard.
func (h *Handler) load(ctx context.Context, key, shard string) (*shardState, error) {
	if st, ok := h.cache[key]; ok {
		return st, nil
	}
	var st *shardState
	data, err := h.Store.Load(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		q, err := h.NewQuery()
		if err != nil {
			return nil, err
		}
		st = &shardState{savedState: savedState{Shard: shard}, q: q}
	case err != nil:
		return nil, err
	default:
		st, err = decodeState(data, h.NewQuery)
		if err != nil {
			return nil, fmt.Errorf("state %s: %w", key, err)
		}
	}
	if h.cache == nil {
		h.cache = make(map[string]*shardState)
	}
	h.cache[key] = st
	return st, nil
}
