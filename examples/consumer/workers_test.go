package main

import (
	"context"
	"strings"
	"testing"
)

// TestWorkerFlags: the group flags need -worker, and -worker needs them
// and refuses the one-process outputs.
func TestWorkerFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-stream", "s", "-leases", "l"}, "need -worker"},
		{[]string{"-stream", "s", "-worker", "w"}, "-worker needs -leases, -state and -out-dir"},
		{[]string{"-stream", "s", "-worker", "w", "-leases", "l", "-state", "s", "-out-dir", "d", "-out", "o.jsonl"}, "for one process alone"},
	} {
		err := run(context.Background(), tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}
