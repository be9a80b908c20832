// Command auction runs Kinesis Data Analytics' blockchain auction example on
// rowtime: the total spend per block per 15-second STEP window, and the
// number of distinct bidders per 10-second tumbling window
// (COUNT_DISTINCT_ITEMS_TUMBLING), over bids read as JSON lines or generated.
// The query itself is package examples/query/auction, which the lambda
// example runs too; this file is its command line.
//
// Usage:
//
//	go run ./examples/auction [-in FILE|-] [-seed N] [-n N] [-delay D] [-lateness D] [-gen]
//
// Input lines are the example's payloads: {"Block":…,"Blockhash":…,
// "Bidder":…,"Maxbidder":…,"Contractowner":…,"Auction":…,"Amount":…,
// "EventTimestamp":<Unix seconds, a number or a string>}. Without -in the
// program generates -n bids (default 100,000) from -seed: ten bidders,
// blocks about every 15 s with 10 bids each, contract owners now and then
// bidding on their own auction; -gen writes those bids as JSON lines instead
// of running the query, so that
//
//	go run ./examples/auction -gen -n 1000 | go run ./examples/auction -in -
//
// gives the same output as go run ./examples/auction -n 1000.
//
// Output, one JSON object per line, same input, same output:
//
//	{"stream":"SPEND_PER_BLOCK_STREAM","window_start":"…","window_end":"…","block":N,"spend":N}
//	{"stream":"DESTINATION_SQL_STREAM","window_start":"…","window_end":"…","NUMBER_OF_DISTINCT_ITEMS":N}
//
// Event time is the bid's EventTimestamp; -delay allows that much
// out-of-orderness, and -lateness keeps windows that much longer so that a
// late bid corrects its window's result, emitted again with "update":true. Undecodable and late records are reported on stderr with
// their line numbers and counted in a summary line.
package main

import (
	"flag"
	"io"
	"os"
	"time"

	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/examples/query/auction"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("auction", flag.ContinueOnError)
	c := cli.Register(fs, 100_000)
	lateness := fs.Duration("lateness", 0, "keep windows this long after they are emitted and re-emit corrected results, marked \"update\":true")
	return cli.Main(fs, args, stderr, func() error {
		if err := c.Check(); err != nil {
			return err
		}
		if *lateness < 0 {
			return cli.Usagef("-lateness must be ≥ 0, got %v", *lateness)
		}
		return pipeline(c, *lateness, stdin, stdout, stderr)
	})
}

func pipeline(c *cli.Common, lateness time.Duration, stdin io.Reader, stdout, stderr io.Writer) error {
	if c.Gen {
		return cli.Generate(stdout, c.N, auction.NewGenerator(c.Seed).Next, auction.AppendJSON)
	}
	run := cli.NewRun("auction", stdout, stderr)
	q, err := auction.New(&auction.Options{
		Delay:    c.Delay,
		Lateness: lateness,
		Late: func(_ auction.Record, stream string, err error) {
			run.Late(stream, err)
		},
	})
	if err != nil {
		return cli.Usagef("%v", err)
	}
	return cli.Feed(run, c, stdin, q, auction.Decode, auction.NewGenerator(c.Seed).Next)
}
