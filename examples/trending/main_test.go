package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/internal/clitest"
)

func TestGolden(t *testing.T) {
	for _, args := range [][]string{{"-n", "600"}, {"-n", "600", "-top", "3", "-seed", "2"}} {
		name := strings.ReplaceAll(strings.Join(args, ""), "-", "") + ".golden"
		t.Run(name, func(t *testing.T) {
			out, errOut, code := clitest.Run(t, run, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			clitest.Golden(t, name, out)
			if want := "trending: 600 records, "; !strings.HasPrefix(errOut, want) {
				t.Errorf("stderr %q, want a summary starting %q", errOut, want)
			}
			if again, _, _ := clitest.Run(t, run, "", args...); again != out {
				t.Error("two runs differ")
			}
		})
	}
}

func TestGenIn(t *testing.T) {
	in, _, code := clitest.Run(t, run, "", "-gen", "-n", "2000", "-seed", "4")
	if code != 0 || strings.Count(in, "\n") != 2000 {
		t.Fatalf("-gen: exit %d, %d lines", code, strings.Count(in, "\n"))
	}
	fromIn, errOut, code := clitest.Run(t, run, in, "-in", "-", "-seed", "4", "-top", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if gen, _, _ := clitest.Run(t, run, "", "-n", "2000", "-seed", "4", "-top", "2"); fromIn != gen {
		t.Error("-in of the -gen output differs from the generated run")
	}
}

// TestNaive runs a small hand-made input with a users file and compares the
// output with a group-by computed here from the same lines.
func TestNaive(t *testing.T) {
	dir := t.TempDir()
	users := "1,female,1\n2, male ,2\n3,female,1\n"
	usersFile := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(usersFile, []byte(users), 0o644); err != nil {
		t.Fatal(err)
	}
	const t0 = 1769472000000 // ms, on a minute
	type act struct {
		article, user int
		action        string
		ms            int64
	}
	acts := []act{
		{10, 1, "impression", t0}, {10, 1, "click", t0 + 1}, {10, 3, "impression", t0 + 59_999},
		{11, 2, "impression", t0 + 5}, {10, 9, "click", t0 + 6}, {10, 9, "impression", t0 + 7},
		{11, 2, "click", t0 + 60_000}, {12, 1, "click", t0 + 60_001}, {11, 3, "click", t0 + 61_000},
		{12, 9, "impression", t0 + 180_000},
	}
	var in strings.Builder
	for _, a := range acts {
		fmt.Fprintf(&in, `{"article_id":%d,"user_id":%d,"action":%q,"timestamp":%d}`+"\n", a.article, a.user, a.action, a.ms)
	}
	out, errOut, code := clitest.Run(t, run, in.String(), "-in", "-", "-users", usersFile, "-top", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// The group-by.
	table := map[int]string{}
	for _, l := range strings.Split(strings.TrimSpace(users), "\n") {
		f := strings.Split(l, ",")
		var id int
		fmt.Sscan(f[0], &id)
		table[id] = fmt.Sprintf("%q %s", strings.TrimSpace(f[1]), strings.TrimSpace(f[2]))
	}
	type key struct {
		minute  int64
		group   string
		article int
	}
	counts := map[key][2]int{}
	clicks := map[[2]int64]int{}
	for _, a := range acts {
		g, ok := table[a.user]
		if !ok {
			g = "null null"
		}
		k := key{a.ms / 60_000 * 60_000, g, a.article}
		c := counts[k]
		if a.action == "click" {
			c[1]++
			clicks[[2]int64{k.minute, int64(a.article)}]++
		} else {
			c[0]++
		}
		counts[k] = c
	}
	var want []string
	for k, c := range counts {
		want = append(want, fmt.Sprintf("%s %s %s article=%d impression=%d click=%d", at(k.minute), at(k.minute+60_000), k.group, k.article, c[0], c[1]))
	}
	best := map[int64][2]int64{} // minute → (article, clicks); ties: the first clicked, which here is the lower id
	for mk, n := range clicks {
		b, ok := best[mk[0]]
		if !ok || int64(n) > b[1] || (int64(n) == b[1] && mk[1] < b[0]) {
			best[mk[0]] = [2]int64{mk[1], int64(n)}
		}
	}
	for m, b := range best {
		want = append(want, fmt.Sprintf("TOP_K %s %s item=%d count=%d", at(m), at(m+60_000), b[0], b[1]))
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct {
			Stream      string          `json:"stream"`
			WindowStart string          `json:"window_start"`
			WindowEnd   string          `json:"window_end"`
			Gender      json.RawMessage `json:"gender"`
			Segment     json.RawMessage `json:"segment_id"`
			Article     int             `json:"article_id"`
			Impression  int             `json:"impression"`
			Click       int             `json:"click"`
			Item        int             `json:"ITEM"`
			Count       int             `json:"ITEM_COUNT"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Stream == "TOP_K" {
			got = append(got, fmt.Sprintf("TOP_K %s %s item=%d count=%d", r.WindowStart, r.WindowEnd, r.Item, r.Count))
			continue
		}
		got = append(got, fmt.Sprintf("%s %s %s %s article=%d impression=%d click=%d", r.WindowStart, r.WindowEnd, r.Gender, r.Segment, r.Article, r.Impression, r.Click))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func at(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }

func TestBadRecords(t *testing.T) {
	in := strings.Join([]string{
		`{"article_id":1,"user_id":1,"action":"click","timestamp":120000}`,
		`{"article_id":1,"user_id":1,"action":"share","timestamp":120001}`,
		`{"article_id":1,"user_id":1,"action":"click"}`,
		`{"article_id":2,"user_id":1,"action":"click","timestamp":240000}`,
		`{"article_id":3,"user_id":1,"action":"click","timestamp":1000}`,
		`]`,
	}, "\n")
	out, errOut, code := clitest.Run(t, run, in, "-in", "-", "-top", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	clitest.Contains(t, "stderr", errOut,
		"trending: line 2: undecodable:",
		"trending: line 3: undecodable:",
		"trending: line 5: late for DESTINATION_SQL_STREAM:",
		"trending: line 5: late for TOP_K:",
		"trending: line 6: undecodable:",
		"trending: 6 records, 4 results, 3 undecodable, 2 late (DESTINATION_SQL_STREAM 1, TOP_K 1), 0 rejected\n",
	)
	if strings.Count(out, "\n") != 4 {
		t.Errorf("%d results:\n%s", strings.Count(out, "\n"), out)
	}
}

// TestLateness checks that with -lateness a late action corrects its
// window's rows, emitted again with "update":true.
func TestLateness(t *testing.T) {
	in := strings.Join([]string{
		`{"article_id":1,"user_id":0,"action":"click","timestamp":1000}`,
		`{"article_id":1,"user_id":0,"action":"click","timestamp":61000}`,
		`{"article_id":1,"user_id":0,"action":"impression","timestamp":2000}`,
	}, "\n")
	out, errOut, code := clitest.Run(t, run, in, "-in", "-", "-lateness", "1m", "-top", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		`{"window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:01:00Z","gender":null,"segment_id":null,"article_id":1,"impression":1,"click":1,"update":true}`,
		`{"stream":"TOP_K","window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:01:00Z","ITEM":1,"ITEM_COUNT":1}`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, " 0 late") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	badUsers := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(badUsers, []byte("1,female\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clitest.ExitStatus(t, run, []clitest.Exit{
		{Name: "help", Args: []string{"-h"}, Code: 0},
		{Name: "unknown flag", Args: []string{"-bogus"}, Code: 2},
		{Name: "negative top", Args: []string{"-top", "-1"}, Code: 2},
		{Name: "capacity below top", Args: []string{"-top", "5", "-top-capacity", "4"}, Code: 2},
		{Name: "negative lateness", Args: []string{"-lateness", "-1m"}, Code: 2},
		{Name: "negative n", Args: []string{"-n", "-5"}, Code: 2},
		{Name: "argument", Args: []string{"extra"}, Code: 2},
		{Name: "missing input", Args: []string{"-in", filepath.Join(dir, "none.jsonl")}, Code: 1},
		{Name: "missing users", Args: []string{"-users", filepath.Join(dir, "none.csv"), "-n", "1"}, Code: 1},
		{Name: "bad users", Args: []string{"-users", badUsers, "-n", "1"}, Code: 1},
		{Name: "zero records", Args: []string{"-n", "0"}, Code: 0},
	})
}
