package main

import (
	"context"
	"io"
	"path/filepath"
	"sync"
)

// Output receives JSON lines: the query's results, or dead letters. Each
// write carries a name that identifies it: the handler writes the same lines
// under the same name again when it cannot know whether an earlier write
// reached the output (a crash after the write, before the state that
// records it was saved), so an Output that stores each name once (a file or
// an S3 object per name, a DynamoDB conditional put) gives exactly-once
// output.
type Output interface {
	Write(ctx context.Context, name string, lines []byte) error
}

// DirOutput writes each named write to its own file, Dir/name.jsonl,
// atomically: a repeated write replaces the file with the same lines.
type DirOutput struct {
	Dir string
}

// Write writes lines to Dir/name.jsonl.
func (o DirOutput) Write(_ context.Context, name string, lines []byte) error {
	return WriteFileAtomic(filepath.Join(o.Dir, name+".jsonl"), lines)
}

// WriterOutput writes the lines to W (stdout: CloudWatch Logs). A repeated
// write repeats the lines, so a reader must tolerate duplicates.
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
