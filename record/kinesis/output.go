package kinesis

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// An Output receives JSON lines: a query's results, or dead letters. Each
// write carries a name that identifies it, deterministic per shard and
// batch: a handler writes the same lines under the same name again when it
// cannot know whether an earlier write reached the output (a crash after
// the state was saved, before or during the write), so an Output that
// keeps one object per name (a file or an S3 object per name, a DynamoDB
// conditional put) holds every line exactly once.
type Output interface {
	Write(ctx context.Context, name string, lines []byte) error
}

// DirOutput writes each named write to its own file, Dir/name.jsonl,
// atomically: a repeated write replaces the file with the same lines.
type DirOutput struct {
	Dir string
}

// Write writes lines to Dir/name.jsonl, creating Dir if need be.
func (o DirOutput) Write(_ context.Context, name string, lines []byte) error {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(o.Dir, name+".jsonl"), lines)
}

// WriterOutput writes the lines to W, such as os.Stderr (CloudWatch Logs
// in Lambda). A repeated write repeats the lines, so a reader must
// tolerate duplicates; use it for dead letters and tests, a DirOutput or
// an object store for results.
type WriterOutput struct {
	mu sync.Mutex
	W  io.Writer
}

// Write writes lines to W.
func (o *WriterOutput) Write(_ context.Context, _ string, lines []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, err := o.W.Write(lines)
	return err
}
