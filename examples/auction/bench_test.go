package main

import (
	"io"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/examples/query/auction"
	"github.com/rowtime/rowtime/record"
)

// BenchmarkAuction measures the program's work per record, end to end:
// decoding a JSON payload, both queries, and writing the results as JSON
// lines. One op is one record.
func BenchmarkAuction(b *testing.B) {
	const n = 20_000
	recs := auction.Generate(1, n)
	lines := make([][]byte, n)
	for i, r := range recs {
		lines[i] = auction.AppendJSON(nil, r)
	}
	// Each pass over the lines is shifted by the span of the workload, so
	// event time keeps moving forward.
	shift := recs[n-1].Time - recs[0].Time + record.Time(auction.SpendWindow)*4
	out := cli.NewOutput(io.Discard)
	emit := out.Line
	q, err := auction.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		step(b, q, emit, lines[i%n], shift*record.Time(i/n))
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
		if _, err := auction.Decode(l); err != nil {
			b.Fatal(err)
		}
	}
	dec := float64(time.Since(start).Nanoseconds()) / float64(n)
	all := float64(b.Elapsed().Nanoseconds()) / float64(records)
	b.ReportMetric(dec, "decode-ns/record")
	b.ReportMetric(100*dec/all, "decode-%")
}

func step(b *testing.B, q *auction.Query, emit func([]byte), line []byte, shift record.Time) {
	r, err := auction.Decode(line)
	if err != nil {
		b.Fatal(err)
	}
	r.Time += shift
	if err := q.Push(r, emit); err != nil {
		b.Fatal(err)
	}
}
