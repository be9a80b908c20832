// Package atomicfile replaces files so that a crash at any point leaves
// either the old file or the new one, never a mixture: the consumer's
// checkpoints and the Lambda handler's state and output files are written
// with it.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to path atomically: it writes a temporary file in the
// same directory, syncs it, renames it over path and syncs the directory.
// The directory must exist. On an error before the rename the temporary
// file is removed and path is as it was.
func Write(path string, data []byte) (err error) {
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
