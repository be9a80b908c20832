// Package querytest holds the test steps the example queries (auction,
// trending) share: running a query over records to its output lines,
// parsing those lines strictly, and checking that their JSON payloads
// decode back to the records they were written from. Only tests import it.
package querytest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rowtime/rowtime/examples/internal/cli"
)

// Lines pushes recs into q and returns the lines it emits, those of Flush
// included when flush is set. An error of q fails the test.
func Lines[R any](t testing.TB, q cli.Query[R], recs []R, flush bool) []string {
	t.Helper()
	var out []string
	emit := func(b []byte) { out = append(out, string(b)) }
	for i, r := range recs {
		if err := q.Push(r, emit); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	if flush {
		if err := q.Flush(emit); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// RoundTrip checks that every record of recs, written with appendJSON, is
// valid JSON that decode reads back to the same record.
func RoundTrip[R comparable](t testing.TB, recs []R, appendJSON func(dst []byte, r R) []byte, decode func(payload []byte) (R, error)) {
	t.Helper()
	for i, r := range recs {
		line := appendJSON(nil, r)
		if !json.Valid(line) {
			t.Fatalf("record %d: invalid JSON %s", i, line)
		}
		got, err := decode(line)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if got != r {
			t.Fatalf("record %d: round trip gave %+v, want %+v", i, got, r)
		}
	}
}

// Parse decodes each line into a T, refusing unknown fields so that a
// field the query writes and the test does not know fails the test.
func Parse[T any](t testing.TB, lines []string) []T {
	t.Helper()
	out := make([]T, 0, len(lines))
	for _, l := range lines {
		var v T
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		out = append(out, v)
	}
	return out
}
