package record

import (
	"errors"
	"math"
	"strconv"
	"testing"
	"time"
)

func TestFloorDivMod(t *testing.T) {
	for _, tc := range []struct{ a, b, q, m int64 }{
		{7, 10, 0, 7}, {-1, 10, -1, 9}, {-10, 10, -1, 0}, {-11, 10, -2, 9}, {10, 10, 1, 0},
		{math.MinInt64, 1e9, -9223372037, 145224192}, {math.MaxInt64, 1e9, 9223372036, 854775807},
		{math.MinInt64, 1, math.MinInt64, 0},
	} {
		if q, m := FloorDiv(tc.a, tc.b), FloorMod(tc.a, tc.b); q != tc.q || m != tc.m {
			t.Errorf("FloorDiv/Mod(%d, %d) = %d, %d; want %d, %d", tc.a, tc.b, q, m, tc.q, tc.m)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    Time
		d    time.Duration
		want Time
	}{
		{"positive", 1_500, 1_000, 1_000},
		{"negative rounds down", -1, time.Second, Time(-time.Second)},
		{"negative exact", Time(-2 * time.Second), time.Second, Time(-2 * time.Second)},
		{"min", MinTime, time.Nanosecond, MinTime},
		{"max", MaxTime, time.Second, Time(9223372036 * time.Second)},
		{"day before epoch", Time(-time.Hour), 24 * time.Hour, Time(-24 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.t.Truncate(tc.d); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestTimeConversions(t *testing.T) {
	for _, tc := range []struct {
		name string
		std  time.Time
		want Time
		text string
	}{
		{"epoch", time.Unix(0, 0), 0, "1970-01-01T00:00:00Z"},
		{"before epoch", time.Unix(-1, 999_999_999), -1, "1969-12-31T23:59:59.999999999Z"},
		{"leap day 2024", time.Date(2024, 2, 29, 23, 59, 59, 500_000_000, time.UTC), 1709251199_500000000, "2024-02-29T23:59:59.5Z"},
		{"leap day 2000", time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), 951782400_000000000, "2000-02-29T00:00:00Z"},
		{"1900 not leap", time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC), -2203891200_000000000, "1900-03-01T00:00:00Z"},
		{"min", time.Unix(-9223372037, 145224192), MinTime, "1677-09-21T00:12:43.145224192Z"},
		{"max", time.Unix(9223372036, 854775807), MaxTime, "2262-04-11T23:47:16.854775807Z"},
		{"zone", time.Date(2024, 1, 1, 1, 0, 0, 0, time.FixedZone("x", 3600)), 1704067200_000000000, "2024-01-01T00:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromTime(tc.std)
			if err != nil || got != tc.want {
				t.Fatalf("FromTime = %d, %v; want %d", got, err, tc.want)
			}
			if !got.UTC().Equal(tc.std) || got.UTC().Location() != time.UTC {
				t.Fatalf("UTC() = %v", got.UTC())
			}
			if s := got.String(); s != tc.text {
				t.Fatalf("String() = %q, want %q", s, tc.text)
			}
			back, err := ParseRFC3339(tc.text)
			if err != nil || back != tc.want {
				t.Fatalf("ParseRFC3339 = %d, %v", back, err)
			}
			if u := got.Unix(); u != tc.std.Unix() {
				t.Fatalf("Unix() = %d, want %d", u, tc.std.Unix())
			}
			if u := got.UnixMilli(); u != FloorDiv(int64(tc.want), 1e6) {
				t.Fatalf("UnixMilli() = %d", u)
			}
		})
	}
	for _, tc := range []struct {
		name string
		std  time.Time
	}{
		{"below min", time.Unix(-9223372037, 145224191)},
		{"above max", time.Unix(9223372036, 854775808)},
		{"year 1", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"year 9999", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := FromTime(tc.std); !errors.Is(err, ErrTimeRange) {
				t.Fatalf("got %v, want ErrTimeRange", err)
			}
		})
	}
}

func TestUnixConstructors(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func() (Time, error)
		want Time
		err  error
	}{
		{"unix 0", func() (Time, error) { return FromUnix(0) }, 0, nil},
		{"unix negative", func() (Time, error) { return FromUnix(-86400) }, Time(-86400 * time.Second), nil},
		{"unix max", func() (Time, error) { return FromUnix(9223372036) }, 9223372036_000000000, nil},
		{"unix too big", func() (Time, error) { return FromUnix(9223372037) }, 0, ErrTimeRange},
		{"unix too small", func() (Time, error) { return FromUnix(-9223372037) }, 0, ErrTimeRange},
		{"unix int64 min", func() (Time, error) { return FromUnix(math.MinInt64) }, 0, ErrTimeRange},
		{"milli", func() (Time, error) { return FromUnixMilli(1700000000123) }, 1700000000123000000, nil},
		{"milli negative", func() (Time, error) { return FromUnixMilli(-1) }, -1000000, nil},
		{"milli max", func() (Time, error) { return FromUnixMilli(9223372036854) }, 9223372036854000000, nil},
		{"milli too big", func() (Time, error) { return FromUnixMilli(9223372036855) }, 0, ErrTimeRange},
		{"seconds frac", func() (Time, error) { return FromSeconds(1.5) }, 1_500_000_000, nil},
		{"seconds negative frac", func() (Time, error) { return FromSeconds(-0.25) }, -250_000_000, nil},
		{"seconds NaN", func() (Time, error) { return FromSeconds(math.NaN()) }, 0, ErrTimeRange},
		{"seconds +Inf", func() (Time, error) { return FromSeconds(math.Inf(1)) }, 0, ErrTimeRange},
		{"seconds -Inf", func() (Time, error) { return FromSeconds(math.Inf(-1)) }, 0, ErrTimeRange},
		{"seconds too big", func() (Time, error) { return FromSeconds(9223372036.9) }, 0, ErrTimeRange},
		{"seconds too small", func() (Time, error) { return FromSeconds(-9223372037) }, 0, ErrTimeRange},
		{"parse seconds", func() (Time, error) { return ParseSeconds("1700000000.123456789") }, 1700000000123456789, nil},
		{"parse seconds int", func() (Time, error) { return ParseSeconds("1700000000") }, 1700000000_000000000, nil},
		{"parse seconds exp", func() (Time, error) { return ParseSeconds("1.7e9") }, 1700000000_000000000, nil},
		{"parse seconds neg exp", func() (Time, error) { return ParseSeconds("15e-1") }, 1_500_000_000, nil},
		{"parse seconds leading zeros", func() (Time, error) { return ParseSeconds("000.000001") }, 1000, nil},
		{"parse seconds plus", func() (Time, error) { return ParseSeconds("+2") }, 2_000_000_000, nil},
		{"parse seconds negative", func() (Time, error) { return ParseSeconds("-1.5") }, -1_500_000_000, nil},
		{"parse seconds sub-ns floors", func() (Time, error) { return ParseSeconds("-0.0000000001") }, -1, nil},
		{"parse seconds sub-ns positive", func() (Time, error) { return ParseSeconds("0.0000000019") }, 1, nil},
		{"parse seconds zero", func() (Time, error) { return ParseSeconds("-0.0") }, 0, nil},
		{"parse seconds min", func() (Time, error) { return ParseSeconds("-9223372036.854775808") }, MinTime, nil},
		{"parse seconds max", func() (Time, error) { return ParseSeconds("9223372036.854775807") }, MaxTime, nil},
		{"parse seconds over max", func() (Time, error) { return ParseSeconds("9223372036.854775808") }, 0, ErrTimeRange},
		{"parse seconds under min", func() (Time, error) { return ParseSeconds("-9223372036.8547758081") }, 0, ErrTimeRange},
		{"parse seconds huge", func() (Time, error) { return ParseSeconds("1e30") }, 0, ErrTimeRange},
		{"parse seconds long", func() (Time, error) { return ParseSeconds("12345678901234567890123") }, 0, ErrTimeRange},
		{"parse seconds empty", func() (Time, error) { return ParseSeconds("") }, 0, ErrTimeFormat},
		{"parse seconds sign only", func() (Time, error) { return ParseSeconds("-") }, 0, ErrTimeFormat},
		{"parse seconds dot only", func() (Time, error) { return ParseSeconds(".") }, 0, ErrTimeFormat},
		{"parse seconds two dots", func() (Time, error) { return ParseSeconds("1.2.3") }, 0, ErrTimeFormat},
		{"parse seconds letters", func() (Time, error) { return ParseSeconds("12ab") }, 0, ErrTimeFormat},
		{"parse seconds bare exp", func() (Time, error) { return ParseSeconds("1e") }, 0, ErrTimeFormat},
		{"parse seconds space", func() (Time, error) { return ParseSeconds(" 1") }, 0, ErrTimeFormat},
		{"parse millis", func() (Time, error) { return ParseMillis("1700000000123") }, 1700000000123000000, nil},
		{"parse millis frac", func() (Time, error) { return ParseMillis("1.5") }, 1_500_000, nil},
		{"parse millis max", func() (Time, error) { return ParseMillis("9223372036854.775807") }, MaxTime, nil},
		{"parse millis over", func() (Time, error) { return ParseMillis("9223372036855") }, 0, ErrTimeRange},
		{"rfc3339 bad", func() (Time, error) { return ParseRFC3339("2024-02-30T00:00:00Z") }, 0, ErrTimeFormat},
		{"rfc3339 no zone", func() (Time, error) { return ParseRFC3339("2024-02-01T00:00:00") }, 0, ErrTimeFormat},
		{"rfc3339 out of range", func() (Time, error) { return ParseRFC3339("2263-01-01T00:00:00Z") }, 0, ErrTimeRange},
		{"rfc3339 offset", func() (Time, error) { return ParseRFC3339("1970-01-01T01:00:00.000000001+01:00") }, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.f()
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %d, %v; want error %v", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		t    Time
		want float64
	}{{0, 0}, {1_500_000_000, 1.5}, {-250_000_000, -0.25}, {-1_500_000_000, -1.5}} {
		if got := tc.t.Seconds(); got != tc.want {
			t.Errorf("Time(%d).Seconds() = %v, want %v", tc.t, got, tc.want)
		}
	}
}

func FuzzParseSeconds(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-1e3", "9223372036.854775807", ".5", "1e-20", "-0.0000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSeconds(s)
		if err != nil {
			if !errors.Is(err, ErrTimeFormat) && !errors.Is(err, ErrTimeRange) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		// The exact result must be within a nanosecond of the float parse.
		if f, ok := parseFloatOK(s); ok && math.Abs(f) < 9e9 {
			if d := math.Abs(f - got.Seconds()); d > 1e-6*math.Max(1, math.Abs(f)/1e9) && d > 2e-6 {
				t.Fatalf("ParseSeconds(%q) = %v, float says %v", s, got.Seconds(), f)
			}
		}
	})
}

func parseFloatOK(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// FuzzParseRFC3339 checks ParseRFC3339 against time.Parse with
// time.RFC3339Nano.
func FuzzParseRFC3339(f *testing.F) {
	for _, s := range []string{
		"2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "1970-01-01T00:00:00.123456789+01:30",
		"2262-04-11T23:47:16.854775807Z", "1677-09-21T00:12:43.145224192Z", "1999-12-31t23:59:59z",
		"2000-01-01T00:00:00,5Z", "2000-01-01T24:00:00Z", "0000-01-01T00:00:00Z", "2000-01-01T00:00:00.Z",
		"2000-01-01T00:00:00.1234567891Z", "2000-01-01T00:00:00-23:59",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseRFC3339(s)
		std, serr := time.Parse(time.RFC3339Nano, s)
		if serr != nil {
			if err == nil {
				t.Fatalf("ParseRFC3339(%q) = %v, time.Parse fails: %v", s, got, serr)
			}
			return
		}
		if err != nil && errors.Is(err, ErrTimeFormat) && (len(s) < 19 || s[:19] != std.Format("2006-01-02T15:04:05")) {
			return // time.Parse is lenient where RFC 3339 is not: "T1:00:00"
		}
		want, werr := FromTime(std)
		if werr != nil {
			if !errors.Is(err, ErrTimeRange) {
				t.Fatalf("ParseRFC3339(%q) = %v, %v; want ErrTimeRange", s, got, err)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("ParseRFC3339(%q) = %d, %v; want %d", s, got, err, want)
		}
	})
}

func TestParseISO8601(t *testing.T) {
	const sec = 1_533_154_640 // 2018-08-01T20:17:20Z
	for _, tc := range []struct {
		in   string
		want Time
		err  error
	}{
		{"2018-08-01 20:17:20.797", sec*1e9 + 797e6, nil},
		{"2018-08-01T20:17:20.797945", sec*1e9 + 797945e3, nil},
		{"2018-08-01t20:17:20", sec * 1e9, nil},
		{"2018-08-01T20:17:20Z", sec * 1e9, nil},
		{"2018-08-01T20:17:20z", sec * 1e9, nil},
		{"2018-08-01T22:17:20+02:00", sec * 1e9, nil},
		{"2018-08-01T22:17:20+0200", sec * 1e9, nil},
		{"2018-08-01T22:17:20+02", sec * 1e9, nil},
		{"2018-08-01T15:47:20-04:30", sec * 1e9, nil},
		{"2018-08-01 20:17:20,25", sec*1e9 + 25e7, nil},
		{"2018-08-01 20:17:20.1234567891", sec*1e9 + 123456789, nil},
		{"1677-09-21 00:12:43.145224192", MinTime, nil},
		{"2018-08-01", 0, ErrTimeFormat},
		{"2018-08-01 20:17", 0, ErrTimeFormat},
		{"2018-08-01_20:17:20", 0, ErrTimeFormat},
		{"2018-08-01 20:17:20.", 0, ErrTimeFormat},
		{"2018-08-01 20:17:20+2", 0, ErrTimeFormat},
		{"2018-08-01 20:17:20+24:00", 0, ErrTimeFormat},
		{"2018-08-01 20:17:20 UTC", 0, ErrTimeFormat},
		{"2018-02-29 20:17:20", 0, ErrTimeFormat},
		{"2262-04-12 00:00:00", 0, ErrTimeRange},
	} {
		got, err := ParseISO8601(tc.in)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("ParseISO8601(%q) = %d, %v; want %d, %v", tc.in, got, err, tc.want, tc.err)
		}
		// Where RFC 3339 parses it, it agrees.
		if r, err := ParseRFC3339(tc.in); err == nil && (r != got || tc.err != nil) {
			t.Errorf("ParseRFC3339(%q) = %d, ParseISO8601 %d", tc.in, r, got)
		}
	}
}
