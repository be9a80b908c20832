package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rowtime/rowtime/examples/internal/atomicfile"
)

// ErrNotFound is returned by a Store's Load for a key it does not hold: the
// first batch of a shard, which starts from empty state.
var ErrNotFound = errors.New("lambda: state not found")

// Store keeps the state of each shard between invocations: opaque bytes
// under a key. rowtime only needs bytes, so any key-value service will do:
// DynamoDB (one item per shard, up to 400 KB, or the bytes in S3 and a
// pointer in DynamoDB), S3 (one object per shard), ElastiCache, EFS through
// FileStore.
//
// Save must be atomic: a Load after a failed or interrupted Save returns the
// previous bytes, never a mixture. A Save or Load that fails is reported to
// Lambda as a transient failure of the batch, which Lambda retries.
type Store interface {
	Load(ctx context.Context, key string) ([]byte, error)
	Save(ctx context.Context, key string, data []byte) error
}

// FileStore is a Store that keeps each key in a file under Dir: /tmp for a
// single execution environment, an EFS mount to share state between them.
// Save writes a temporary file, syncs it, renames it over the old one and
// syncs the directory, so a crash leaves either the old or the new state.
type FileStore struct {
	Dir string
}

// path maps a key to a file name: characters other than letters, digits,
// '-', '_' and '.' become '_', followed by their code in hex, so distinct
// keys give distinct files.
func (s FileStore) path(key string) string {
	var b strings.Builder
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "_%x", r)
		}
	}
	return filepath.Join(s.Dir, b.String()+".state")
}

// Load returns the bytes saved under key, or an error wrapping ErrNotFound.
func (s FileStore) Load(_ context.Context, key string) ([]byte, error) {
	b, err := os.ReadFile(s.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return b, err
}

// Save replaces the bytes under key atomically.
func (s FileStore) Save(_ context.Context, key string, data []byte) error {
	return WriteFileAtomic(s.path(key), data)
}

// WriteFileAtomic writes data to path so that a crash at any point leaves
// either the old file or the new one, creating path's directory first if
// need be (see atomicfile.Write).
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, data)
}
