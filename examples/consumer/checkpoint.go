package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/rowtime/rowtime/examples/query/trending"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/codec"
	rk "github.com/rowtime/rowtime/record/kinesis"
)

// ErrCheckpoint is wrapped by the errors of a checkpoint that cannot be
// used: truncated, corrupt, of another version, of another stream, or
// holding operator snapshots this consumer's operators refuse (taken with
// other parameters, such as another Delay).
var ErrCheckpoint = errors.New("consumer: unusable checkpoint")

// A checkpoint file starts with checkpointMagic and a version byte; the
// rest is the record codec's encoding of checkpoint.
const (
	checkpointMagic   = "rowtime-consumer"
	checkpointVersion = 2
)

// checkpoint is everything the consumer needs to resume where it stopped.
type checkpoint struct {
	Stream     string
	Shards     []shardCheckpoint
	Merge      []byte // snapshot of the merge of partial results
	OutOffset  int64  // length of the results file this state accounts for
	DeadOffset int64  // length of the dead-letter file
}

type shardCheckpoint struct {
	ID, Parent, Adjacent string
	Finished             bool
	Records, Dead        uint64
	Snapshot             []byte // the shard's bookkeeping and operator
}

func (c *Consumer) checkpoint() (*checkpoint, error) {
	cp := &checkpoint{Stream: c.cfg.Stream, OutOffset: c.out.offset, DeadOffset: c.dead.offset}
	if !c.out.file {
		cp.OutOffset = 0
	}
	if !c.dead.file {
		cp.DeadOffset = 0
	}
	for _, s := range c.sorted() {
		snap, err := s.loop.Once().AppendSnapshot(nil)
		if err != nil {
			return nil, fmt.Errorf("consumer: snapshot of shard %s: %w", s.id, err)
		}
		cp.Shards = append(cp.Shards, shardCheckpoint{
			ID: s.id, Parent: s.parent, Adjacent: s.adjacent,
			Finished: s.finished, Records: s.records, Dead: s.dead, Snapshot: snap,
		})
	}
	var err error
	if cp.Merge, err = c.merge.appendSnapshot(nil); err != nil {
		return nil, err
	}
	return cp, nil
}

// restore sets the consumer's state from cp; on error it is unchanged.
func (c *Consumer) restore(cp *checkpoint) error {
	if cp.Stream != c.cfg.Stream {
		return fmt.Errorf("%w: it is of stream %q, not %q", ErrCheckpoint, cp.Stream, c.cfg.Stream)
	}
	m := newMerge[trending.Key](c.merge.f, c.merge.compare)
	if err := m.restore(cp.Merge); err != nil {
		return fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	shards := map[string]*shard{}
	for _, sc := range cp.Shards {
		s := &shard{id: sc.ID, parent: sc.Parent, adjacent: sc.Adjacent,
			finished: sc.Finished, records: sc.Records, dead: sc.Dead}
		op, err := c.newOp(s)
		if err != nil {
			return err
		}
		if err := s.loop.Once().Restore(sc.Snapshot); err != nil {
			return fmt.Errorf("%w: shard %s: %w", ErrCheckpoint, sc.ID, err)
		}
		s.op = op
		s.wm = op.Stats().Watermark
		if s.finished {
			s.wm = record.MaxTime
		}
		shards[s.id] = s
	}
	c.merge, c.shards = m, shards
	return nil
}

func writeCheckpoint(path string, cp *checkpoint) error {
	buf := append([]byte(checkpointMagic), checkpointVersion)
	buf, err := codec.Append(buf, *cp)
	if err != nil {
		return fmt.Errorf("consumer: encoding the checkpoint: %w", err)
	}
	if err := rk.WriteFileAtomic(path, buf); err != nil {
		return fmt.Errorf("consumer: writing the checkpoint: %w", err)
	}
	return nil
}

func readCheckpoint(path string) (*checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cp, err := decodeCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cp, nil
}

func decodeCheckpoint(data []byte) (*checkpoint, error) {
	if len(data) < len(checkpointMagic)+1 || string(data[:len(checkpointMagic)]) != checkpointMagic {
		return nil, fmt.Errorf("%w: not a rowtime consumer checkpoint", ErrCheckpoint)
	}
	if v := data[len(checkpointMagic)]; v != checkpointVersion {
		return nil, fmt.Errorf("%w: version %d, this consumer reads version %d", ErrCheckpoint, v, checkpointVersion)
	}
	body := data[len(checkpointMagic)+1:]
	var cp checkpoint
	n, err := codec.Read(body, &cp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	if n != len(body) {
		return nil, fmt.Errorf("%w: %d bytes after the end", ErrCheckpoint, len(body)-n)
	}
	if cp.OutOffset < 0 || cp.DeadOffset < 0 {
		return nil, fmt.Errorf("%w: negative output offset", ErrCheckpoint)
	}
	return &cp, nil
}
