package kinesis

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// The state map of a time-window invocation: the format it was written in,
// and either the state itself (base64) or the Store key that holds it.
const (
	windowFormat = "rowtime-kinesis-window/1"
	keyFormat    = "format"
	keyState     = "state"
	keyRef       = "ref"
)

// windowState decodes the state map of a time-window invocation. An empty
// map is the first invocation of a window: fresh state.
func (h *Handler[T, Out]) windowState(ctx context.Context, ev *events.KinesisTimeWindowEvent) (*hstate[T, Out], error) {
	start := ev.Window.Start.UnixNano()
	key := ev.EventSourceARN + "/" + ev.ShardID
	if len(ev.State) == 0 {
		st, err := h.fresh(key, ev.ShardID)
		if err != nil {
			return nil, err
		}
		st.saved.WindowStart = start
		return st, nil
	}
	switch f, ok := ev.State[keyFormat]; {
	case !ok:
		return nil, fmt.Errorf("%w: no %q key (written by an older version?), this handler reads %q", ErrWindowState, keyFormat, windowFormat)
	case f != windowFormat:
		return nil, fmt.Errorf("%w: format %q, this handler reads %q", ErrWindowState, f, windowFormat)
	}
	var data []byte
	if ref, ok := ev.State[keyRef]; ok {
		var err error
		if data, _, err = h.opts.Store.Load(ctx, ref); err != nil {
			return nil, fmt.Errorf("kinesis: loading time-window state %s: %w", ref, err)
		}
	} else {
		var err error
		if data, err = base64.StdEncoding.DecodeString(ev.State[keyState]); err != nil {
			return nil, fmt.Errorf("%w: %q is not base64: %w", ErrState, keyState, err)
		}
	}
	st, err := h.decode(key, data, 0)
	if err != nil {
		return nil, err
	}
	if st.saved.Shard != ev.ShardID || st.saved.WindowStart != start {
		return nil, fmt.Errorf("%w: state of shard %s, window starting %v, in an invocation for shard %s, window starting %v",
			ErrWindowState, st.saved.Shard, time.Unix(0, st.saved.WindowStart).UTC(), ev.ShardID, ev.Window.Start.UTC())
	}
	return st, nil
}

// HandleWindow handles a time-window event: Lambda's own tumbling windows
// (up to 15 minutes of arrival time, TumblingWindowInSeconds), with the
// state of the window carried in the event from one invocation of the
// window to the next.
//
// Every invocation takes its records (skipping redeliveries) and returns
// the state; results of query windows that close on the way are written
// at once. The final invocation of the window (isFinalInvokeForWindow)
// flushes the query and writes everything still open: a query window that
// spans two Lambda windows comes out as two partial results, one per
// Lambda window; use plain events for exact windows across batches. When
// Lambda ended the window early (isWindowTerminatedEarly, its state passed
// 1 MB), the results are written all the same and the rest of the window
// starts afresh; the handler keeps state above WindowStateLimit in the
// Store, under a new key for each spill (so a retried invocation still
// finds the state it was given; the Store's expiry removes old ones).
//
// A state map this handler did not write (an older version's) goes, with
// the error, to the dead letters, so it is not lost, and the window goes
// on with fresh state. State that cannot be read for another reason fails
// the invocation (a non-final one reports its records for retry and hands
// the state back unchanged).
func (h *Handler[T, Out]) HandleWindow(ctx context.Context, ev events.KinesisTimeWindowEvent) (events.KinesisTimeWindowEventResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var resp events.KinesisTimeWindowEventResponse
	for i := range ev.Records {
		if ev.Records[i].EventID == "" {
			ev.Records[i].EventID = ev.ShardID + ":" + ev.Records[i].Kinesis.SequenceNumber
		}
	}
	recs := h.records(ctx, ev.Records)
	retry := func(err error) (events.KinesisTimeWindowEventResponse, error) {
		h.logf("shard %s: %v", ev.ShardID, err)
		if ev.IsFinalInvokeForWindow || len(recs) == 0 {
			return events.KinesisTimeWindowEventResponse{}, err
		}
		return events.KinesisTimeWindowEventResponse{
			TimeWindowEventResponseProperties: events.TimeWindowEventResponseProperties{State: ev.State},
			BatchItemFailures:                 failuresFrom(recs, 0),
		}, nil
	}
	st, err := h.windowState(ctx, &ev)
	if errors.Is(err, ErrWindowState) {
		if err := h.deadLetterState(ctx, &ev, err); err != nil {
			return retry(err)
		}
		ev.State = nil
		st, err = h.windowState(ctx, &ev)
	}
	if err != nil {
		return retry(err)
	}
	var stats batchStats
	st, stop, takeErr := h.take(ctx, st, recs, &stats)
	if takeErr != nil {
		if ev.IsFinalInvokeForWindow {
			return retry(takeErr)
		}
		h.logf("shard %s: record %s: %v", ev.ShardID, recs[stop].SequenceNumber, takeErr)
		resp.BatchItemFailures = failuresFrom(recs, stop)
	}
	outName := fmt.Sprintf("%s-w%d-", ev.ShardID, ev.Window.Start.Unix())
	if ev.IsFinalInvokeForWindow {
		if err := st.once.Flush(h.emitter(st, &stats)); err != nil {
			return retry(fmt.Errorf("kinesis: flushing the query: %w", err))
		}
		if st.saved.OutboxName == "" {
			st.saved.OutboxName = outName + "final-" + orEmpty(st.saved.FirstSeq)
		}
		if err := h.writeOutbox(ctx, st); err != nil {
			return retry(err)
		}
		if ev.IsWindowTerminatedEarly {
			h.logf("shard %s: Lambda ended the window [%s, %s) early: its results are partial, the rest of the window starts with fresh state",
				ev.ShardID, ev.Window.Start.UTC().Format(time.RFC3339), ev.Window.End.UTC().Format(time.RFC3339))
		}
		h.metrics(ev.ShardID, &stats, 0)
		resp.State = map[string]string{}
		return resp, nil
	}
	if st.saved.hasOutbox() {
		if st.saved.OutboxName == "" {
			// Named by the last record taken, so a retry of the same
			// invocation (same state in, same records) writes the same
			// name, and any other invocation another one.
			st.saved.OutboxName = outName + orEmpty(st.saved.LastSeq)
		}
		if err := h.writeOutbox(ctx, st); err != nil {
			h.logf("shard %s: %v (kept in the state for the next invocation)", ev.ShardID, err)
		}
	}
	state, size, err := h.encodeWindowState(ctx, st)
	if err != nil {
		return retry(err)
	}
	h.metrics(ev.ShardID, &stats, size)
	resp.State = state
	return resp, nil
}

func orEmpty(s string) string {
	if s == "" {
		return "empty"
	}
	return s
}

// encodeWindowState returns the state map that carries st to the next
// invocation of the window: inline when its base64 is at most
// WindowStateLimit bytes, otherwise in the Store under a key of its own.
func (h *Handler[T, Out]) encodeWindowState(ctx context.Context, st *hstate[T, Out]) (map[string]string, int, error) {
	data, err := h.encode(st)
	if err != nil {
		return nil, 0, err
	}
	if base64.StdEncoding.EncodedLen(len(data)) <= h.opts.WindowStateLimit {
		return map[string]string{keyFormat: windowFormat, keyState: base64.StdEncoding.EncodeToString(data)}, len(data), nil
	}
	ref := fmt.Sprintf("%s/window-%d/%s", st.key, st.saved.WindowStart, orEmpty(st.saved.LastSeq))
	if _, err := h.opts.Store.Save(ctx, ref, data, 0); err != nil && !errors.Is(err, ErrConflict) {
		// A conflict is a retry of this very invocation, which saved the
		// same state under the same key before.
		return nil, 0, fmt.Errorf("kinesis: saving time-window state %s: %w", ref, err)
	}
	return map[string]string{keyFormat: windowFormat, keyRef: ref}, len(data), nil
}

// deadLetterState writes a state map that cannot be read to the dead
// letters, with the error, so that nothing is lost.
func (h *Handler[T, Out]) deadLetterState(ctx context.Context, ev *events.KinesisTimeWindowEvent, cause error) error {
	line, err := json.Marshal(struct {
		Shard       string            `json:"shard"`
		WindowStart time.Time         `json:"window_start"`
		Error       string            `json:"error"`
		State       map[string]string `json:"state"`
	}{ev.ShardID, ev.Window.Start.UTC(), cause.Error(), ev.State})
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-w%d-state", ev.ShardID, ev.Window.Start.Unix())
	if len(ev.Records) > 0 {
		name += "-" + ev.Records[0].Kinesis.SequenceNumber
	}
	h.logf("shard %s: %v: the state map goes to the dead letters as %s", ev.ShardID, cause, name)
	return h.opts.DeadLetters.Write(ctx, name, append(line, '\n'))
}
