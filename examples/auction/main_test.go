package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/internal/clitest"
)

func TestGolden(t *testing.T) {
	for _, args := range [][]string{{"-n", "400"}, {"-n", "400", "-seed", "2"}} {
		name := strings.ReplaceAll(strings.Join(args, ""), "-", "") + ".golden"
		t.Run(name, func(t *testing.T) {
			out, errOut, code := clitest.Run(t, run, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			clitest.Golden(t, name, out)
			if want := "auction: 400 records, "; !strings.HasPrefix(errOut, want) {
				t.Errorf("stderr %q, want a summary starting %q", errOut, want)
			}
			again, _, _ := clitest.Run(t, run, "", args...)
			if again != out {
				t.Error("two runs differ")
			}
		})
	}
}

// TestGenIn checks that the generated input, written with -gen and read back
// with -in -, gives the output of the generated run.
func TestGenIn(t *testing.T) {
	in, _, code := clitest.Run(t, run, "", "-gen", "-n", "700", "-seed", "3")
	if code != 0 || strings.Count(in, "\n") != 700 {
		t.Fatalf("-gen: exit %d, %d lines", code, strings.Count(in, "\n"))
	}
	fromIn, errOut, code := clitest.Run(t, run, in, "-in", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	gen, _, _ := clitest.Run(t, run, "", "-n", "700", "-seed", "3")
	if fromIn != gen {
		t.Error("-in of the -gen output differs from the generated run")
	}
	file := filepath.Join(t.TempDir(), "bids.jsonl")
	if err := os.WriteFile(file, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	if fromFile, _, _ := clitest.Run(t, run, "", "-in", file); fromFile != gen {
		t.Error("-in FILE differs from the generated run")
	}
}

// bid builds one payload line.
func bid(block int64, bidder string, amount int64, ts string) string {
	return fmt.Sprintf(`{"Block":%d,"Blockhash":"0xb%d","Bidder":%q,"Maxbidder":%q,"Contractowner":"0xowner","Auction":"0xa","Amount":%d,"EventTimestamp":%s}`,
		block, block, bidder, bidder, amount, ts)
}

// TestNaive runs a small hand-made input and compares the output with a
// group-by computed here from the same lines.
func TestNaive(t *testing.T) {
	lines := []string{
		bid(1, "alice", 10, `100`),
		bid(1, "bob", 20, `"101"`),
		bid(2, "alice", 5, `104.5`),
		bid(2, "carol", 7, `"109"`),
		bid(3, "bob", 1, `110`),
		bid(3, "dave", 2, `118`),
		bid(4, "alice", 3, `131`),
		bid(4, "erin", 4, `149.999`),
		bid(5, "frank", 100, `200`),
	}
	out, errOut, code := clitest.Run(t, run, strings.Join(lines, "\n")+"\n", "-in", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// The group-by, from the lines' own fields.
	type spendKey struct {
		start float64
		block int64
	}
	spend := map[spendKey]int64{}
	bidders := map[float64]map[string]bool{}
	for _, l := range lines {
		var f struct {
			Block          int64
			Bidder         string
			Amount         int64
			EventTimestamp json.Number
		}
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatal(err)
		}
		ts, _ := strconv.ParseFloat(strings.Trim(f.EventTimestamp.String(), `"`), 64)
		spend[spendKey{15 * float64(int(ts/15)), f.Block}] += f.Amount
		w := 10 * float64(int(ts/10))
		if bidders[w] == nil {
			bidders[w] = map[string]bool{}
		}
		bidders[w][f.Bidder] = true
	}
	var want []string
	for k, v := range spend {
		want = append(want, fmt.Sprintf("SPEND %s %s block=%d spend=%d", at(k.start), at(k.start+15), k.block, v))
	}
	for w, set := range bidders {
		want = append(want, fmt.Sprintf("DISTINCT %s %s n=%d", at(w), at(w+10), len(set)))
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		stream, start, end := m["stream"], m["window_start"], m["window_end"]
		switch stream {
		case "SPEND_PER_BLOCK_STREAM":
			got = append(got, fmt.Sprintf("SPEND %s %s block=%v spend=%v", start, end, m["block"], m["spend"]))
		case "DESTINATION_SQL_STREAM":
			got = append(got, fmt.Sprintf("DISTINCT %s %s n=%v", start, end, m["NUMBER_OF_DISTINCT_ITEMS"]))
		default:
			t.Errorf("unknown stream in %s", l)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func at(sec float64) string {
	return time.Unix(int64(sec), 0).UTC().Format(time.RFC3339Nano)
}

// TestBadRecords checks that undecodable and late records are reported with
// their line numbers and counted, and that the rest still counts.
func TestBadRecords(t *testing.T) {
	in := strings.Join([]string{
		bid(1, "a", 1, `100`),
		`not json`,
		bid(1, "b", 2, `"later"`),
		``,
		bid(2, "c", 3, `130`),
		bid(1, "d", 4, `101`), // late: [90,105) and [100,110) closed at 130
		bid(2, "e", 5, `131`),
	}, "\n")
	out, errOut, code := clitest.Run(t, run, in, "-in", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	clitest.Contains(t, "stderr", errOut,
		"auction: line 2: undecodable:",
		"auction: line 3: undecodable:",
		"auction: line 6: late for SPEND_PER_BLOCK_STREAM:",
		"auction: line 6: late for DESTINATION_SQL_STREAM:",
		"auction: 6 records, 4 results, 2 undecodable, 2 late (DESTINATION_SQL_STREAM 1, SPEND_PER_BLOCK_STREAM 1), 0 rejected\n",
	)
	if strings.Count(out, "\n") != 4 {
		t.Errorf("%d results:\n%s", strings.Count(out, "\n"), out)
	}
	// With enough delay the late bid is on time.
	_, errOut, _ = clitest.Run(t, run, in, "-in", "-", "-delay", "30s")
	if !strings.Contains(errOut, "2 undecodable, 0 late") {
		t.Errorf("with -delay 30s: %s", errOut)
	}
}

// TestLateness checks that with -lateness a late bid corrects its windows,
// emitted again with "update":true, instead of being reported late.
func TestLateness(t *testing.T) {
	in := strings.Join([]string{
		bid(1, "a", 1, `100`),
		bid(2, "b", 3, `130`),
		bid(1, "c", 4, `101`), // late: [90,105) and [100,110) were emitted at 130
		bid(3, "d", 5, `200`),
		bid(1, "e", 6, `102`), // later than the lateness: [90,105) dropped at 200-60
	}, "\n")
	out, errOut, code := clitest.Run(t, run, in, "-in", "-", "-lateness", "1m")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`{"stream":"SPEND_PER_BLOCK_STREAM","window_start":"1970-01-01T00:01:30Z","window_end":"1970-01-01T00:01:45Z","block":1,"spend":1}`,
		`{"stream":"SPEND_PER_BLOCK_STREAM","window_start":"1970-01-01T00:01:30Z","window_end":"1970-01-01T00:01:45Z","block":1,"spend":5,"update":true}`,
		`{"stream":"DESTINATION_SQL_STREAM","window_start":"1970-01-01T00:01:40Z","window_end":"1970-01-01T00:01:50Z","NUMBER_OF_DISTINCT_ITEMS":2,"update":true}`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "auction: line 5: late for SPEND_PER_BLOCK_STREAM") || strings.Contains(errOut, "line 3: late") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if _, _, code := clitest.Run(t, run, "", "-lateness", "-1s"); code != 2 {
		t.Errorf("negative -lateness: exit %d", code)
	}
}

func TestExitStatus(t *testing.T) {
	clitest.ExitStatus(t, run, []clitest.Exit{
		{Name: "help", Args: []string{"-h"}, Code: 0},
		{Name: "unknown flag", Args: []string{"-bogus"}, Code: 2},
		{Name: "bad number", Args: []string{"-n", "many"}, Code: 2},
		{Name: "negative n", Args: []string{"-n", "-1"}, Code: 2},
		{Name: "negative delay", Args: []string{"-delay", "-1s"}, Code: 2},
		{Name: "argument", Args: []string{"extra"}, Code: 2},
		{Name: "gen with in", Args: []string{"-gen", "-in", "-"}, Code: 2},
		{Name: "missing file", Args: []string{"-in", filepath.Join(t.TempDir(), "none.jsonl")}, Code: 1},
		{Name: "zero records", Args: []string{"-n", "0"}, Code: 0},
	})
}
