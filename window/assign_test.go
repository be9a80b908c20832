package window

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

func utc(s string) record.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return record.Time(t.UnixNano())
}

// TestKnownValues checks the STEP and FLOOR values of KDA's reference.
func TestKnownValues(t *testing.T) {
	x := utc("2004-09-30 13:48:23")
	tests := []struct {
		name string
		w    Assigner
		want string
	}{
		{"STEP 10 SECOND", Step(10 * time.Second), "2004-09-30 13:48:20"},
		{"STEP 2 HOUR", Step(2 * time.Hour), "2004-09-30 12:00:00"},
		{"STEP 5 MINUTE", Step(5 * time.Minute), "2004-09-30 13:45:00"},
		{"STEP 1 YEAR", Years(1), "2004-01-01 00:00:00"},
		{"STEP 5 DAY", Step(5 * 24 * time.Hour), "2004-09-29 00:00:00"},
		{"FLOOR HOUR", Floor(Hour), "2004-09-30 13:00:00"},
		{"FLOOR MINUTE", Floor(Minute), "2004-09-30 13:48:00"},
		{"FLOOR SECOND", Floor(Second), "2004-09-30 13:48:23"},
		{"FLOOR DAY", Floor(Day), "2004-09-30 00:00:00"},
		{"FLOOR WEEK", Floor(Week), "2004-09-27 00:00:00"}, // a Monday
		{"FLOOR MONTH", Floor(Month), "2004-09-01 00:00:00"},
		{"FLOOR YEAR", Floor(Year), "2004-01-01 00:00:00"},
		{"STEP 5 MONTH", Months(5), "2004-08-01 00:00:00"}, // month index (2004−1970)·12+8 = 416; 415 = 83·5
		{"STEP 3 YEAR", Years(3), "2003-01-01 00:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.w.Window(x)
			if err != nil {
				t.Fatal(err)
			}
			if got := time.Unix(0, int64(s.Start)).UTC().Format(time.DateTime); got != tt.want {
				t.Errorf("start = %s, want %s", got, tt.want)
			}
			if !s.Contains(x) {
				t.Errorf("%v does not contain the time", s)
			}
		})
	}
}

// TestStepFiveDays pins the divergence from KDA's documentation, which shows
// 2004-09-25 for STEP(2004-09-27 13:48:23 BY INTERVAL '5' DAY): the epoch
// formula gives 2004-09-24.
func TestStepFiveDays(t *testing.T) {
	s, err := Step(5 * 24 * time.Hour).Window(utc("2004-09-27 13:48:23"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Start != utc("2004-09-24 00:00:00") {
		t.Errorf("start = %s, want 2004-09-24", s.Start.String())
	}
}

func TestFloorNegative(t *testing.T) {
	tests := []struct {
		name string
		w    Assigner
		t    record.Time
		want Span
	}{
		{"step before epoch", Step(10 * time.Second), record.Time(-1), Span{record.Time(-10 * time.Second), 0}},
		{"step on boundary", Step(10 * time.Second), record.Time(-10 * time.Second), Span{record.Time(-10 * time.Second), 0}},
		{"step at epoch", Step(10 * time.Second), 0, Span{0, record.Time(10 * time.Second)}},
		{"day before epoch", Floor(Day), utc("1969-12-31 23:59:59"), Span{utc("1969-12-31 00:00:00"), 0}},
		{"week spanning epoch", Floor(Week), utc("1970-01-01 12:00:00"), Span{utc("1969-12-29 00:00:00"), utc("1970-01-05 00:00:00")}},
		{"month before epoch", Floor(Month), utc("1969-12-31 23:59:59"), Span{utc("1969-12-01 00:00:00"), 0}},
		{"5 months before epoch", Months(5), utc("1969-12-31 23:59:59"), Span{utc("1969-08-01 00:00:00"), utc("1970-01-01 00:00:00")}},
		{"7 months before epoch", Months(7), utc("1969-12-31 23:59:59"), Span{utc("1969-06-01 00:00:00"), utc("1970-01-01 00:00:00")}},
		{"year before epoch", Floor(Year), utc("1969-07-01 00:00:00"), Span{utc("1969-01-01 00:00:00"), 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.w.Window(tt.t)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Window(%s) = %v, want %v", tt.t.String(), got, tt.want)
			}
		})
	}
}

func TestFloorIn(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err) // the database is part of every supported platform's test image
	}
	local := func(s string) record.Time {
		tt, err := time.ParseInLocation(time.DateTime, s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return record.Time(tt.UnixNano())
	}
	tests := []struct {
		name      string
		unit      Unit
		t         string
		start, to string
		hours     float64
	}{
		{"day", Day, "2024-07-04 23:30:00", "2024-07-04 00:00:00", "2024-07-05 00:00:00", 24},
		{"spring forward", Day, "2024-03-10 12:00:00", "2024-03-10 00:00:00", "2024-03-11 00:00:00", 23},
		{"fall back", Day, "2024-11-03 12:00:00", "2024-11-03 00:00:00", "2024-11-04 00:00:00", 25},
		{"week", Week, "2024-07-04 10:00:00", "2024-07-01 00:00:00", "2024-07-08 00:00:00", 168},
		{"month", Month, "2024-02-29 23:00:00", "2024-02-01 00:00:00", "2024-03-01 00:00:00", 29*24 - 1 + 1},
		{"year", Year, "2024-12-31 23:00:00", "2024-01-01 00:00:00", "2025-01-01 00:00:00", 366 * 24},
		{"hour", Hour, "2024-07-04 10:59:59", "2024-07-04 10:00:00", "2024-07-04 11:00:00", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := FloorIn(tt.unit, ny).Window(local(tt.t))
			if err != nil {
				t.Fatal(err)
			}
			if s.Start != local(tt.start) || s.End != local(tt.to) {
				t.Errorf("Window = %v, want [%s, %s) local", s, tt.start, tt.to)
			}
			if h := time.Duration(s.End - s.Start).Hours(); h != tt.hours {
				t.Errorf("window lasts %vh, want %vh", h, tt.hours)
			}
		})
	}
}

func TestAssignerErrors(t *testing.T) {
	tests := []struct {
		name string
		w    Assigner
	}{
		{"zero", Assigner{}},
		{"step zero", Step(0)},
		{"step negative", Step(-time.Second)},
		{"months zero", Months(0)},
		{"months huge", Months(math.MaxInt)},
		{"years negative", Years(-1)},
		{"floor unknown unit", Floor(0)},
		{"floor unit past year", Floor(Year + 1)},
		{"floorin nil location", FloorIn(Day, nil)},
		{"hop zero slide", Hop(time.Second, 0)},
		{"hop negative size", Hop(-time.Second, time.Second)},
		{"hop slide over size", Hop(time.Second, 2*time.Second)},
		{"session zero", Session(0)},
		{"stagger negative", Stagger(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.w.Err(); !errors.Is(err, ErrInvalid) {
				t.Errorf("Err() = %v, want ErrInvalid", err)
			}
			if _, err := tt.w.Window(0); !errors.Is(err, ErrInvalid) {
				t.Errorf("Window: %v, want ErrInvalid", err)
			}
			if _, err := Aggregate(tt.w, tevKey, tevSum{}, nil); !errors.Is(err, ErrInvalid) {
				t.Errorf("Aggregate: %v, want ErrInvalid", err)
			}
		})
	}
}

func TestAssignerOverflow(t *testing.T) {
	tests := []struct {
		name string
		w    Assigner
		t    record.Time
	}{
		{"step max", Step(time.Minute), record.MaxTime},
		{"step min", Step(time.Minute), record.MinTime},
		{"hop max", Hop(time.Minute, time.Second), record.MaxTime},
		{"hop min", Hop(time.Minute, time.Second), record.MinTime + record.Time(time.Second)},
		{"month max", Months(1), record.MaxTime},
		{"year min", Years(1), record.MinTime},
		{"floor week max", Floor(Week), record.MaxTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.w.AppendWindows(nil, tt.t); !errors.Is(err, ErrOverflow) {
				t.Errorf("AppendWindows(%d) error = %v, want ErrOverflow", tt.t, err)
			}
		})
	}
}

func TestHopWindows(t *testing.T) {
	w := Hop(10*time.Second, 4*time.Second)
	got, err := w.AppendWindows(nil, record.Time(9*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	s := func(a, b int) Span {
		return Span{record.Time(a) * record.Time(time.Second), record.Time(b) * record.Time(time.Second)}
	}
	want := []Span{s(0, 10), s(4, 14), s(8, 18)}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if _, err := w.Window(0); !errors.Is(err, ErrInvalid) {
		t.Errorf("Window on Hop: %v, want ErrInvalid", err)
	}
}

// checkAssignment checks that t lands in exactly the windows of w that
// contain it: each returned window contains t, they are in order, and no
// window of the grid just before or after the returned ones contains t.
func checkAssignment(t *testing.T, w Assigner, x record.Time) {
	t.Helper()
	spans, err := w.AppendWindows(nil, x)
	if err != nil {
		if !errors.Is(err, ErrOverflow) {
			t.Fatalf("%v at %d: %v", w, x, err)
		}
		return
	}
	if len(spans) == 0 {
		t.Fatalf("%v at %d: no window", w, x)
	}
	for i, s := range spans {
		if !s.Contains(x) {
			t.Fatalf("%v at %d: window %v does not contain it", w, x, s)
		}
		if i > 0 && s.Start <= spans[i-1].Start {
			t.Fatalf("%v at %d: windows out of order: %v", w, x, spans)
		}
	}
	switch w.kind {
	case kindHop:
		first, last := spans[0], spans[len(spans)-1]
		if first.Start-record.Time(w.slide)+record.Time(w.size) > x && first.Start >= record.MinTime+record.Time(w.slide) {
			t.Fatalf("%v at %d: the window before %v also contains it", w, x, first)
		}
		if last.Start+record.Time(w.slide) <= x {
			t.Fatalf("%v at %d: the window after %v also contains it", w, x, last)
		}
		if record.FloorMod(int64(first.Start), w.slide) != 0 || first.End-first.Start != record.Time(w.size) {
			t.Fatalf("%v at %d: misaligned %v", w, x, first)
		}
	case kindStep:
		if s := spans[0]; record.FloorMod(int64(s.Start), w.size) != 0 || s.End-s.Start != record.Time(w.size) {
			t.Fatalf("%v at %d: misaligned %v", w, x, s)
		}
	default:
		// Calendar windows tile the line: the window of End is the next one.
		s := spans[0]
		if next, err := w.Window(s.End); err == nil && next.Start != s.End {
			t.Fatalf("%v at %d: %v is followed by %v", w, x, s, next)
		}
		if prev, err := w.Window(s.Start - 1); err == nil && prev.End != s.Start {
			t.Fatalf("%v at %d: %v is preceded by %v", w, x, s, prev)
		}
	}
}

func FuzzAssign(f *testing.F) {
	for _, x := range []int64{0, 1, -1, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1,
		int64(utc("2004-09-30 13:48:23")), -int64(time.Hour) - 1} {
		f.Add(x, int64(time.Minute), int64(time.Second))
		f.Add(x, int64(7), int64(3))
		f.Add(x, int64(math.MaxInt64), int64(math.MaxInt64/3))
	}
	ny, _ := time.LoadLocation("America/New_York")
	f.Fuzz(func(t *testing.T, x, size, slide int64) {
		if size <= 0 || slide <= 0 {
			return
		}
		if slide > size {
			size, slide = slide, size
		}
		tx := record.Time(x)
		checkAssignment(t, Step(time.Duration(size)), tx)
		checkAssignment(t, Hop(time.Duration(size), time.Duration(slide)), tx)
		checkAssignment(t, Months(int(1+uint64(size)%36)), tx)
		for u := Second; u <= Year; u++ {
			checkAssignment(t, Floor(u), tx)
			if ny != nil {
				checkAssignment(t, FloorIn(u, ny), tx)
			}
		}
	})
}
