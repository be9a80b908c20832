package kinesis

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// FileStore is a Store that keeps each key in a file under Dir: /tmp for
// one Lambda execution environment, an EFS mount to share state between
// them, a local disk for a consumer. The zero FileStore keeps files in the
// current directory.
//
// A Save writes a temporary file, syncs it, renames it over the old one
// and syncs the directory, so that a crash leaves either the old state or
// the new one. The file starts with the version; Save takes an exclusive
// lock on a lock file beside it (flock, where the system has it) to check
// and replace it, so writers in several processes serialize.
//
// A key becomes a file name by escaping every byte other than a lower-case
// letter, a digit, '-' or '.' as '_' and two hex digits: distinct keys give
// distinct names, also on file systems that ignore case. Names longer than
// 200 bytes are cut and end in '~' and the SHA-256 of the key.
type FileStore struct {
	Dir string
}

// fileMagic starts every state file, followed by the 8-byte version.
const fileMagic = "rowtime-state\x00"

// FileName returns the name of the file that holds key, without the
// directory.
func FileName(key string) string {
	const hexDigits = "0123456789abcdef"
	b := make([]byte, 0, len(key)+8)
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.':
			b = append(b, c)
		default:
			b = append(b, '_', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	if len(b) > 200 {
		sum := sha256.Sum256([]byte(key))
		b = append(b[:130], '~')
		b = hex.AppendEncode(b, sum[:])
	}
	return string(b) + ".state"
}

func (s FileStore) path(key string) string { return filepath.Join(s.Dir, FileName(key)) }

// Load returns the bytes saved under key and their version, or an error
// wrapping ErrNotFound.
func (s FileStore) Load(_ context.Context, key string) ([]byte, Version, error) {
	b, err := os.ReadFile(s.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("kinesis: file store: %w", err)
	}
	v, data, err := parseStateFile(b)
	if err != nil {
		return nil, 0, fmt.Errorf("kinesis: file store: %s: %w", s.path(key), err)
	}
	return data, v, nil
}

func parseStateFile(b []byte) (Version, []byte, error) {
	if len(b) < len(fileMagic)+8 || string(b[:len(fileMagic)]) != fileMagic {
		return 0, nil, errors.New("not a state file")
	}
	return Version(binary.BigEndian.Uint64(b[len(fileMagic):])), b[len(fileMagic)+8:], nil
}

// fileLocks serializes the Saves of one process; the lock file serializes
// processes.
var fileLocks sync.Map // path → *sync.Mutex

// Save replaces the bytes under key atomically, if its version is still
// prev, creating Dir if need be.
func (s FileStore) Save(_ context.Context, key string, data []byte, prev Version) (Version, error) {
	path := s.path(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, fmt.Errorf("kinesis: file store: %w", err)
	}
	mu, _ := fileLocks.LoadOrStore(path, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return 0, fmt.Errorf("kinesis: file store: %w", err)
	}
	defer unlock()

	var cur Version
	switch b, err := os.ReadFile(path); {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return 0, fmt.Errorf("kinesis: file store: %w", err)
	default:
		if cur, _, err = parseStateFile(b); err != nil {
			return 0, fmt.Errorf("kinesis: file store: %s: %w", path, err)
		}
	}
	if cur != prev {
		return 0, fmt.Errorf("%w: %s is at version %d, the caller read %d", ErrConflict, key, cur, prev)
	}
	buf := make([]byte, 0, len(fileMagic)+8+len(data))
	buf = append(buf, fileMagic...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(cur+1))
	buf = append(buf, data...)
	if err := WriteFileAtomic(path, buf); err != nil {
		return 0, fmt.Errorf("kinesis: file store: %w", err)
	}
	return cur + 1, nil
}

// WriteFileAtomic writes data to path so that a crash at any point leaves
// either the old file or the new one: it writes a temporary file in the
// same directory, syncs it, renames it over path and syncs the directory.
// The directory must exist. On an error before the rename the temporary
// file is removed and path is as it was.
func WriteFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
