package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/internal/clitest"
	"github.com/rowtime/rowtime/record"
)

func TestGolden(t *testing.T) {
	for _, args := range [][]string{{"-n", "200"}, {"-n", "200", "-seed", "2", "-window", "20s"}} {
		name := strings.ReplaceAll(strings.Join(args, ""), "-", "") + ".golden"
		t.Run(name, func(t *testing.T) {
			out, errOut, code := clitest.Run(t, run, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			clitest.Golden(t, name, out)
			if want := "adtracking: 200 records, "; !strings.HasPrefix(errOut, want) {
				t.Errorf("stderr %q, want a summary starting %q", errOut, want)
			}
			for _, s := range []string{`"stream":"CLICKS"`, `"stream":"UNCLICKED"`} {
				if !strings.Contains(out, s) {
					t.Errorf("no %s in the output", s)
				}
			}
		})
	}
}

// TestGenIn checks that the generated input, written with -gen and read
// back with -in -, gives the output of the generated run.
func TestGenIn(t *testing.T) {
	in, _, code := clitest.Run(t, run, "", "-gen", "-n", "700", "-seed", "3")
	if code != 0 || strings.Count(in, "\n") != 700 {
		t.Fatalf("-gen: exit %d, %d lines", code, strings.Count(in, "\n"))
	}
	fromIn, errOut, code := clitest.Run(t, run, in, "-in", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if gen, _, _ := clitest.Run(t, run, "", "-n", "700", "-seed", "3"); fromIn != gen {
		t.Error("-in of the -gen output differs from the generated run")
	}
}

// TestNaive shuffles a generated stream within -delay and compares the
// output with the join computed here from the definition: every click
// checked against every impression.
func TestNaive(t *testing.T) {
	for _, c := range []struct {
		seed   uint64
		window time.Duration
		delay  time.Duration
	}{{1, 10 * time.Minute, 0}, {4, time.Minute, 5 * time.Second}, {5, 30 * time.Second, 40 * time.Second}} {
		t.Run(fmt.Sprintf("seed=%d/window=%v/delay=%v", c.seed, c.window, c.delay), func(t *testing.T) {
			g := newGenerator(c.seed)
			var evs []event
			for range 3000 {
				evs = append(evs, g.next())
			}
			// Out of order by up to delay: sorted by time plus a random
			// part of it, so no event is late.
			rng := rand.New(rand.NewPCG(c.seed, 9))
			type keyed struct {
				e event
				k record.Time
			}
			var ks []keyed
			for _, e := range evs {
				ks = append(ks, keyed{e, e.Time + record.Time(rng.Int64N(int64(c.delay)+1))})
			}
			slices.SortStableFunc(ks, func(a, b keyed) int { return cmp.Compare(a.k, b.k) })
			var in strings.Builder
			evs = evs[:0]
			for _, k := range ks {
				evs = append(evs, k.e)
				in.Write(appendEvent(nil, k.e))
				in.WriteByte('\n')
			}
			out, errOut, code := clitest.Run(t, run, in.String(), "-in", "-", "-window", c.window.String(), "-delay", c.delay.String())
			if code != 0 || !strings.Contains(errOut, " 0 late") {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			got := canonical(t, out)
			want := naiveJoin(evs, c.window)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%d results, naive %d; first difference:\n%s", len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func ts(t record.Time) string { return time.Unix(0, int64(t)).UTC().Format(time.RFC3339Nano) }

// naiveJoin is the FULL OUTER join of the events, in processing order
// (time, then arrival): a click matches each impression of its id at most
// window before it and processed before it.
func naiveJoin(arrival []event, window time.Duration) []string {
	evs := slices.Clone(arrival)
	slices.SortStableFunc(evs, func(a, b event) int { return cmp.Compare(a.Time, b.Time) })
	var out []string
	matched := make([]bool, len(evs))
	for j, c := range evs {
		if !c.Click {
			continue
		}
		for i := range j {
			m := evs[i]
			if m.Click || m.ImpressionID != c.ImpressionID || m.Time < c.Time-record.Time(window) {
				continue
			}
			matched[i], matched[j] = true, true
			out = append(out, fmt.Sprintf("CLICKS %s %s %s %s %s %s %d", ts(c.Time), m.ImpressionID, m.Campaign, m.User,
				ts(m.Time), ts(c.Time), int64(c.Time-m.Time)/int64(time.Millisecond)))
		}
	}
	for i, e := range evs {
		switch {
		case matched[i]:
		case e.Click:
			out = append(out, fmt.Sprintf("ORPHAN_CLICKS %s %s %s", ts(e.Time), e.ImpressionID, ts(e.Time)))
		default:
			out = append(out, fmt.Sprintf("UNCLICKED %s %s %s %s %s", ts(e.Time+record.Time(window)), e.ImpressionID, e.Campaign, e.User, ts(e.Time)))
		}
	}
	return out
}

// canonical parses the output lines into the form naiveJoin writes, and
// checks that they come in time order.
func canonical(t *testing.T, out string) []string {
	t.Helper()
	var got []string
	last := ""
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m struct {
			Stream, Time, ImpressionID, Campaign, User, ImpressionTime, ClickTime string
			DelayMs                                                               *int64
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(l), &raw); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		b, _ := json.Marshal(map[string]any{
			"Stream": raw["stream"], "Time": raw["time"], "ImpressionID": raw["impression_id"], "Campaign": raw["campaign"],
			"User": raw["user"], "ImpressionTime": raw["impression_time"], "ClickTime": raw["click_time"], "DelayMs": raw["delay_ms"],
		})
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		tm, err := time.Parse(time.RFC3339Nano, m.Time)
		if err != nil {
			t.Fatal(err)
		}
		if key := tm.Format("2006-01-02T15:04:05.000000000"); key < last {
			t.Fatalf("result at %s after one at %s", m.Time, last)
		} else {
			last = key
		}
		switch m.Stream {
		case "CLICKS":
			got = append(got, fmt.Sprintf("CLICKS %s %s %s %s %s %s %d", m.Time, m.ImpressionID, m.Campaign, m.User, m.ImpressionTime, m.ClickTime, *m.DelayMs))
		case "UNCLICKED":
			got = append(got, fmt.Sprintf("UNCLICKED %s %s %s %s %s", m.Time, m.ImpressionID, m.Campaign, m.User, m.ImpressionTime))
		case "ORPHAN_CLICKS":
			got = append(got, fmt.Sprintf("ORPHAN_CLICKS %s %s %s", m.Time, m.ImpressionID, m.ClickTime))
		default:
			t.Fatalf("unknown stream in %s", l)
		}
	}
	return got
}

func firstDiff(got, want []string) string {
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return "got  " + g + "\nwant " + w
		}
	}
	return ""
}

// TestBadRecords checks that undecodable and late events are reported with
// their line numbers and counted.
func TestBadRecords(t *testing.T) {
	in := strings.Join([]string{
		`{"type":"impression","impression_id":"i1","campaign":"c","user":"u","ts_ms":1000}`,
		`not json`,
		`{"type":"view","impression_id":"i2","ts_ms":1000}`,
		`{"type":"click","ts_ms":1000}`,
		`{"type":"click","impression_id":"i1"}`,
		`{"type":"click","impression_id":"i1","ts_ms":5000}`,
		`{"type":"click","impression_id":"i1","ts_ms":4000}`, // late
	}, "\n")
	out, errOut, code := clitest.Run(t, run, in, "-in", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	clitest.Contains(t, "stderr", errOut,
		"adtracking: line 2: undecodable:",
		"adtracking: line 3: undecodable:",
		"adtracking: line 4: undecodable: no impression_id",
		"adtracking: line 5: undecodable: no ts_ms",
		"adtracking: line 7: late for events:",
		"adtracking: 7 records, 1 results, 4 undecodable, 1 late (events 1), 0 rejected\n",
	)
	if want := `{"stream":"CLICKS","time":"1970-01-01T00:00:05Z","impression_id":"i1","campaign":"c","user":"u","impression_time":"1970-01-01T00:00:01Z","click_time":"1970-01-01T00:00:05Z","delay_ms":4000}` + "\n"; out != want {
		t.Errorf("got %s, want %s", out, want)
	}
}

func TestExitStatus(t *testing.T) {
	clitest.ExitStatus(t, run, []clitest.Exit{
		{Name: "bad window", Args: []string{"-window", "0s"}, Code: 2},
		{Name: "bad delay", Args: []string{"-delay", "-1s"}, Code: 2},
		{Name: "missing file", Args: []string{"-in", "/nonexistent/events.jsonl"}, Code: 1},
	})
}
