package group

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/kinesis"
)

// shard reads one shard for as long as this worker holds its lease. A
// failure that another worker would meet too stops the whole worker
// (stop); losing the shard stops only the shard.
func (w *Worker[T, Out]) shard(parent context.Context, stop context.CancelCauseFunc, s types.Shard) {
	id := aws.ToString(s.ShardId)
	ctx, done := w.group.ShardContext(parent, id)
	defer done()
	log := w.log.With("shard", id)
	closed, err := w.read(ctx, s)
	switch {
	case err == nil && closed:
		// The item says the shard is drained: complete its lease, so
		// that its children may start.
		if err := w.group.CloseShard(context.WithoutCancel(ctx), id); err != nil {
			stop(fmt.Errorf("group: completing the lease of %s: %w", id, err))
		}
		w.count(func(s *Stats) { s.Closed++ })
		log.Info("shard read to its end")
		return
	case errors.Is(err, ErrFenced):
		w.count(func(s *Stats) { s.Fenced++ })
		log.Warn("stopped the shard: another worker took it over", "err", err)
	case err != nil && parent.Err() == nil && ctx.Err() == nil:
		stop(err)
		return
	case parent.Err() == nil:
		w.count(func(s *Stats) { s.Handoffs++ })
		log.Info("gave the shard up to another worker")
	}
	if parent.Err() != nil {
		// The worker stops: its leases expire, or it restarts and
		// releases them then.
		return
	}
	// Release the lease (a no-op if another worker holds it) and let the
	// library hand the shard out again.
	if err := w.group.ShardStopped(context.WithoutCancel(ctx), id); err != nil {
		stop(fmt.Errorf("group: releasing the lease of %s: %w", id, err))
	}
}

// owned is a shard while this worker owns it.
type owned[T, Out any] struct {
	w    *Worker[T, Out]
	id   string
	key  string
	loop *kinesis.Loop[T, Out]
	ver  kinesis.Version
	hdr  header
	out  []Out
	// flushed is the index in out of the first result of the flush at
	// the shard's end (-1: none): with KeyedShards they are partials,
	// since the shard's children may add to their windows.
	flushed int
	dead    bytes.Buffer
	iterAt  time.Time // when the iterator in use was got
}

// read takes shard id over and reads it until its end (true), the lease
// is lost (ErrFenced, or ctx ends) or an error.
func (w *Worker[T, Out]) read(ctx context.Context, s types.Shard) (bool, error) {
	id := aws.ToString(s.ShardId)
	o := &owned[T, Out]{w: w, id: id, key: w.stateKey(id), flushed: -1}
	if err := o.load(ctx); err != nil {
		return false, err
	}
	if o.hdr.Closed {
		return true, nil
	}
	if o.ver == 0 {
		if err := o.inherit(ctx, s); err != nil {
			return false, err
		}
	}
	// Take over: bump the epoch, conditional on the version read. From
	// here on, a save by the previous owner, conditional on the version
	// it read, fails: it is fenced out before this worker's first batch.
	prevOwner := o.hdr.Owner
	o.hdr.Epoch++
	o.hdr.Owner = w.cfg.Worker
	if err := o.save(ctx); err != nil {
		return false, err
	}
	w.count(func(s *Stats) { s.Shards++ })
	w.log.Info("took the shard", "shard", id, "epoch", o.hdr.Epoch, "from", prevOwner)
	// The outbox of the last batch saved, perhaps never written.
	if err := o.flushOutbox(ctx); err != nil {
		return false, err
	}

	iter, err := o.iterator(ctx)
	if err != nil {
		return false, err
	}
	tick := time.NewTicker(w.cfg.Poll)
	defer tick.Stop()
	recs := make([]kinesis.Record, 0, 256)
	for {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		res, err := w.cfg.Kinesis.GetRecords(ctx, &sdk.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(w.cfg.Limit)})
		var expired *types.ExpiredIteratorException
		var throttled *types.ProvisionedThroughputExceededException
		switch {
		case ctx.Err() != nil:
			return false, ctx.Err()
		case errors.As(err, &expired):
			// An iterator lives five minutes: one that expires at once
			// points at records that are gone.
			if time.Since(o.iterAt) < time.Minute {
				return false, o.trimmed(err)
			}
			if iter, err = o.iterator(ctx); err != nil {
				return false, err
			}
			continue
		case errors.As(err, &throttled):
			if !sleep(ctx, time.Second) {
				return false, ctx.Err()
			}
			continue
		case err != nil:
			return false, fmt.Errorf("group: shard %s: GetRecords: %w", id, err)
		}
		o.iterAt = time.Now() // of res.NextShardIterator
		recs = recs[:0]
		for i := range res.Records {
			r, err := kinesis.FromSDK(id, &res.Records[i])
			if err != nil {
				return false, fmt.Errorf("group: shard %s: %w", id, err)
			}
			recs = append(recs, r)
		}
		behind := time.Duration(aws.ToInt64(res.MillisBehindLatest)) * time.Millisecond
		wm := o.loop.Watermark()
		if err := o.loop.Take(recs, behind, o.emit, o.deadLetter); err != nil {
			// A query failure (the loop's contract): restore the item
			// and read again from its checkpoint; a record failing so
			// twice is a dead letter.
			w.log.Warn("restoring the shard after a failure", "shard", id, "err", err)
			if err := o.load(ctx); err != nil {
				return false, err
			}
			if iter, err = o.iterator(ctx); err != nil {
				return false, err
			}
			continue
		}
		if len(recs) == 0 {
			if _, err := o.loop.Idle(time.Now(), o.emit); err != nil {
				return false, fmt.Errorf("group: shard %s: %w", id, err)
			}
		}
		end := res.NextShardIterator == nil
		if end {
			// Drained: every open window is emitted now, as this
			// shard's partials; its children start empty (see the
			// package docs).
			o.hdr.Closed, o.hdr.Drained = true, o.loop.Watermark()
			o.flushed = len(o.out)
			if err := o.loop.Once().Flush(o.emit); err != nil {
				return false, fmt.Errorf("group: shard %s: %w", id, err)
			}
		}
		w.count(func(s *Stats) { s.Records += uint64(len(recs)) })
		if len(recs) > 0 || end || len(o.out) > 0 || o.dead.Len() > 0 || o.loop.Watermark() != wm {
			if err := o.commit(ctx); err != nil {
				return false, err
			}
		}
		if end {
			return true, nil
		}
		iter = res.NextShardIterator
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-tick.C:
		}
	}
}

// inherit starts a child of a resharding: the lease library hands it out
// only once its parents are read to their ends, and each parent flushed
// its open windows then, as its own partials. The child starts with empty
// state and its watermark at its parents' last (the higher of two, for a
// merge), so a record late for its parent is late for the child as well,
// and none lands in a window the merge has already written.
func (o *owned[T, Out]) inherit(ctx context.Context, s types.Shard) error {
	wm := record.MinTime
	for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
		if aws.ToString(p) == "" {
			continue
		}
		key := o.w.stateKey(aws.ToString(p))
		data, _, err := o.w.cfg.State.Load(ctx, key)
		if errors.Is(err, kinesis.ErrNotFound) {
			continue // a parent past the trim horizon, never read by this group
		}
		if err != nil {
			return fmt.Errorf("group: shard %s: reading parent item %s: %w", o.id, key, err)
		}
		extra, err := extraOf(data)
		if err != nil {
			return fmt.Errorf("group: shard %s: parent item %s: %w", o.id, key, err)
		}
		h, err := parseHeader(extra)
		if err != nil {
			return fmt.Errorf("group: shard %s: parent item %s: %w", o.id, key, err)
		}
		wm = max(wm, h.Drained)
		// Windows a parent flushed at its end (or shared with its own
		// parents) may get records from this child too: with
		// KeyedShards their results go through the merge.
		o.hdr.Shared = max(o.hdr.Shared, h.Shared)
	}
	if wm > record.MinTime {
		if err := o.loop.Once().Advance(wm, o.emit); err != nil {
			return fmt.Errorf("group: shard %s: %w", o.id, err)
		}
	}
	return nil
}

// load reads the shard's item into a new loop.
func (o *owned[T, Out]) load(ctx context.Context) error {
	if o.loop == nil {
		op, err := o.w.cfg.Query()
		if err != nil {
			return err
		}
		// The same loop on a restore after a failure: it remembers which
		// records failed, to dead-letter them the second time.
		if o.loop, err = kinesis.NewLoop(o.id, o.w.cfg.Format, op, &o.w.cfg.Loop); err != nil {
			return err
		}
	}
	var err error
	o.ver, err = o.loop.Load(ctx, o.w.cfg.State, o.key)
	if err != nil {
		return fmt.Errorf("group: shard %s: state item %s: %w (an item of another query or an older format: give this query its own -group or state table, or delete the item to start the shard over)", o.id, o.key, err)
	}
	o.hdr, err = parseHeader(o.loop.Extra())
	if err != nil {
		return fmt.Errorf("group: shard %s: state item %s: %w", o.id, o.key, err)
	}
	o.out, o.dead = o.out[:0], bytes.Buffer{}
	return nil
}

func (o *owned[T, Out]) emit(r Out) { o.out = append(o.out, r) }

func (o *owned[T, Out]) deadLetter(d kinesis.DeadLetter) {
	b, _ := json.Marshal(d)
	o.dead.Write(b)
	o.dead.WriteByte('\n')
}

// commit files the batch's results among the partials (or, with
// KeyedShards, the final results in the outbox) and its dead letters in
// the outbox, and saves the item conditional on the version read; then
// writes the outbox.
func (o *owned[T, Out]) commit(ctx context.Context) error {
	through := o.w.merged()
	o.hdr.Final = o.hdr.Final[:0]
	var finals map[record.Time][]keyed
	for i, r := range o.out {
		end, key := o.w.cfg.Window(r)
		atEnd := o.flushed >= 0 && i >= o.flushed
		if atEnd {
			// The children may add to this window: it is shared.
			o.hdr.Shared = max(o.hdr.Shared, end)
		}
		if o.w.cfg.KeyedShards && !atEnd && end > o.hdr.Shared {
			if end <= o.hdr.FinalThrough {
				o.w.log.Error("a result of a window already written is dropped (a query with allowed lateness?)",
					"shard", o.id, "window_end", end, "written_through", o.hdr.FinalThrough)
				continue
			}
			if finals == nil {
				finals = map[record.Time][]keyed{}
			}
			line, err := o.w.line(nil, r)
			if err != nil {
				return fmt.Errorf("group: shard %s: %w", o.id, err)
			}
			finals[end] = append(finals[end], keyed{key, line})
			continue
		}
		if end <= through {
			// Cannot happen with a query that emits a window once, when
			// its watermark passes the end: say so, never drop quietly.
			o.w.log.Error("a result of a window already merged is dropped (a query with allowed lateness?)",
				"shard", o.id, "window_end", end, "merged_through", through)
			continue
		}
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("group: shard %s: encoding a result: %w", o.id, err)
		}
		o.hdr.add(end, b)
	}
	o.out, o.flushed = o.out[:0], -1
	for end, ks := range finals {
		slices.SortFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
		var lines []byte
		for _, k := range ks {
			lines = append(append(lines, k.line...), '\n')
		}
		o.hdr.Final = append(o.hdr.Final, final{End: end, Lines: lines})
		o.hdr.FinalThrough = max(o.hdr.FinalThrough, end)
	}
	slices.SortFunc(o.hdr.Final, func(a, b final) int { return cmp.Compare(a.End, b.End) })
	o.hdr.prune(through)
	o.hdr.Watermark = o.loop.Watermark()
	if o.hdr.Closed {
		o.hdr.Watermark = record.MaxTime
	}
	o.hdr.Dead = append(o.hdr.Dead[:0], o.dead.Bytes()...)
	o.dead.Reset()
	o.hdr.Batch++
	if err := o.save(ctx); err != nil {
		return err
	}
	o.w.count(func(s *Stats) { s.Batches++ })
	return o.flushOutbox(ctx)
}

// keyed is an output line and its key.
type keyed struct {
	key  string
	line []byte
}

func (o *owned[T, Out]) save(ctx context.Context) error {
	o.loop.SetExtra(o.hdr.encode())
	ver, err := o.loop.Save(ctx, o.w.cfg.State, o.key, o.ver)
	if errors.Is(err, kinesis.ErrConflict) {
		return fmt.Errorf("%w: shard %s (epoch %d): %w", ErrFenced, o.id, o.hdr.Epoch, err)
	}
	if err != nil {
		return fmt.Errorf("group: shard %s: saving item %s: %w", o.id, o.key, err)
	}
	o.ver = ver
	return nil
}

// flushOutbox writes the saved outbox: the final results of the batch
// (KeyedShards), under a name per window and shard, and its dead letters,
// under a name per shard and batch. A repeat, by this worker or the next
// owner, writes the same lines under the same names.
func (o *owned[T, Out]) flushOutbox(ctx context.Context) error {
	for _, f := range o.hdr.Final {
		name := fmt.Sprintf("%s-%s", o.w.windowName(f.End), o.id)
		if err := o.w.cfg.Output.Write(ctx, name, f.Lines); err != nil {
			return fmt.Errorf("group: shard %s: writing window %d: %w", o.id, f.End, err)
		}
		o.w.count(func(s *Stats) { s.Final++ })
	}
	if len(o.hdr.Dead) == 0 {
		return nil
	}
	name := fmt.Sprintf("dead-%s-%s-%d", o.w.cfg.Group, o.id, o.hdr.Batch)
	if o.w.cfg.DeadLetters == nil {
		o.w.log.Warn("dead letters", "shard", o.id, "lines", string(o.hdr.Dead))
		return nil
	}
	if err := o.w.cfg.DeadLetters.Write(ctx, name, o.hdr.Dead); err != nil {
		return fmt.Errorf("group: shard %s: writing dead letters: %w", o.id, err)
	}
	return nil
}

// iterator returns an iterator at the checkpoint: the last Kinesis record
// taken, again (it may have been taken in part), or the trim horizon.
func (o *owned[T, Out]) iterator(ctx context.Context) (*string, error) {
	in := &sdk.GetShardIteratorInput{StreamName: aws.String(o.w.cfg.Stream), ShardId: aws.String(o.id),
		ShardIteratorType: types.ShardIteratorTypeTrimHorizon}
	at, ok := o.loop.Resume()
	if ok {
		in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeAtSequenceNumber, aws.String(at)
	}
	out, err := o.w.cfg.Kinesis.GetShardIterator(ctx, in)
	if err != nil {
		if ok && IsTrimmed(err) {
			return nil, o.trimmed(err)
		}
		return nil, fmt.Errorf("group: shard %s: GetShardIterator: %w", o.id, err)
	}
	o.iterAt = time.Now()
	return out.ShardIterator, nil
}

// trimmed is the error of a checkpoint past the trim horizon (or, with no
// checkpoint, of a shard whose oldest records expire as they are read).
func (o *owned[T, Out]) trimmed(err error) error {
	at, ok := o.loop.Resume()
	if !ok {
		return fmt.Errorf("%w: shard %s, read from its trim horizon: %w (the stream trims records faster than they are read: raise its retention period)",
			ErrTrimmed, o.id, err)
	}
	return fmt.Errorf("%w: shard %s, sequence number %s in item %s: %w (the records after it are gone; to read the shard from its trim horizon, accepting the loss, delete the item)",
		ErrTrimmed, o.id, at, o.key, err)
}

// IsTrimmed tells the error Kinesis answers GetShardIterator for a
// starting sequence number it no longer holds (the test the lease library
// uses as well).
func IsTrimmed(err error) bool {
	var ia *types.InvalidArgumentException
	if !errors.As(err, &ia) {
		return false
	}
	m := strings.ToLower(aws.ToString(ia.Message))
	return strings.Contains(m, "startingsequencenumber") || strings.Contains(m, "starting sequence number")
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
