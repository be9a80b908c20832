package main

import (
	"bytes"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/examples/query/trending"
	"github.com/rowtime/rowtime/record"
)

// BenchmarkTrending measures the program's work per record, end to end, on
// the example's own workload (500,000 records a minute, 100,000 users, 5,000
// articles): decoding the JSON payload, the join to the users table, the
// per-minute counts per (gender, segment_id, article_id), and writing the
// results as JSON lines. One op is one record. The target is 50× real time
// on one core: 60 s / 500,000 / 50 = 2.4 µs a record.
func BenchmarkTrending(b *testing.B) {
	for _, top := range []int{0, 10} {
		b.Run("top="+strconv.Itoa(top), func(b *testing.B) { benchTrending(b, top) })
	}
}

func benchTrending(b *testing.B, top int) {
	n := trending.PerMinute // one minute, so windows close as they would
	if testing.Short() {
		n /= 10
	}
	users, err := trending.LoadUsers(bytes.NewReader(trending.GenerateUsers(1)))
	if err != nil {
		b.Fatal(err)
	}
	g := trending.NewGenerator(1)
	lines := make([][]byte, n)
	for i := range lines {
		lines[i] = trending.AppendJSON(nil, g.Next())
	}
	out := cli.NewOutput(io.Discard)
	emit := out.Line
	q, err := trending.New(users, &trending.Options{TopK: top})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		// Each pass over the minute is shifted a minute on.
		step(b, q, emit, lines[i%n], record.Time(i/n)*record.Time(time.Minute))
		i++
	}
	if err := q.Flush(out.Line); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "records/s")
	reportDecodeShare(b, lines, i)
}

// reportDecodeShare reports what decoding alone costs per record, and its
// share of the whole, by decoding the benchmark's lines once more, outside
// the timed loop.
func reportDecodeShare(b *testing.B, lines [][]byte, records int) {
	if records == 0 {
		return
	}
	n := min(len(lines), records)
	start := time.Now()
	for _, l := range lines[:n] {
		if _, err := trending.Decode(l); err != nil {
			b.Fatal(err)
		}
	}
	dec := float64(time.Since(start).Nanoseconds()) / float64(n)
	all := float64(b.Elapsed().Nanoseconds()) / float64(records)
	b.ReportMetric(dec, "decode-ns/record")
	b.ReportMetric(100*dec/all, "decode-%")
}

func step(b *testing.B, q *trending.Query, emit func([]byte), line []byte, shift record.Time) {
	r, err := trending.Decode(line)
	if err != nil {
		b.Fatal(err)
	}
	r.Time += shift
	if err := q.Push(r, emit); err != nil {
		b.Fatal(err)
	}
}
