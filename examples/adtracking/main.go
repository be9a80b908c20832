// Command adtracking matches ad clicks to the impressions they follow, the
// ad-tracking case of Kinesis Data Analytics' stream-to-stream JOIN:
//
//	SELECT STREAM i.impression_id, i.campaign, c.ROWTIME - i.ROWTIME …
//	FROM impressions AS i OVER (RANGE INTERVAL '10' MINUTE PRECEDING)
//	FULL OUTER JOIN clicks AS c ON i.impression_id = c.impression_id
//
// A click matches the impressions of its id shown in the 10 minutes before
// it; an impression that no click matched is reported once it can no
// longer match, when the watermark passes its time plus 10 minutes, and a
// click with no impression in its 10 minutes is reported at once.
//
// Usage:
//
//	go run ./examples/adtracking [-in FILE|-] [-seed N] [-n N] [-delay D] [-window D] [-gen]
//
// Input lines are events, impressions and clicks in one stream:
//
//	{"type":"impression","impression_id":"i42","campaign":"c3","user":"u17","ts_ms":1700000000000}
//	{"type":"click","impression_id":"i42","ts_ms":1700000095000}
//
// with ts_ms the event time in Unix milliseconds. Without -in the program
// generates -n events (default 100,000) from -seed: an impression about
// every 200 ms, one in five clicked after an exponential delay of mean 30
// seconds (so with a short -window some come too late to match), and now
// and then a click on an id never shown; -gen writes those events as JSON
// lines instead, so
//
//	go run ./examples/adtracking -gen -n 1000 | go run ./examples/adtracking -in -
//
// gives the output of go run ./examples/adtracking -n 1000.
//
// Output, one JSON object per line, in event-time order:
//
//	{"stream":"CLICKS","time":"…","impression_id":"…","campaign":"…","user":"…","impression_time":"…","click_time":"…","delay_ms":N}
//	{"stream":"UNCLICKED","time":"…","impression_id":"…","campaign":"…","user":"…","impression_time":"…"}
//	{"stream":"ORPHAN_CLICKS","time":"…","impression_id":"…","click_time":"…"}
//
// Both kinds of event come from one clock (the stream's arrival order), so
// the join's watermark is the newest event time less -delay. Undecodable
// and late events are reported on stderr with their line numbers and
// counted in a summary line.
package main

import (
	"flag"
	"io"
	"os"
	"time"

	"github.com/rowtime/rowtime/examples/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("adtracking", flag.ContinueOnError)
	c := cli.Register(fs, 100_000)
	window := fs.Duration("window", 10*time.Minute, "how long after an impression a click still matches it")
	return cli.Main(fs, args, stderr, func() error {
		if err := c.Check(); err != nil {
			return err
		}
		if *window <= 0 {
			return cli.Usagef("-window must be positive, got %v", *window)
		}
		if c.Gen {
			return cli.Generate(stdout, c.N, newGenerator(c.Seed).next, appendEvent)
		}
		run := cli.NewRun("adtracking", stdout, stderr)
		q, err := newQuery(*window, c.Delay, func(err error) { run.Late("events", err) })
		if err != nil {
			return cli.Usagef("%v", err)
		}
		return cli.Feed(run, c, stdin, q, decodeEvent, newGenerator(c.Seed).next)
	})
}
