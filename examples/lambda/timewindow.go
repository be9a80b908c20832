package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/rowtime/rowtime/record"
)

// The state map of a time-window invocation: the format it was written in,
// and either the state itself (base64) or the Store key that holds it.
const (
	windowFormat = "rowtime-lambda-window/1"
	keyFormat    = "format"
	keyState     = "state"
	keyRef       = "ref"
)

func (h *Handler) windowStateLimit() int {
	if h.WindowStateLimit > 0 {
		return h.WindowStateLimit
	}
	return 900 << 10
}

// windowState decodes the state map of a time-window invocation. An empty
// map is the first invocation of a window: fresh state.
func (h *Handler) windowState(ctx context.Context, ev *events.KinesisTimeWindowEvent) (*shardState, error) {
	start := record.Time(ev.Window.Start.UnixNano())
	if len(ev.State) == 0 {
		q, err := h.NewQuery()
		if err != nil {
			return nil, err
		}
		return &shardState{savedState: savedState{Shard: ev.ShardID, WindowStart: start}, q: q}, nil
	}
	switch f, ok := ev.State[keyFormat]; {
	case !ok:
		return nil, fmt.Errorf("%w: no %q key (written by an older version?), this function reads %q", ErrStateFormat, keyFormat, windowFormat)
	case f != windowFormat:
		return nil, fmt.Errorf("%w: format %q, this function reads %q", ErrStateFormat, f, windowFormat)
	}
	var data []byte
	if ref, ok := ev.State[keyRef]; ok {
		var err error
		if data, err = h.Store.Load(ctx, ref); err != nil {
			return nil, fmt.Errorf("lambda: loading time-window state %s: %w", ref, err)
		}
	} else {
		var err error
		if data, err = base64.StdEncoding.DecodeString(ev.State[keyState]); err != nil {
			return nil, fmt.Errorf("%w: %q is not base64: %w", ErrState, keyState, err)
		}
	}
	st, err := decodeState(data, h.NewQuery)
	if err != nil {
		return nil, err
	}
	if st.Shard != ev.ShardID || st.WindowStart != start {
		return nil, fmt.Errorf("%w: state of shard %s, window starting %v, in an invocation for shard %s, window starting %v",
			ErrStateFormat, st.Shard, st.WindowStart, ev.ShardID, start)
	}
	return st, nil
}

// HandleWindow handles a time-window event: Lambda's own tumbling windows
// (up to 15 minutes of arrival time), with the state of the window carried
// in the event from one invocation of the window to the next.
//
// Every invocation takes its records (skipping redeliveries) and returns the
// state; results of query windows that close on the way are written at once.
// The final invocation of the window (isFinalInvokeForWindow) flushes the
// query and writes everything still open: a query window that spans two
// Lambda windows comes out as two partial results, one per Lambda window.
// When Lambda ended the window early (isWindowTerminatedEarly, its state
// passed 1 MB), the results are written all the same and the rest of the
// window starts afresh; the handler keeps state above WindowStateLimit in
// Store so that this does not happen.
//
// A state map this function did not write (an older version's) is sent,
// with the error, to the dead-letter output, so it is not lost, and the
// window goes on with fresh state. State that cannot be read for another
// reason fails the invocation (a non-final one reports its records for
// retry and hands the state back unchanged).
func (h *Handler) HandleWindow(ctx context.Context, ev events.KinesisTimeWindowEvent) (events.KinesisTimeWindowEventResponse, error) {
	var resp events.KinesisTimeWindowEventResponse
	recs := ev.Records
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
	if errors.Is(err, ErrStateFormat) {
		if err := h.deadLetterState(ctx, &ev, err); err != nil {
			return retry(err)
		}
		ev.State = nil
		st, err = h.windowState(ctx, &ev)
	}
	if err != nil {
		return retry(err)
	}

	stop, takeErr := h.take(ctx, st, recs)
	if takeErr != nil {
		if ev.IsFinalInvokeForWindow {
			return retry(takeErr)
		}
		h.logf("shard %s: record %s: %v", ev.ShardID, recs[stop].Kinesis.SequenceNumber, takeErr)
		resp.BatchItemFailures = failuresFrom(recs, stop)
	}
	outName := fmt.Sprintf("%s-w%d-", ev.ShardID, ev.Window.Start.Unix())
	if ev.IsFinalInvokeForWindow {
		emit := func(line []byte) {
			st.Results = append(st.Results, line...)
			if len(line) == 0 || line[len(line)-1] != '\n' {
				st.Results = append(st.Results, '\n')
			}
		}
		if err := h.flush(st, emit); err != nil {
			return retry(fmt.Errorf("lambda: flushing the query: %w", err))
		}
		if st.OutboxName == "" {
			st.OutboxName = outName + "final-" + orEmpty(st.FirstSeq)
		}
		if err := h.writeOutbox(ctx, st); err != nil {
			return retry(err)
		}
		if ev.IsWindowTerminatedEarly {
			h.logf("shard %s: Lambda ended the window [%s, %s) early: its results are partial, the rest of the window starts with fresh state",
				ev.ShardID, ev.Window.Start.UTC().Format(time.RFC3339), ev.Window.End.UTC().Format(time.RFC3339))
		}
		resp.State = map[string]string{}
		return resp, nil
	}

	if st.hasOutbox() {
		if st.OutboxName == "" {
			// Named by the last record taken, so a retry of the same
			// invocation (same state in, same records) writes the same
			// name, and any other invocation another one.
			st.OutboxName = outName + orEmpty(st.LastSeq)
		}
		if err := h.writeOutbox(ctx, st); err != nil {
			h.logf("shard %s: %v (kept in the state for the next invocation)", ev.ShardID, err)
		}
	}
	state, err := h.encodeWindowState(ctx, st)
	if err != nil {
		return retry(err)
	}
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
// WindowStateLimit bytes, otherwise in Store under a key of its own (a new
// one each time, so that a retried invocation still finds the state it was
// given).
func (h *Handler) encodeWindowState(ctx context.Context, st *shardState) (map[string]string, error) {
	data, err := st.encode()
	if err != nil {
		return nil, err
	}
	if base64.StdEncoding.EncodedLen(len(data)) <= h.windowStateLimit() {
		return map[string]string{keyFormat: windowFormat, keyState: base64.StdEncoding.EncodeToString(data)}, nil
	}
	ref := fmt.Sprintf("%s/window-%d/%s", st.Shard, int64(st.WindowStart), orEmpty(st.LastSeq))
	if err := h.Store.Save(ctx, ref, data); err != nil {
		return nil, fmt.Errorf("lambda: saving time-window state %s: %w", ref, err)
	}
	return map[string]string{keyFormat: windowFormat, keyRef: ref}, nil
}

// deadLetterState writes a state map that cannot be read to the dead-letter
// output, with the error, so that nothing is lost.
func (h *Handler) deadLetterState(ctx context.Context, ev *events.KinesisTimeWindowEvent, cause error) error {
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
	h.logf("shard %s: %v: the state map goes to the dead-letter output as %s", ev.ShardID, cause, name)
	return h.DeadLetters.Write(ctx, name, append(line, '\n'))
}

// flush flushes st's query under the error contract of record.Operator: on
// a failure it restores the state before the call and flushes again. Flush
// goes on past a result that a stage rejects, so when the replay fails the
// same way, the handler keeps what it emitted and logs the error: there is
// no input record to set aside, and retrying would fail for ever.
func (h *Handler) flush(st *shardState, emit func([]byte)) error {
	snap, err := st.q.AppendSnapshot(nil)
	if err != nil {
		return err
	}
	saved := st.savedState
	err = st.q.Flush(emit)
	if err == nil || record.IsRefused(err) {
		return nil
	}
	h.logf("shard %s: flushing the query: %v: restoring and flushing again", st.Shard, err)
	if err := st.q.Restore(snap); err != nil {
		return err
	}
	st.savedState = saved
	if err := st.q.Flush(emit); err != nil && !record.IsRefused(err) {
		h.logf("shard %s: flushing the query failed again: %v: keeping what it emitted", st.Shard, err)
	}
	return nil
}
