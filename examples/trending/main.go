// Command trending runs Kinesis Data Analytics' news personalisation example
// on rowtime: impressions and clicks per one-minute FLOOR window per
// (gender, segment_id, article_id), each action left-joined to a users
// reference table, and optionally the most-clicked articles of each minute.
//
// Usage:
//
//	go run ./examples/trending [-in FILE|-] [-users FILE] [-top K [-top-capacity C]] [-seed N] [-n N] [-delay D] [-lateness D] [-gen]
//
// Input lines are the example's payloads: {"article_id":…,"user_id":…,
// "action":"click"|"impression","timestamp":<Unix ms>}. -users names a CSV
// of user_id,gender,segment_id rows with no header (as in "101,female,1");
// without it the program generates one from -seed: 100,000 users of whom
// 90% are in the table, 2 genders, 10 segments. Without -in it generates -n
// actions (default 500,000, one minute at the example's rate) on 5,000
// articles of Zipf popularity, 10% of them clicks; -gen writes them as JSON
// lines instead of running the query.
//
// Output, one JSON object per line, same input, same output:
//
//	{"window_start":"…","window_end":"…","gender":"female","segment_id":3,"article_id":17,"impression":N,"click":N}
//	{"stream":"TOP_K","window_start":"…","window_end":"…","ITEM":17,"ITEM_COUNT":N}
//
// with null gender and segment_id for users missing from the table. The
// top-K rows come from TOP_K_ITEMS_TUMBLING over the clicks, a Space-Saving
// summary of -top-capacity counters (10·K by default): exact while a minute
// has clicks on no more articles than that, an upper bound otherwise, as in
// KDA. Event
// time is the action's timestamp; -delay allows that much out-of-orderness,
// and -lateness keeps windows that much longer so that a late action
// corrects its window's results, emitted again with "update":true.
// Undecodable and late records are reported on stderr with their line
// numbers and counted in a summary line.
package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"sync"

	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/examples/query/trending"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trending", flag.ContinueOnError)
	c := cli.Register(fs, trending.PerMinute)
	usersFile := fs.String("users", "", "users reference table: CSV `FILE` of user_id,gender,segment_id rows, no header (default: generated from -seed)")
	top := fs.Int("top", 0, "also emit the `K` most-clicked articles of each minute")
	lateness := fs.Duration("lateness", 0, "keep windows this long after they are emitted and re-emit corrected results, marked \"update\":true")
	topCap := fs.Int("top-capacity", 0, "counters of each minute's top-K summary: counts are exact up to this many clicked articles a minute (0: 10·K)")
	return cli.Main(fs, args, stderr, func() error {
		if err := c.Check(); err != nil {
			return err
		}
		if *top < 0 || *topCap < 0 || (*topCap > 0 && *topCap < *top) {
			return cli.Usagef("-top must be ≥ 0 and -top-capacity 0 or ≥ -top, got %d and %d", *top, *topCap)
		}
		if *lateness < 0 {
			return cli.Usagef("-lateness must be ≥ 0, got %v", *lateness)
		}
		opts := trending.Options{Delay: c.Delay, Lateness: *lateness, TopK: *top, TopCapacity: *topCap}
		return pipeline(c, *usersFile, opts, stdin, stdout, stderr)
	})
}

// generated holds the generated users tables by seed: a table is read-only,
// and the tests run the program many times in one process.
var generated sync.Map // uint64 → *trending.Users

func loadUsers(name string, seed uint64) (*trending.Users, error) {
	if name == "" {
		if u, ok := generated.Load(seed); ok {
			return u.(*trending.Users), nil
		}
		u, err := trending.LoadUsers(bytes.NewReader(trending.GenerateUsers(seed)))
		if err != nil {
			return nil, err
		}
		generated.Store(seed, u)
		return u, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return trending.LoadUsers(f)
}

func pipeline(c *cli.Common, usersFile string, opts trending.Options, stdin io.Reader, stdout, stderr io.Writer) error {
	if c.Gen {
		return cli.Generate(stdout, c.N, trending.NewGenerator(c.Seed).Next, trending.AppendJSON)
	}
	users, err := loadUsers(usersFile, c.Seed)
	if err != nil {
		return err
	}
	run := cli.NewRun("trending", stdout, stderr)
	opts.Late = func(_ trending.Event, stream string, err error) {
		run.Late(stream, err)
	}
	q, err := trending.New(users, &opts)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	return cli.Feed(run, c, stdin, q, trending.Decode, trending.NewGenerator(c.Seed).Next)
}
