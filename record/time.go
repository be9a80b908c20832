package record

import "time"

// Time is an event time: nanoseconds since the Unix epoch, UTC.
//
// All window arithmetic in rowtime is integer arithmetic on Time. Its range is
// that of an int64 count of nanoseconds: roughly the years 1678 to 2262.
type Time int64

// Extremes of Time.
const (
	MinTime Time = -1 << 63
	MaxTime Time = 1<<63 - 1
)

// EventTime returns t itself, so a bare Time satisfies [Timed].
func (t Time) EventTime() Time { return t }

// FloorDiv returns the largest integer q with q*b <= a, for b > 0.
// Unlike Go's / operator (and [time.Duration.Truncate]) it rounds toward
// negative infinity, so FloorDiv(-1, 10) is -1, not 0.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// FloorMod returns a - FloorDiv(a, b)*b, which is always in [0, b) for b > 0.
func FloorMod(a, b int64) int64 {
	m := a % b
	if m != 0 && ((m < 0) != (b < 0)) {
		m += b
	}
	return m
}

// Truncate returns t rounded down to a multiple of d since the epoch. It is a
// real floor for times before 1970, where [time.Time.Truncate] and integer
// division would round toward zero. It panics if d <= 0.
func (t Time) Truncate(d time.Duration) Time {
	if d <= 0 {
		panic("record: Truncate with non-positive duration")
	}
	return t - Time(FloorMod(int64(t), int64(d)))
}
