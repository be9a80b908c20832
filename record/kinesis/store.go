package kinesis

import (
	"context"
	"errors"
)

// Errors of a Store.
var (
	// ErrNotFound is returned by Load for a key the store does not hold:
	// a shard's first batch, which starts from empty state.
	ErrNotFound = errors.New("kinesis: state not found")
	// ErrConflict is returned by Save when the stored version is not the
	// one the caller read: another writer saved the key in between (two
	// execution environments on one shard, a lease that moved). The
	// caller's state is stale: load again and redo the batch from there.
	ErrConflict = errors.New("kinesis: state changed since it was read")
)

// A Version identifies what a Store holds under a key; every Save makes a
// new one. Version 0 is "nothing stored".
type Version uint64

// A Store keeps snapshots between invocations: opaque bytes under a key,
// such as a stream's ARN and a shard id. Every Save is conditional on the
// version the caller read, so that two writers of one key never both win:
// the loser gets ErrConflict.
//
// Save is atomic: a Load after a failed or interrupted Save returns the
// previous bytes, never a mixture. [FileStore] and [DynamoDBStore]
// implement Store; implementations must be safe for concurrent use.
type Store interface {
	// Load returns the bytes under key and their version, or an error
	// wrapping ErrNotFound (with version 0).
	Load(ctx context.Context, key string) ([]byte, Version, error)
	// Save replaces the bytes under key if its version is still prev (0:
	// if the key is absent), and returns the new version; otherwise it
	// returns an error wrapping ErrConflict and changes nothing.
	Save(ctx context.Context, key string, data []byte, prev Version) (Version, error)
}
