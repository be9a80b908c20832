package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOutputsAppendedWithoutCheckpoint: existing output and dead-letter
// files and no checkpoint (none configured, or its file not written yet):
// the consumer appends to them, as its docs say, instead of truncating
// them.
func TestOutputsAppendedWithoutCheckpoint(t *testing.T) {
	for _, ckpt := range []string{"", "missing.ckpt"} {
		dir := t.TempDir()
		out, dead := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "dead.jsonl")
		for _, f := range []string{out, dead} {
			if err := os.WriteFile(f, []byte("{\"earlier\":1}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cfg := Config{Stream: "s", Out: out, Dead: dead}
		if ckpt != "" {
			cfg.Checkpoint = filepath.Join(dir, ckpt)
		}
		c, err := New(nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.out.flush([]byte("{\"later\":2}\n")); err != nil {
			t.Fatal(err)
		}
		if err := c.dead.flush([]byte("{\"later\":3}\n")); err != nil {
			t.Fatal(err)
		}
		c.out.close()
		c.dead.close()
		for f, want := range map[string]string{out: "{\"earlier\":1}\n{\"later\":2}\n", dead: "{\"earlier\":1}\n{\"later\":3}\n"} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != want {
				t.Errorf("checkpoint %q: %s = %q, want %q", ckpt, filepath.Base(f), b, want)
			}
		}
	}
}
