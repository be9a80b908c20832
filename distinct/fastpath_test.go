package distinct

import (
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

type tick struct {
	T    record.Time
	Key  int
	Item int
}

func (e tick) EventTime() record.Time { return e.T }

// TestFastPathTaken checks that the fast path takes the records it is meant
// for, so that the equivalence tests against window.Aggregate cover it.
func TestFastPathTaken(t *testing.T) {
	tests := []struct {
		name     string
		delay    time.Duration
		keyRun   int // records per run of one key
		min, max float64
	}{
		{"one key in order", 0, 1 << 30, 0.99, 1},
		{"runs of 10 per key", 0, 10, 0.85, 0.95},
		{"delay 1s", time.Second, 1 << 30, 0.99, 1}, // only a record that opens a window or closes one misses the lane
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := &CountOptions[tick]{}
			opts.Delay = tt.delay
			c, err := CountItemsByKey(window.Step(10*time.Second), func(e tick) int { return e.Key }, func(e tick) int { return e.Item }, opts)
			if err != nil {
				t.Fatal(err)
			}
			const n = 100_000
			emitted := 0
			for i := range n {
				e := tick{T: record.Time(i) * record.Time(time.Millisecond), Key: i / tt.keyRun % 3, Item: i % 5000}
				if err := c.Push(e, func(Result[int]) { emitted++ }); err != nil {
					t.Fatal(err)
				}
			}
			share := float64(n-c.slow) / n
			t.Logf("fast path took %.3f of the records; %d results", share, emitted)
			if share < tt.min || share > tt.max {
				t.Errorf("fast path took %.3f of the records, want [%v, %v]", share, tt.min, tt.max)
			}
			if s := c.Stats(); s.Records != n {
				t.Errorf("Stats.Records = %d, want %d", s.Records, n)
			}
		})
	}
}
