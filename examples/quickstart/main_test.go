package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/query/auction"
	"github.com/rowtime/rowtime/hotspot/hotspottest"
	"github.com/rowtime/rowtime/record"
)

// TestSummary checks the summary's figures against a group-by of the same
// generated bids computed here.
func TestSummary(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()

	type key struct {
		start record.Time
		block int64
	}
	spend := map[key]int64{}
	var order []key
	bidders := map[record.Time]map[string]bool{}
	for _, b := range auction.Generate(1, bids) {
		k := key{b.Time.Truncate(15 * time.Second), b.Value.Block}
		if _, ok := spend[k]; !ok {
			order = append(order, k)
		}
		spend[k] += b.Value.Amount
		w := b.Time.Truncate(10 * time.Second)
		if bidders[w] == nil {
			bidders[w] = map[string]bool{}
		}
		bidders[w][b.Value.Bidder] = true
	}
	want := []string{
		fmt.Sprintf("SUM(Amount) per block per 15 s STEP window: %d rows", len(spend)),
		fmt.Sprintf("distinct bidders per 10 s window: %d rows", len(bidders)),
	}
	for _, k := range order[:3] {
		want = append(want, fmt.Sprintf("%s  block %d  spend %d\n", span(k.start, k.start+record.Time(15*time.Second)), k.block, spend[k]))
	}
	starts := make([]record.Time, 0, len(bidders))
	for s := range bidders {
		starts = append(starts, s)
	}
	slices.Sort(starts)
	for _, s := range starts[:3] {
		want = append(want, fmt.Sprintf("%s  NUMBER_OF_DISTINCT_ITEMS %d\n", span(s, s+record.Time(10*time.Second)), len(bidders[s])))
	}
	g := hotspottest.NewGenerator(1)
	g.Points(points)
	sq := g.Square()
	want = append(want, fmt.Sprintf("The square at that time: x %.2f–%.2f, y %.2f–%.2f", sq.MinX, sq.MaxX, sq.MinY, sq.MaxY))
	want = append(want, "After the last point, there is 1 hotspot.\n")
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("summary lacks %q:\n%s", w, text)
		}
	}
}

// BenchmarkQuickstart times one whole run (the README's first command
// promises well under two seconds).
func BenchmarkQuickstart(b *testing.B) {
	for b.Loop() {
		if err := run(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSources checks that the last line of the output names files that
// exist, one for each part of the output.
func TestSources(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	if last != sources {
		t.Fatalf("last line %q, want the sources", last)
	}
	names := regexp.MustCompile(`[a-z/]+\.go`).FindAllString(last, -1)
	if len(names) < 4 {
		t.Fatalf("the last line names %q, want a file for the pipelines, the bids, their decoder and the points", names)
	}
	for _, name := range names {
		if _, err := os.Stat(filepath.Join("..", "..", name)); err != nil {
			t.Errorf("the last line names %s: %v", name, err)
		}
	}
}
