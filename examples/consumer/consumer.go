package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/rowtime/rowtime/examples/query/trending"
	"github.com/rowtime/rowtime/record"
	rk "github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/record/kinesis/group"
	"github.com/rowtime/rowtime/window"
)

// ErrTrimmed reports a checkpoint past the stream's trim horizon: the
// records after it are gone from the stream.
var ErrTrimmed = errors.New("consumer: the checkpoint is past the stream's trim horizon")

// KinesisAPI is the part of the Kinesis client the consumer uses;
// *kinesis.Client implements it.
type KinesisAPI interface {
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// Config configures a Consumer. Stream is required; zero values of the
// other fields are the defaults.
type Config struct {
	Stream string          // the Kinesis stream
	Users  *trending.Users // the users table of the left join; nil: empty
	Delay  time.Duration   // allowed out-of-orderness of event time

	// IdleAfter is how long a shard that is caught up (no records, nothing
	// behind) may stay without records before the consumer advances its
	// watermark to the other shards', so that it does not hold back every
	// merged window. A record that later arrives on it older than that
	// watermark is late. Default 10 s.
	IdleAfter time.Duration
	// Poll is the wait after a GetRecords that returned nothing (Kinesis
	// allows five reads a second per shard). Default 1 s.
	Poll time.Duration
	// Limit is the most records one GetRecords returns. Default 1000.
	Limit int32
	// ListEvery is how often the shards are listed again, to find the
	// children of a resharding. Default 30 s.
	ListEvery time.Duration

	// Checkpoint is the checkpoint file; "" keeps none (every start reads
	// the stream from its oldest record).
	Checkpoint string
	// CheckpointEvery is the time between checkpoints; 0 checkpoints after
	// every batch.
	CheckpointEvery time.Duration
	// Out and Dead are the files results and dead letters are appended to;
	// "" means stdout and stderr. With files and a checkpoint, output is
	// exactly once across a crash: the consumer truncates each file to the
	// length its checkpoint recorded before it resumes. Standard streams
	// cannot be truncated: lines written after the last checkpoint may come
	// again after a crash.
	Out, Dead string

	// Drain makes Run return once every shard is caught up and has been
	// idle for IdleAfter (or has ended): it then flushes every open window
	// and checkpoints. For backfills and tests.
	Drain bool

	// Log receives progress and problems; nil means none.
	Log io.Writer
}

func (c *Config) defaults() {
	if c.IdleAfter <= 0 {
		c.IdleAfter = 10 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Limit <= 0 {
		c.Limit = 1000
	}
	if c.ListEvery <= 0 {
		c.ListEvery = 30 * time.Second
	}
}

// partialOp is what the consumer needs of a shard's operator:
// trending.Partial, the counts kept as mergeable accumulators, with its
// snapshot.
type partialOp interface {
	record.Operator[trending.Event, window.Result[trending.Key, trending.State]]
	Stats() window.Stats
	AppendSnapshot(dst []byte) ([]byte, error)
	Restore(data []byte) error
}

// shard is the consumer's state of one shard.
type shard struct {
	id, parent, adjacent string
	finished             bool // read to its end (closed by a resharding)
	records, dead        uint64

	// loop takes the shard's batches exactly once into op (through
	// joinOp): its bookkeeping knows what the shard has taken.
	loop    *rk.Loop[trending.Action, window.Result[trending.Key, trending.State]]
	op      partialOp
	late    error // the late report of the current Push
	wm      record.Time
	running bool // a fetcher reads it

	caughtUp   bool      // the last fetch was empty and nothing was behind
	lastActive time.Time // wall time of the last fetch with records or a backlog
}

// Consumer reads every shard of a stream and runs the trending query over
// them: one operator per shard, the shards' partial window results merged
// into one result per window and key.
type Consumer struct {
	cfg Config
	api KinesisAPI

	shards map[string]*shard
	merge  *merge[trending.Key, trending.State, trending.Counts]
	out    *sink
	dead   *sink
	outBuf []byte
	fetch  chan fetched
	errs   error // merge errors met while processing

	lastCommit time.Time
	lastList   time.Time
	dirty      bool
	now        func() time.Time

	wrapOp func(partialOp) partialOp // tests: wraps each shard's operator
}

// New returns a consumer of cfg.Stream through api. It loads the checkpoint
// if there is one, and opens the outputs.
func New(api KinesisAPI, cfg Config) (*Consumer, error) {
	if cfg.Stream == "" {
		return nil, errors.New("consumer: no stream")
	}
	cfg.defaults()
	c := &Consumer{
		cfg:    cfg,
		api:    api,
		shards: map[string]*shard{},
		merge:  newMerge[trending.Key](trending.CountsFunc(), compareKeys),
		now:    time.Now,
	}
	// With no checkpoint to say how much of them it accounts for, existing
	// output files are appended to (offset -1).
	outOff, deadOff := int64(-1), int64(-1)
	if cfg.Checkpoint != "" {
		cp, err := readCheckpoint(cfg.Checkpoint)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, err
		default:
			if err := c.restore(cp); err != nil {
				return nil, err
			}
			outOff, deadOff = cp.OutOffset, cp.DeadOffset
		}
	}
	var err error
	if c.out, err = openSink(cfg.Out, os.Stdout, outOff); err != nil {
		return nil, err
	}
	if c.dead, err = openSink(cfg.Dead, os.Stderr, deadOff); err != nil {
		c.out.close()
		return nil, err
	}
	return c, nil
}

// compareKeys orders the keys of one window in the output: known groups
// first, by gender and segment, then by article.
func compareKeys(a, b trending.Key) int {
	return cmp.Or(
		-boolCmp(a.Known, b.Known),
		strings.Compare(a.Gender, b.Gender),
		cmp.Compare(a.Segment, b.Segment),
		cmp.Compare(a.Article, b.Article))
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func (c *Consumer) logf(format string, args ...any) {
	if c.cfg.Log != nil {
		fmt.Fprintf(c.cfg.Log, "consumer: "+format+"\n", args...)
	}
}

// newShard returns the state of a shard seen for the first time. Its
// operator starts at the merge's final watermark: records older than what
// is already final are late for it.
func (c *Consumer) newShard(id, parent, adjacent string) (*shard, error) {
	s := &shard{id: id, parent: parent, adjacent: adjacent}
	op, err := c.newOp(s)
	if err != nil {
		return nil, err
	}
	s.op = op
	s.wm = record.MinTime
	if f := c.merge.final; f > record.MinTime {
		if err := c.advance(s, f); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// newOp sets s's operator and the loop that feeds it.
func (c *Consumer) newOp(s *shard) (partialOp, error) {
	op, err := trending.Partial(&window.Options[trending.Event]{
		Delay: c.cfg.Delay,
		Late:  func(_ trending.Event, err error) { s.late = errors.Join(s.late, err) },
	})
	if err != nil {
		return nil, err
	}
	p, ok := any(op).(partialOp)
	if !ok {
		return nil, fmt.Errorf("consumer: %T has no snapshot", op)
	}
	if c.wrapOp != nil {
		p = c.wrapOp(p)
	}
	loop, err := rk.NewLoop[trending.Action, window.Result[trending.Key, trending.State]](s.id,
		rk.NewJSON[trending.Action](actionDecoder{}, nil), &joinOp{s: s, users: c.cfg.Users, op: p},
		&rk.LoopOptions{Ledger: rk.LedgerOptions{Ordered: true, Name: "trending"}, IdleAfter: -1})
	if err != nil {
		return nil, err
	}
	s.loop = loop
	return p, nil
}

// actionDecoder decodes action payloads, one per record, its errors
// wrapping trending.ErrDecode.
type actionDecoder struct{}

func (actionDecoder) Append(dst []trending.Record, data []byte, _ record.Time) ([]trending.Record, error) {
	r, err := trending.Decode(data)
	if err != nil {
		return dst, err
	}
	return append(dst, r), nil
}

// joinOp joins each action with the users table and pushes the event into
// the shard's partial counts; a record too late for its window is refused,
// so that it goes to the dead letters.
type joinOp struct {
	s     *shard
	users *trending.Users
	op    partialOp
}

func (j *joinOp) Push(r trending.Record, emit func(window.Result[trending.Key, trending.State])) error {
	j.s.late = nil
	err := j.op.Push(trending.Join(j.users, r), emit)
	late := j.s.late
	j.s.late = nil
	if err == nil && late != nil {
		return rk.Refuse(late)
	}
	return err
}

func (j *joinOp) Advance(wm record.Time, emit func(window.Result[trending.Key, trending.State])) error {
	return j.op.Advance(wm, emit)
}

func (j *joinOp) Flush(emit func(window.Result[trending.Key, trending.State])) error {
	return j.op.Flush(emit)
}

func (j *joinOp) AppendSnapshot(dst []byte) ([]byte, error) { return j.op.AppendSnapshot(dst) }

func (j *joinOp) Restore(data []byte) error { return j.op.Restore(data) }

// emitPartial folds a shard's partial result into the merge.
func (c *Consumer) emitPartial(r window.Result[trending.Key, trending.State]) {
	if err := c.merge.add(r.Start, r.End, r.Key, &r.Value); err != nil {
		c.errs = errors.Join(c.errs, err)
	}
}

func (c *Consumer) emitLine(start, end record.Time, key trending.Key, v trending.Counts) {
	c.outBuf = trending.AppendLine(c.outBuf, window.Result[trending.Key, trending.Counts]{Start: start, End: end, Key: key, Value: v})
	c.outBuf = append(c.outBuf, '\n')
}

func (c *Consumer) advance(s *shard, wm record.Time) error {
	if err := s.op.Advance(wm, c.emitPartial); err != nil {
		return fmt.Errorf("consumer: shard %s: %w", s.id, err)
	}
	s.wm = s.op.Stats().Watermark
	return nil
}

func (c *Consumer) deadLetter(s *shard, d rk.DeadLetter) {
	c.dead.buf = d.AppendJSON(c.dead.buf)
	s.dead++
}

// take runs a fetched batch through its shard's loop, which skips the
// records it has taken before (read again after an iterator was renewed).
func (c *Consumer) take(f fetched) error {
	s := c.shards[f.shard]
	if s == nil || s.finished {
		return nil
	}
	now := c.now()
	recs := make([]rk.Record, 0, len(f.records))
	for i := range f.records {
		r, err := rk.FromSDK(s.id, &f.records[i])
		if err != nil {
			c.deadLetter(s, rk.DeadLetter{Shard: s.id, SequenceNumber: aws.ToString(f.records[i].SequenceNumber), Error: err.Error(), Data: f.records[i].Data})
			continue
		}
		recs = append(recs, r)
	}
	behind := time.Duration(f.behind) * time.Millisecond
	if err := s.loop.Take(recs, behind, c.emitPartial, func(d rk.DeadLetter) { c.deadLetter(s, d) }); err != nil {
		return err
	}
	s.records += uint64(len(recs))
	s.wm = s.op.Stats().Watermark
	if len(f.records) > 0 || f.behind > 0 {
		s.caughtUp, s.lastActive = false, now
	} else {
		s.caughtUp = true
	}
	if f.closed {
		// The shard ended in a resharding: all its records are read, so
		// nothing more can come into its windows.
		if err := s.op.Flush(c.emitPartial); err != nil {
			return fmt.Errorf("consumer: shard %s: %w", s.id, err)
		}
		s.finished, s.running, s.wm = true, false, record.MaxTime
		c.logf("shard %s ended after %d records", s.id, s.records)
	}
	c.dirty = c.dirty || len(f.records) > 0 || f.closed
	return nil
}

// idle reports whether s has been caught up and without records for
// IdleAfter.
func (c *Consumer) idle(s *shard, now time.Time) bool {
	return !s.finished && s.caughtUp && now.Sub(s.lastActive) >= c.cfg.IdleAfter
}

// settle advances idle shards to the most advanced shard's watermark and
// emits the merged windows that every shard's watermark has passed. The
// target is taken over every running shard, idle ones included, so a shard
// that never had a record still follows the stream once all shards are idle.
func (c *Consumer) settle() error {
	now := c.now()
	target := record.MinTime
	for _, s := range c.shards {
		if s.running {
			target = max(target, s.wm)
		}
	}
	for _, s := range c.sorted() {
		if s.running && c.idle(s, now) && target > s.wm {
			if err := c.advance(s, target); err != nil {
				return err
			}
			c.dirty = true
		}
	}
	wm := record.MaxTime
	for _, s := range c.shards {
		if !s.finished {
			wm = min(wm, s.wm)
		}
	}
	if wm > c.merge.final && wm > record.MinTime {
		c.merge.advance(wm, c.emitLine)
		c.dirty = true
	}
	err := c.errs
	c.errs = nil
	return err
}

func (c *Consumer) sorted() []*shard {
	out := make([]*shard, 0, len(c.shards))
	for _, s := range c.shards {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *shard) int { return strings.Compare(a.id, b.id) })
	return out
}

// listShards adds the stream's shards that the consumer does not know yet.
func (c *Consumer) listShards(ctx context.Context) error {
	in := &kinesis.ListShardsInput{StreamName: aws.String(c.cfg.Stream)}
	var listed []types.Shard
	for {
		out, err := c.api.ListShards(ctx, in)
		if err != nil {
			return fmt.Errorf("consumer: listing the shards of %s: %w", c.cfg.Stream, err)
		}
		listed = append(listed, out.Shards...)
		if out.NextToken == nil || len(out.Shards) == 0 {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	for _, sh := range listed {
		id := aws.ToString(sh.ShardId)
		if _, ok := c.shards[id]; ok {
			continue
		}
		s, err := c.newShard(id, aws.ToString(sh.ParentShardId), aws.ToString(sh.AdjacentParentShardId))
		if err != nil {
			return err
		}
		c.shards[id] = s
		c.dirty = true
	}
	c.lastList = c.now()
	return nil
}

// ready reports whether s may be read: its parents (if the consumer knows
// them) are read to their ends, so records come in order across a
// resharding.
func (c *Consumer) ready(s *shard) bool {
	for _, p := range []string{s.parent, s.adjacent} {
		if ps, ok := c.shards[p]; ok && !ps.finished {
			return false
		}
	}
	return true
}

// Run reads the stream until ctx is done (or, with Drain, until the stream
// is drained), checkpointing as it goes. It returns nil on a drained stream
// and ctx.Err() on cancellation, after a last checkpoint.
func (c *Consumer) Run(ctx context.Context) (err error) {
	defer func() {
		c.out.close()
		c.dead.close()
	}()
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	c.fetch = make(chan fetched)
	if err := c.listShards(ctx); err != nil {
		return err
	}
	tick := time.NewTicker(max(c.cfg.Poll, 10*time.Millisecond))
	defer tick.Stop()
	for {
		for _, s := range c.sorted() {
			if !s.running && !s.finished && c.ready(s) {
				s.running = true
				s.lastActive = c.now()
				after, _ := s.loop.Resume()
				go c.fetcher(fctx, s.id, after)
			}
		}
		select {
		case <-ctx.Done():
			if err := c.commit(); err != nil {
				return err
			}
			c.summary("stopped")
			return ctx.Err()
		case f := <-c.fetch:
			if f.err != nil {
				return f.err
			}
			if err := c.take(f); err != nil {
				return err
			}
		case <-tick.C:
		}
		if err := c.settle(); err != nil {
			return err
		}
		if c.now().Sub(c.lastList) >= c.cfg.ListEvery {
			if err := c.listShards(ctx); err != nil {
				c.logf("%v", err)
			}
		}
		if c.cfg.Drain && c.drained() {
			stop()
			for _, s := range c.sorted() {
				if err := s.op.Flush(c.emitPartial); err != nil {
					return fmt.Errorf("consumer: shard %s: %w", s.id, err)
				}
				s.wm = s.op.Stats().Watermark
			}
			c.merge.advance(record.MaxTime, c.emitLine)
			if c.errs != nil {
				return c.errs
			}
			c.dirty = true
			if err := c.commit(); err != nil {
				return err
			}
			c.summary("drained")
			return nil
		}
		if c.dirty && c.now().Sub(c.lastCommit) >= c.cfg.CheckpointEvery {
			if err := c.commit(); err != nil {
				return err
			}
		}
	}
}

// summary logs what each shard has taken.
func (c *Consumer) summary(why string) {
	for _, s := range c.sorted() {
		last, _ := s.loop.Resume()
		c.logf("%s: shard %s: %d records taken, %d dead letters, watermark %d, last sequence number %q",
			why, s.id, s.records, s.dead, s.wm, last)
	}
	c.logf("%s: %d merged (window, key) results pending; output %d bytes", why, c.merge.pending(), c.out.offset)
}

// drained reports whether every shard has ended or is idle.
func (c *Consumer) drained() bool {
	now := c.now()
	for _, s := range c.shards {
		if !s.finished && !(s.running && c.idle(s, now)) {
			return false
		}
	}
	return true
}

// fetched is one GetRecords answer for the coordinator.
type fetched struct {
	shard   string
	records []types.Record
	behind  int64 // MillisBehindLatest
	closed  bool  // the shard has ended and every record was returned
	err     error // the shard cannot be read
}

// fetcher reads one shard from just after sequence number after (from its
// oldest record when after is ""), and hands each batch to the coordinator.
// Records a restart reads again are skipped by the coordinator, which
// knows what it has taken.
func (c *Consumer) fetcher(ctx context.Context, id, after string) {
	send := func(f fetched) bool {
		select {
		case c.fetch <- f:
			return true
		case <-ctx.Done():
			return false
		}
	}
	sleep := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	backoff := 100 * time.Millisecond
	// retry takes a failed call: an error that may go away is logged and
	// waited out, the wait doubling up to 5 s, and retry reports true; any
	// other error goes to the coordinator, and retry reports false, as it
	// does when the context ends during the wait.
	retry := func(err error) bool {
		if !retryable(err) {
			send(fetched{shard: id, err: fmt.Errorf("consumer: shard %s: %w", id, err)})
			return false
		}
		c.logf("shard %s: %v (retrying)", id, err)
		if !sleep(backoff) {
			return false
		}
		backoff = min(2*backoff, 5*time.Second)
		return true
	}
	var iter *string
	var iterAt time.Time // when iter was got
	trimmed := func(err error) {
		if after == "" {
			send(fetched{shard: id, err: fmt.Errorf("%w: shard %s, read from its trim horizon: %w (the stream trims records faster than they are read: raise its retention period)", ErrTrimmed, id, err)})
			return
		}
		send(fetched{shard: id, err: fmt.Errorf("%w: shard %s, sequence number %s: %w (the records after it are gone; to read on from the trim horizon, accepting the loss, delete the checkpoint file and the output it accounts for, and start again)",
			ErrTrimmed, id, after, err)})
	}
	for ctx.Err() == nil {
		if iter == nil {
			in := &kinesis.GetShardIteratorInput{StreamName: aws.String(c.cfg.Stream), ShardId: aws.String(id), ShardIteratorType: types.ShardIteratorTypeTrimHorizon}
			if after != "" {
				in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
				in.StartingSequenceNumber = aws.String(after)
			}
			out, err := c.api.GetShardIterator(ctx, in)
			if err != nil {
				if after != "" && group.IsTrimmed(err) {
					trimmed(err)
					return
				}
				if !retry(err) {
					return
				}
				continue
			}
			iter, iterAt = out.ShardIterator, time.Now()
		}
		out, err := c.api.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(c.cfg.Limit)})
		if err != nil {
			var expired *types.ExpiredIteratorException
			if errors.As(err, &expired) {
				// An iterator lives five minutes: one that expires at
				// once points at records that are gone.
				if time.Since(iterAt) < time.Minute {
					trimmed(err)
					return
				}
				iter = nil
				continue
			}
			if !retry(err) {
				return
			}
			continue
		}
		backoff = 100 * time.Millisecond
		f := fetched{shard: id, records: out.Records, behind: aws.ToInt64(out.MillisBehindLatest), closed: out.NextShardIterator == nil}
		if n := len(out.Records); n > 0 {
			after = aws.ToString(out.Records[n-1].SequenceNumber)
		}
		if !send(f) || f.closed {
			return
		}
		iter, iterAt = out.NextShardIterator, time.Now()
		if len(out.Records) == 0 && !sleep(c.cfg.Poll) {
			return
		}
	}
}

// retryable reports whether a Kinesis error may go away: anything but a
// missing stream or shard and invalid arguments.
func retryable(err error) bool {
	var notFound *types.ResourceNotFoundException
	var invalid *types.InvalidArgumentException
	return !errors.As(err, &notFound) && !errors.As(err, &invalid) && !errors.Is(err, context.Canceled)
}

// sink is an output: a file written at a known offset, or a standard
// stream.
type sink struct {
	f      *os.File
	file   bool // f is a file the consumer opened: truncated and synced
	offset int64
	buf    []byte // lines waiting for the next commit
}

// openSink opens the output path (std if ""), truncated to offset, the
// length a checkpoint accounts for, or, with offset -1 (no checkpoint),
// at its end: lines already there stay.
func openSink(path string, std *os.File, offset int64) (*sink, error) {
	if path == "" {
		return &sink{f: std}, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && offset < 0 {
		offset = fi.Size()
	}
	if err == nil && fi.Size() < offset {
		err = fmt.Errorf("consumer: %s has %d bytes, fewer than the %d its checkpoint recorded", path, fi.Size(), offset)
	}
	if err == nil {
		// Lines written after the checkpoint are written again from the
		// state it holds.
		err = f.Truncate(offset)
	}
	if err == nil {
		_, err = f.Seek(offset, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &sink{f: f, file: true, offset: offset}, nil
}

// flush writes the waiting lines and, for a file, syncs it.
func (s *sink) flush(lines []byte) error {
	s.buf = append(s.buf, lines...)
	if len(s.buf) == 0 {
		return nil
	}
	n, err := s.f.Write(s.buf)
	s.offset += int64(n)
	if err != nil {
		return err
	}
	s.buf = s.buf[:0]
	if s.file {
		return s.f.Sync()
	}
	return nil
}

func (s *sink) close() {
	if s.file {
		s.f.Close()
	}
}

// commit writes the output that is waiting, then the checkpoint that
// accounts for it.
func (c *Consumer) commit() error {
	if err := c.out.flush(c.outBuf); err != nil {
		return fmt.Errorf("consumer: writing results: %w", err)
	}
	c.outBuf = c.outBuf[:0]
	if err := c.dead.flush(nil); err != nil {
		return fmt.Errorf("consumer: writing dead letters: %w", err)
	}
	if c.cfg.Checkpoint != "" && c.dirty {
		cp, err := c.checkpoint()
		if err != nil {
			return err
		}
		if err := writeCheckpoint(c.cfg.Checkpoint, cp); err != nil {
			return err
		}
	}
	c.dirty = false
	c.lastCommit = c.now()
	return nil
}
