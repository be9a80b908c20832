package window

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones below, also where the system has no tz database

	"github.com/rowtime/rowtime/record"
)

// tilingZones holds zones with every kind of offset and transition:
// half-hour and 45-minute offsets, a 30-minute daylight-saving shift
// (Lord_Howe), negative daylight saving (Dublin), offsets that changed by
// half an hour (Caracas, Pyongyang), a skipped day (Apia) and zones whose
// transitions fall at midnight (Havana, Santiago).
var tilingZones = []string{
	"UTC", "Europe/Paris", "Europe/London", "Europe/Dublin", "America/New_York",
	"America/St_Johns", "America/Sao_Paulo", "America/Santiago", "America/Havana",
	"America/Caracas", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tehran", "Asia/Pyongyang",
	"Asia/Gaza", "Australia/Eucla", "Australia/Adelaide", "Australia/Lord_Howe",
	"Pacific/Chatham", "Pacific/Apia", "Pacific/Kiritimati", "Africa/Casablanca",
	"Antarctica/Troll",
}

// checkTiling walks the windows of w from from to to and checks that they
// tile the time line: each starts where the one before ended, and every
// instant tried inside one (its first, its last, its middle) is assigned to
// that same window.
func checkTiling(t *testing.T, w Assigner, from, to record.Time) int {
	t.Helper()
	n := 0
	at := from
	first, err := w.Window(at)
	if err != nil {
		t.Fatalf("%v: Window(%s): %v", w, at.String(), err)
	}
	at = first.Start
	for at < to {
		s, err := w.Window(at)
		if err != nil {
			t.Fatalf("%v: Window(%s): %v", w, at.String(), err)
		}
		if s.Start != at {
			t.Fatalf("%v: the window after one ending at %s is %v: windows overlap or leave a gap", w, at.String(), s)
		}
		for _, u := range []record.Time{s.End - 1, s.Start + (s.End-s.Start)/2} {
			if got, _ := w.Window(u); got != s {
				t.Fatalf("%v: Window(%s) = %v, but the window from %s is %v", w, u.String(), got, s.Start.String(), s)
			}
		}
		at = s.End
		n++
	}
	return n
}

func TestFloorInTiles(t *testing.T) {
	for _, name := range tilingZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			ts := func(y int) record.Time { return record.Time(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()) }
			for _, u := range []Unit{Day, Week, Month, Year} {
				checkTiling(t, FloorIn(u, loc), ts(1990), ts(2026))
			}
			checkTiling(t, FloorIn(Hour, loc), ts(2009), ts(2019))
			// Minutes and seconds around every transition of those years.
			for at := time.Unix(0, int64(ts(2009))).In(loc); at.Year() < 2019; {
				_, end := at.ZoneBounds()
				if end.IsZero() {
					break
				}
				e := record.Time(end.UnixNano())
				checkTiling(t, FloorIn(Minute, loc), e-record.Time(3*time.Hour), e+record.Time(3*time.Hour))
				checkTiling(t, FloorIn(Second, loc), e-record.Time(10*time.Minute), e+record.Time(10*time.Minute))
				at = end
			}
		})
	}
}

// TestFloorInLordHowe pins the windows around Lord Howe Island's 30-minute
// daylight-saving shifts: the hour that the shift cuts is two windows, one
// ending and one starting at the transition.
func TestFloorInLordHowe(t *testing.T) {
	loc, err := time.LoadLocation("Australia/Lord_Howe")
	if err != nil {
		t.Fatal(err)
	}
	w := FloorIn(Hour, loc)
	utc := func(s string) record.Time {
		tt, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return record.Time(tt.UnixNano())
	}
	// 2023-10-01 02:00 +10:30 (15:30 UTC the day before) became 02:30 +11:00.
	for _, tc := range []struct{ at, start, end string }{
		{"2023-09-30T15:00:00Z", "2023-09-30T14:30:00Z", "2023-09-30T15:30:00Z"}, // 01:30 +10:30
		{"2023-09-30T15:40:00Z", "2023-09-30T15:30:00Z", "2023-09-30T16:00:00Z"}, // 02:40 +11:00
		{"2023-09-30T16:10:00Z", "2023-09-30T16:00:00Z", "2023-09-30T17:00:00Z"}, // 03:10 +11:00
		// 2024-04-07 02:00 +11:00 (15:00 UTC the day before) became 01:30 +10:30.
		{"2024-04-06T14:50:00Z", "2024-04-06T14:00:00Z", "2024-04-06T15:00:00Z"}, // 01:50 +11:00
		{"2024-04-06T15:10:00Z", "2024-04-06T15:00:00Z", "2024-04-06T15:30:00Z"}, // 01:40 +10:30
		{"2024-04-06T15:40:00Z", "2024-04-06T15:30:00Z", "2024-04-06T16:30:00Z"}, // 02:10 +10:30
	} {
		got, err := w.Window(utc(tc.at))
		if err != nil {
			t.Fatal(err)
		}
		if want := (Span{utc(tc.start), utc(tc.end)}); got != want {
			t.Errorf("Window(%s) = %v, want %v", tc.at, got, want)
		}
	}
}
