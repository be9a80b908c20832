package kinesis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// LoopOptions configure a Loop. The zero LoopOptions, and nil, are the
// defaults.
type LoopOptions struct {
	// Ledger configures the bookkeeping. A consumer that reads each shard
	// in order (GetRecords, SubscribeToShard, a consumer-group library)
	// sets Ordered.
	Ledger LedgerOptions
	// MaxSkew is how far a record's time may be ahead of the wall clock
	// (a dead letter, ErrFuture, beyond it). Zero means one hour;
	// negative turns the guard off.
	MaxSkew time.Duration
	// IdleAfter is how long a caught-up shard (the last read was empty,
	// nothing behind: MillisBehindLatest 0) may go without records before
	// its watermark advances with the wall clock minus Delay. Zero means
	// 10 s; negative turns clock progress off.
	IdleAfter time.Duration
	// Delay is the query's allowed out-of-orderness, subtracted from the
	// clock.
	Delay time.Duration
	// Now is the wall clock; nil means time.Now.
	Now func() time.Time
}

// A Loop takes the batches of one shard, read from any source, exactly
// once into a query, for a long-running consumer:
//
//	loop, _ := kinesis.NewLoop(shardID, format, query, &kinesis.LoopOptions{Ledger: kinesis.LedgerOptions{Ordered: true}})
//	ver, _ := loop.Load(ctx, store, key)        // the checkpoint, if any
//	at, ok := loop.Resume()                     // read from AT_SEQUENCE_NUMBER at, if ok
//	for {
//		out, _ := client.GetRecords(ctx, ...)
//		recs := ...                             // kinesis.FromSDK each record
//		err := loop.Take(recs, behind, emit, dead)
//		...
//		ver, err = loop.Save(ctx, store, key, ver) // a checkpoint
//	}
//
// A record taken before (an iterator renewed, a read repeated after a
// restart from an older checkpoint) is skipped, so a consumer restarted
// from its checkpoint takes every record once. Results are emitted at
// once; a consumer that wants them exactly once across crashes writes
// them where the checkpoint can account for them (Save's extra bytes,
// such as an output file's length).
//
// A Loop is not safe for concurrent use; run one per shard.
type Loop[T, Out any] struct {
	shard  string
	format Format[T]
	once   *Once[record.Of[T], Out]
	opts   LoopOptions
	items  []Item[T]
	extra  []byte

	base    []byte       // the snapshot before the batch under way
	pending []Out        // its results, emitted once it is taken
	dead    []DeadLetter // its dead letters, the same way

	caughtUp   bool
	lastActive time.Time
}

// NewLoop returns the loop of shard, decoding with format into op, which
// must implement record.Snapshotter.
func NewLoop[T, Out any](shard string, format Format[T], op record.Operator[record.Of[T], Out], opts *LoopOptions) (*Loop[T, Out], error) {
	l := &Loop[T, Out]{shard: shard, format: format}
	if opts != nil {
		l.opts = *opts
	}
	if l.opts.Now == nil {
		l.opts.Now = time.Now
	}
	if l.opts.MaxSkew == 0 {
		l.opts.MaxSkew = time.Hour
	}
	if l.opts.IdleAfter == 0 {
		l.opts.IdleAfter = 10 * time.Second
	}
	once, err := NewOnce(op, &l.opts.Ledger)
	if err != nil {
		return nil, err
	}
	l.once = once
	// A new loop has watched its shard for no time yet: it is idle only
	// IdleAfter after its start, even if its first read is empty (the
	// first records may still be on their way).
	l.lastActive = l.opts.Now()
	return l, nil
}

// Shard returns the loop's shard id.
func (l *Loop[T, Out]) Shard() string { return l.shard }

// Once returns the query with its bookkeeping.
func (l *Loop[T, Out]) Once() *Once[record.Of[T], Out] { return l.once }

// Resume returns the sequence number of the last Kinesis record taken,
// from which a reader resumes with ShardIteratorType AT_SEQUENCE_NUMBER:
// that record is read again, and what of it was taken is skipped (it may
// have been taken in part), and false before any.
func (l *Loop[T, Out]) Resume() (string, bool) {
	p, ok := l.once.Shard(l.shard).Last()
	if !ok {
		return "", false
	}
	return p.Seq.String(), true
}

// Take takes a batch of the shard: each record decoded, skipped if taken
// before, pushed into the query; records that can never be processed
// (undecodable, refused by the query, too far ahead of the clock) go to
// dead. behind is how far the batch is behind the tip of the shard
// (MillisBehindLatest): zero with no records makes the shard caught up,
// which Idle uses.
//
// Take follows the error contract of record.Operator: an error of the
// query that is not a refusal may have moved its state, so Take restores
// the snapshot it took before the batch and replays the batch up to that
// record and the record again; a record that fails the same way on replay
// goes to dead (after one more restore and replay without it). Results
// and dead letters are handed over once the batch is taken, so what a
// failed attempt emitted never reaches the caller. An ErrForgotten or
// ErrOrder stops the batch at that record, with what came before taken.
func (l *Loop[T, Out]) Take(recs []Record, behind time.Duration, emit func(Out), dead func(DeadLetter)) error {
	now := l.opts.Now()
	if len(recs) > 0 || behind > 0 {
		l.caughtUp, l.lastActive = false, now
	} else {
		l.caughtUp = true
	}
	if len(recs) == 0 {
		return nil
	}
	base, err := l.once.AppendSnapshot(l.base[:0])
	if err != nil {
		return fmt.Errorf("kinesis: shard %s: snapshot before a batch: %w", l.shard, err)
	}
	l.base = base
	var tries, poison map[Position]error
	for {
		l.pending, l.dead = l.pending[:0], l.dead[:0]
		failed, err := l.attempt(recs, now, poison)
		if failed == nil {
			for _, o := range l.pending {
				emit(o)
			}
			for _, d := range l.dead {
				dead(d)
			}
			return err
		}
		if _, again := tries[*failed]; again {
			if poison == nil {
				poison = map[Position]error{}
			}
			poison[*failed] = err
		}
		if tries == nil {
			tries = map[Position]error{}
		}
		tries[*failed] = err
		if rerr := l.once.Restore(l.base); rerr != nil {
			return fmt.Errorf("kinesis: shard %s: restoring the snapshot before the batch: %w", l.shard, rerr)
		}
		l.base = nil // the restored state may keep parts of it: never reuse it
		if base, err = l.once.AppendSnapshot(nil); err != nil {
			return fmt.Errorf("kinesis: shard %s: snapshot before a batch: %w", l.shard, err)
		}
		l.base = base
	}
}

// attempt is one pass of Take. failed is the position of a record that
// failed downstream, with the error.
func (l *Loop[T, Out]) attempt(recs []Record, now time.Time, poison map[Position]error) (*Position, error) {
	var skew record.Time = record.MaxTime
	if l.opts.MaxSkew > 0 {
		skew, _ = record.FromTime(now.Add(l.opts.MaxSkew))
	}
	emit := func(o Out) { l.pending = append(l.pending, o) }
	s := l.once.Shard(l.shard)
	for i := range recs {
		r := &recs[i]
		l.items = l.format.AppendItems(l.items[:0], r)
		for k := range l.items {
			it := &l.items[k]
			var why error
			switch perr, poisoned := poison[it.Pos]; {
			case poisoned:
				why = fmt.Errorf("failed again on replay: %w", perr)
			case it.Err != nil:
				why = it.Err
			case it.Control:
			case it.Rec.Time > skew:
				why = fmt.Errorf("%w: %v is more than %v ahead of the clock", ErrFuture, it.Rec.Time, l.opts.MaxSkew)
			default:
				taken, err := l.once.Push(s, it.Pos, it.Rec, emit)
				switch {
				case err == nil:
				case taken:
					l.dead = append(l.dead, NewDeadLetter(r, it, err))
				case errors.Is(err, ErrForgotten), errors.Is(err, ErrOrder):
					return nil, fmt.Errorf("kinesis: shard %s: %w", l.shard, err)
				default:
					return &it.Pos, err
				}
				continue
			}
			taken, err := l.once.Take(s, it.Pos)
			if err != nil {
				return nil, fmt.Errorf("kinesis: shard %s: %w", l.shard, err)
			}
			if taken && why != nil {
				l.dead = append(l.dead, NewDeadLetter(r, it, why))
			}
		}
	}
	return nil, nil
}

// Idle advances the watermark with the wall clock (now minus Delay) when
// the shard is caught up and has had no records for IdleAfter, so the last
// windows of a quiet shard close; it reports whether it did. A shard that
// is behind (a backfill) never advances by the clock.
//
// A consumer that merges the partial results of its shards takes the
// smallest shard watermark as the merged one, and lets an idle shard
// follow the most advanced shard so that it does not hold the others back
// (examples/consumer). The two rules combine as a maximum: an idle,
// caught-up shard moves to the larger of the most advanced shard's
// watermark and the clock minus Delay. The shard rule alone never closes
// the last windows of a stream that went quiet on every shard; the clock
// does, at the price that a record whose event time lags the clock by more
// than Delay is late. Streams with synthetic or replayed event times keep
// the clock off (IdleAfter negative).
func (l *Loop[T, Out]) Idle(now time.Time, emit func(Out)) (bool, error) {
	if l.opts.IdleAfter < 0 || !l.caughtUp || now.Sub(l.lastActive) < l.opts.IdleAfter {
		return false, nil
	}
	wm, err := record.FromTime(now.Add(-l.opts.Delay))
	if err != nil {
		return false, nil
	}
	return true, l.once.Advance(wm, emit)
}

// Watermark returns the query's watermark when it reports one (an
// operator with Stats() window.Stats), record.MinTime otherwise.
func (l *Loop[T, Out]) Watermark() record.Time {
	if s, ok := l.once.Operator().(interface{ Stats() window.Stats }); ok {
		return s.Stats().Watermark
	}
	return record.MinTime
}

// SetExtra sets bytes of the caller's own that the next Save keeps with
// the state (an output's length, a merge's snapshot); Load brings them
// back (Extra).
func (l *Loop[T, Out]) SetExtra(b []byte) { l.extra = append(l.extra[:0], b...) }

// Extra returns the caller's bytes of the last Load or SetExtra.
func (l *Loop[T, Out]) Extra() []byte { return l.extra }

// Save checkpoints the loop (bookkeeping, query state, extra bytes) in
// store under key, conditional on version prev, and returns the new
// version (ErrConflict: another consumer took the shard over).
func (l *Loop[T, Out]) Save(ctx context.Context, store Store, key string, prev Version) (Version, error) {
	data, err := l.once.AppendSnapshot(nil)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 0, len(data)+len(l.extra)+20)
	buf = appendLen(buf, data)
	buf = append(buf, l.extra...)
	return store.Save(ctx, key, buf, prev)
}

// Load restores the loop from the checkpoint in store under key and
// returns its version; with no checkpoint (ErrNotFound) it leaves the
// loop as it is and returns version 0.
func (l *Loop[T, Out]) Load(ctx context.Context, store Store, key string) (Version, error) {
	data, ver, err := store.Load(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	r := &reader{b: data}
	snap := r.bytes(r.uvarint())
	if r.err != nil {
		return 0, fmt.Errorf("%w: checkpoint %s: %w", ErrState, key, r.err)
	}
	if err := l.once.Restore(snap); err != nil {
		return 0, fmt.Errorf("%w: checkpoint %s: %w", ErrState, key, err)
	}
	l.extra = append(l.extra[:0], r.b...)
	return ver, nil
}

func appendLen(dst, b []byte) []byte {
	dst = appendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendUvarint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}
