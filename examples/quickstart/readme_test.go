package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// The README's first pipeline, compiled here: TestREADME checks that the
// README still shows this code.

type Bid struct {
	Block, Amount int64
	At            record.Time
}

func (b Bid) EventTime() record.Time { return b.At }

func firstPipeline(bids []Bid) error {
	// SELECT STREAM block, SUM(amount) FROM bids
	// GROUP BY block, STEP(ROWTIME BY INTERVAL '15' SECOND)
	op, err := window.Aggregate(window.Step(15*time.Second),
		func(b Bid) int64 { return b.Block },
		aggregate.Sum(func(b Bid) int64 { return b.Amount }),
		nil)
	if err != nil {
		return err
	}
	show := func(r window.Result[int64, int64]) { fmt.Println(r.Key, r.Value) }
	for _, b := range bids {
		if err := op.Push(b, show); err != nil {
			return err
		}
	}
	return op.Flush(show)
}

// TestREADME checks that every line of the README's first Go block appears,
// in order, in this file, so the README's example is code that compiles.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```go\n")
	if !ok {
		t.Fatal("README has no Go block")
	}
	block, _, _ = strings.Cut(block, "```")
	self, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(self), "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	at := 0
	for _, want := range strings.Split(block, "\n") {
		want = strings.TrimSpace(want)
		if want == "" {
			continue
		}
		for at < len(lines) && lines[at] != want {
			at++
		}
		if at == len(lines) {
			t.Fatalf("the README's line %q is not in readme_test.go (in order): update one or the other", want)
		}
	}
}

func ExampleBid() {
	bids := []Bid{
		{Block: 1, Amount: 10, At: record.Time(1 * time.Second)},
		{Block: 1, Amount: 5, At: record.Time(2 * time.Second)},
		{Block: 2, Amount: 7, At: record.Time(16 * time.Second)},
	}
	if err := firstPipeline(bids); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1 15
	// 2 7
}
