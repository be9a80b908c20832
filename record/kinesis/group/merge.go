package group

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/kinesis"
)

// The merge. Every worker runs it; it needs no lease of its own, because
// what it writes is decided by the shards' items alone: a window whose
// end every shard's watermark has passed has all its partials in the
// items (a shard emits a window's results when its watermark passes the
// end, in the batch whose save moves the watermark there), so any worker
// that merges it writes the same lines under the same name. Progress is
// an item of the state store ("merge/..."), moved forward conditionally
// after the window's write: a kill between the two makes the next merge
// write the window again, the same lines under the same name, and two
// workers merging at once write the same window, which the Output keeps
// once. Shards drop their partials of windows at or before the progress.

// mergeState is the merge's progress item.
type mergeState struct {
	Through record.Time `json:"through"` // windows with end ≤ Through are written
}

func (w *Worker[T, Out]) mergeKey() string { return "merge/" + w.cfg.Group + "/" + w.cfg.Stream }

// merged returns the merge's progress as this worker last read it.
func (w *Worker[T, Out]) merged() record.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.through
}

func (w *Worker[T, Out]) mergeLoop(ctx context.Context, stop context.CancelCauseFunc) {
	for sleep(ctx, w.cfg.MergeEvery) {
		if err := w.Merge(ctx); err != nil && ctx.Err() == nil {
			if errors.Is(err, ErrTable) || errors.Is(err, errHeader) || errors.Is(err, kinesis.ErrState) {
				stop(err)
				return
			}
			w.log.Warn("merge", "err", err)
		}
	}
}

// Merge writes every window that all the stream's shards have passed and
// that is not written yet. Workers call it every MergeEvery.
func (w *Worker[T, Out]) Merge(ctx context.Context) error {
	ids, err := w.shardIDs(ctx)
	if err != nil {
		return err
	}
	low := record.MaxTime
	heads := make([]header, 0, len(ids))
	for _, id := range ids {
		data, _, err := w.cfg.State.Load(ctx, w.stateKey(id))
		if errors.Is(err, kinesis.ErrNotFound) {
			return nil // a shard not started: nothing is final
		}
		if err != nil {
			return fmt.Errorf("group: merge: %w", err)
		}
		extra, err := extraOf(data)
		if err != nil {
			return fmt.Errorf("group: merge: item %s: %w", w.stateKey(id), err)
		}
		h, err := parseHeader(extra)
		if err != nil {
			return fmt.Errorf("group: merge: item %s: %w", w.stateKey(id), err)
		}
		low = min(low, h.Watermark)
		heads = append(heads, h)
	}
	// The progress is read after the items: a shard drops its partials
	// of a window only once it has seen the progress past it, so if the
	// progress read now is not past a window, the items read before hold
	// all of its partials. (Read before them, the progress could be
	// overtaken by another worker's merge, and a shard's item read
	// afterwards miss partials it had dropped since: this worker would
	// then write the window again, short.)
	data, ver, err := w.cfg.State.Load(ctx, w.mergeKey())
	ms := mergeState{Through: record.MinTime}
	switch {
	case errors.Is(err, kinesis.ErrNotFound):
	case err != nil:
		return fmt.Errorf("group: merge: %w", err)
	default:
		if err := json.Unmarshal(data, &ms); err != nil {
			return fmt.Errorf("%w: merge item %s: %w", errHeader, w.mergeKey(), err)
		}
	}
	w.mu.Lock()
	w.through = max(w.through, ms.Through)
	w.mu.Unlock()

	// Windows every shard is past, not written yet.
	var ends []record.Time
	for _, h := range heads {
		for _, p := range h.Partials {
			if p.End > ms.Through && p.End < low {
				ends = append(ends, p.End)
			}
		}
	}
	slices.Sort(ends)
	ends = slices.Compact(ends)
	for _, end := range ends {
		if err := w.writeWindow(ctx, end, heads); err != nil {
			return err
		}
		ms.Through = end
		b, _ := json.Marshal(ms)
		nv, err := w.cfg.State.Save(ctx, w.mergeKey(), b, ver)
		if errors.Is(err, kinesis.ErrConflict) {
			return nil // another worker merged meanwhile; the next round reads its progress
		}
		if err != nil {
			return fmt.Errorf("group: merge: %w", err)
		}
		ver = nv
		w.count(func(s *Stats) { s.Merged++ })
		w.mu.Lock()
		w.through = max(w.through, end)
		w.mu.Unlock()
	}
	return nil
}

// writeWindow merges the partials of window end from every shard, by key,
// and writes them in key order under the window's name.
func (w *Worker[T, Out]) writeWindow(ctx context.Context, end record.Time, heads []header) error {
	byKey := map[string]Out{}
	for _, h := range heads {
		i := slices.IndexFunc(h.Partials, func(p partial) bool { return p.End == end })
		if i < 0 {
			continue
		}
		for _, line := range h.Partials[i].Lines {
			var r Out
			if err := json.Unmarshal(line, &r); err != nil {
				return fmt.Errorf("%w: a partial result: %w", errHeader, err)
			}
			_, k := w.cfg.Window(r)
			if prev, ok := byKey[k]; ok {
				r = w.cfg.Merge(prev, r)
			}
			byKey[k] = r
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var lines []byte
	for _, k := range keys {
		var err error
		if lines, err = w.line(lines, byKey[k]); err != nil {
			return fmt.Errorf("group: merge: %w", err)
		}
		lines = append(lines, '\n')
	}
	name := w.windowName(end)
	if err := w.cfg.Output.Write(ctx, name, lines); err != nil {
		return fmt.Errorf("group: merge: writing window %s: %w", strconv.FormatInt(int64(end), 10), err)
	}
	return nil
}

// line appends r's output line (without its newline) to dst.
func (w *Worker[T, Out]) line(dst []byte, r Out) ([]byte, error) {
	if w.cfg.AppendLine != nil {
		return w.cfg.AppendLine(dst, r), nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return dst, fmt.Errorf("encoding a result: %w", err)
	}
	return append(dst, b...), nil
}

// windowName is the output name of the window ending at end: the group
// and end-MinTime in twenty digits, so that names sort in order of end.
func (w *Worker[T, Out]) windowName(end record.Time) string {
	return fmt.Sprintf("%s-%020d", w.cfg.Group, uint64(end)^(1<<63))
}

// shardIDs lists every shard of the stream, closed ones too.
func (w *Worker[T, Out]) shardIDs(ctx context.Context) ([]string, error) {
	var ids []string
	in := &sdk.ListShardsInput{StreamName: aws.String(w.cfg.Stream)}
	for {
		out, err := w.cfg.Kinesis.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("group: merge: ListShards: %w", err)
		}
		for _, s := range out.Shards {
			ids = append(ids, aws.ToString(s.ShardId))
		}
		if out.NextToken == nil {
			return ids, nil
		}
		in = &sdk.ListShardsInput{NextToken: out.NextToken}
	}
}
