// Command quickstart runs two of the example applications of Kinesis Data
// Analytics for SQL (KDA) with rowtime, on data it generates, and prints a
// short summary: the blockchain auction (the spend per block in 15-second
// tumbling windows, and the distinct bidders in 10-second windows) and
// HOTSPOTS (dense regions among the last 1,000 points of a stream).
//
//	go run ./examples/quickstart
//
// It takes no flags and finishes in well under two seconds. The full
// programs, with input files and JSON output, are examples/auction,
// examples/trending and examples/hotspots.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/examples/query/auction"
	"github.com/rowtime/rowtime/hotspot"
	"github.com/rowtime/rowtime/hotspot/hotspottest"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// Sizes of the built-in data.
const (
	bids   = 2_000 // 200 blocks of 10 bids, about 50 minutes of event time
	points = 3_000 // three positions of the square the hot points fall in
)

// sources is the last line of the output: the files that produced each
// part of it, from the root of the repository.
const sources = "Made by: examples/quickstart/main.go (both pipelines, this summary), " +
	"examples/query/auction/generate.go (the bids), examples/query/auction/decode.go (their JSON decoder), " +
	"hotspot/hotspottest/generator.go (the points)."

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	fmt.Fprintln(w, "rowtime quickstart: two Kinesis Data Analytics for SQL applications, run on generated data")
	fmt.Fprintln(w)
	if err := auctions(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := hotspots(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Next: go run ./examples/auction -n 1000 | head")
	fmt.Fprintln(w, "      go run ./examples/hotspots -svg hotspots.svg > /dev/null   (then open hotspots.svg)")
	fmt.Fprintln(w, "      go run ./examples/trending -top 5 | tail")
	fmt.Fprintln(w)
	fmt.Fprintln(w, sources)
	return nil
}

// row is one result of either auction stream, for the summary.
type row struct {
	stream     string
	start, end record.Time
	block      int64 // SPEND_PER_BLOCK_STREAM
	value      int64 // spend, or NUMBER_OF_DISTINCT_ITEMS
}

// auctions decodes generated Kinesis payloads of the blockchain example and
// runs its two queries, wired the way the KDA application's pumps were: the
// source stream feeds both queries, and each query's results flow on into
// one output stream.
func auctions(w io.Writer) error {
	// SELECT STREAM "Block", SUM("Amount") AS spend FROM ...
	// GROUP BY "Block", STEP(ROWTIME BY INTERVAL '15' SECOND)
	spend, err := window.Aggregate(window.Step(15*time.Second),
		func(r auction.Record) int64 { return r.Value.Block },
		aggregate.Sum(func(r auction.Record) int64 { return r.Value.Amount }),
		nil)
	if err != nil {
		return err
	}
	// COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(...), 'Bidder', 10)
	bidders, err := distinct.CountItems(window.Step(10*time.Second),
		func(r auction.Record) string { return r.Value.Bidder }, nil)
	if err != nil {
		return err
	}
	// payload → decode → (spend, bidders) → rows: Then is a pump, Tee feeds
	// one stream to two.
	pipeline := record.Then(record.MapErr(auction.Decode), record.Tee(
		record.Then(spend, record.Map(func(r window.Result[int64, int64]) row {
			return row{stream: auction.SpendStream, start: r.Start, end: r.End, block: r.Key, value: r.Value}
		})),
		record.Then(bidders, record.Map(func(r distinct.Result[distinct.NoKey]) row {
			return row{stream: auction.BiddersStream, start: r.Start, end: r.End, value: int64(r.NumberOfDistinctItems)}
		})),
	))

	var spends, counts []row
	collect := func(r row) {
		if r.stream == auction.SpendStream {
			spends = append(spends, r)
		} else {
			counts = append(counts, r)
		}
	}
	g := auction.NewGenerator(1)
	for range bids {
		// What a Kinesis record would carry.
		if err := pipeline.Push(auction.AppendJSON(nil, g.Next()), collect); err != nil {
			return err
		}
	}
	if err := pipeline.Flush(collect); err != nil {
		return err
	}

	fmt.Fprintf(w, "Blockchain auction: %d bids, decoded from the JSON payloads a Kinesis stream would carry\n", bids)
	fmt.Fprintf(w, "  SPEND_PER_BLOCK_STREAM, SUM(Amount) per block per 15 s STEP window: %d rows. The first three:\n", len(spends))
	for _, r := range spends[:min(3, len(spends))] {
		fmt.Fprintf(w, "    %s  block %d  spend %d\n", span(r.start, r.end), r.block, r.value)
	}
	top := spends[0]
	for _, r := range spends {
		if r.value > top.value {
			top = r
		}
	}
	fmt.Fprintf(w, "    The largest: block %d spent %d in %s\n", top.block, top.value, span(top.start, top.end))
	fmt.Fprintf(w, "  DESTINATION_SQL_STREAM, distinct bidders per 10 s window: %d rows. The first three:\n", len(counts))
	for _, r := range counts[:min(3, len(counts))] {
		fmt.Fprintf(w, "    %s  NUMBER_OF_DISTINCT_ITEMS %d\n", span(r.start, r.end), r.value)
	}
	return nil
}

// hotspots runs HOTSPOTS over the points of package hotspottest, the
// workload of KDA's own HOTSPOTS example, and reports the hotspots after the
// last point.
func hotspots(w io.Writer) error {
	const n, eps, minPts = 1000, 0.2, 17
	op, err := hotspot.New(n, eps, minPts,
		func(dst []float64, p record.Of[[2]float64]) []float64 { return append(dst, p.Value[0], p.Value[1]) },
		&hotspot.Options{OnlyChanges: true})
	if err != nil {
		return err
	}
	changes := 0
	onResult := func(hotspot.Result[record.Of[[2]float64]]) { changes++ }
	g := hotspottest.NewGenerator(1)
	for i := range points {
		p := g.Next()
		if err := op.Push(record.At(record.Time(i), [2]float64{p.X, p.Y}), onResult); err != nil {
			return err
		}
	}
	hs := op.Hotspots()
	fmt.Fprintf(w, "Hotspots: HOTSPOTS(window %d, radius %v, minPts %d) over %d generated points\n", n, eps, minPts, points)
	fmt.Fprintf(w, "  The points lie in a %g × %g field. One in %g falls inside a %g × %g square, which moves\n",
		hotspottest.Field, hotspottest.Field, 1/hotspottest.HotFraction, hotspottest.Side, hotspottest.Side)
	fmt.Fprintf(w, "  to a new random place every %d points; the others fall anywhere.\n", hotspottest.Move)
	fmt.Fprintf(w, "  The hotspots changed %d times. After the last point, %s\n", changes, hotspotCount(len(hs)))
	if len(hs) > 0 {
		h := hs[0]
		fmt.Fprintf(w, "  The densest: density %.1f, %d points, x %.2f–%.2f, y %.2f–%.2f\n", h.Density, h.Count, h.Min[0], h.Max[0], h.Min[1], h.Max[1])
	}
	sq := g.Square()
	fmt.Fprintf(w, "  The square at that time: x %.2f–%.2f, y %.2f–%.2f\n", sq.MinX, sq.MaxX, sq.MinY, sq.MaxY)
	return nil
}

// hotspotCount says how many hotspots there are, in a sentence.
func hotspotCount(n int) string {
	switch n {
	case 0:
		return "there is no hotspot."
	case 1:
		return "there is 1 hotspot."
	}
	return fmt.Sprintf("there are %d hotspots.", n)
}

// span writes the window [start, end) with its date, in UTC, such as
// "2026-01-27 00:00:00 to 00:00:15 UTC", with the date again at the end when
// the window ends on another day.
func span(start, end record.Time) string {
	s, e := start.UTC(), end.UTC()
	last := e.Add(-time.Nanosecond)
	if last.YearDay() == s.YearDay() && last.Year() == s.Year() {
		return s.Format("2006-01-02 15:04:05") + " to " + e.Format("15:04:05") + " UTC"
	}
	return s.Format("2006-01-02 15:04:05") + " to " + e.Format("2006-01-02 15:04:05") + " UTC"
}
