package record

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Time is an event time: nanoseconds since the Unix epoch, UTC.
//
// All window arithmetic in rowtime is integer arithmetic on Time. Its range is
// that of an int64 count of nanoseconds: roughly the years 1678 to 2262.
type Time int64

// MinTime and MaxTime are the earliest and the latest instants a Time can
// hold: 1677-09-21T00:12:43.145224192Z and 2262-04-11T23:47:16.854775807Z.
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

// Add returns t+d. A sum beyond the range of Time saturates: it is
// [MaxTime] or [MinTime], never a time that wrapped around to the other end,
// so a watermark moved back by a delay stays the earliest time rather than
// becoming the latest.
func (t Time) Add(d time.Duration) Time {
	s := t + Time(d)
	// Overflow happened when t and d have the same sign and s has the other.
	if d > 0 && s < t {
		return MaxTime
	}
	if d < 0 && s > t {
		return MinTime
	}
	return s
}

// Sub returns the duration t-u. As for [time.Time.Sub], a difference beyond
// the range of [time.Duration] (about 292 years) saturates to the largest
// or smallest Duration.
func (t Time) Sub(u Time) time.Duration {
	d := time.Duration(t - u)
	if u < 0 && d < time.Duration(t) || u > 0 && d > time.Duration(t) {
		if t > u {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return d
}

// ErrTimeRange is the sentinel wrapped by errors for a time outside the range
// of [Time]: before 1677-09-21T00:12:43.145224192Z or after
// 2262-04-11T23:47:16.854775807Z.
var ErrTimeRange = errors.New("record: time outside the range of int64 nanoseconds")

// ErrTimeFormat is the sentinel wrapped by errors for a time that does not
// parse in the expected format.
var ErrTimeFormat = errors.New("record: bad time format")

// Bounds of Time in whole seconds and the nanoseconds beyond them.
const (
	minSec, minNsec = -9223372037, 145224192
	maxSec, maxNsec = 9223372036, 854775807
)

// FromTime returns t as a Time, or an error wrapping [ErrTimeRange] when t
// lies outside the range of int64 nanoseconds, where [time.Time.UnixNano]
// would silently give a wrong answer.
func FromTime(t time.Time) (Time, error) {
	sec, nsec := t.Unix(), int64(t.Nanosecond())
	if sec < minSec || sec == minSec && nsec < minNsec || sec > maxSec || sec == maxSec && nsec > maxNsec {
		return 0, fmt.Errorf("%w: %s", ErrTimeRange, t.UTC().Format(time.RFC3339Nano))
	}
	return Time(sec*1e9 + nsec), nil
}

// FromUnix returns the Time sec seconds after the epoch, or an error wrapping
// [ErrTimeRange] when that is outside the range of Time.
func FromUnix(sec int64) (Time, error) {
	if sec < minSec+1 || sec > maxSec {
		return 0, fmt.Errorf("%w: %d seconds", ErrTimeRange, sec)
	}
	return Time(sec * 1e9), nil
}

// FromUnixMilli returns the Time ms milliseconds after the epoch, or an error
// wrapping [ErrTimeRange] when that is outside the range of Time.
func FromUnixMilli(ms int64) (Time, error) {
	const lo, hi = int64(MinTime) / 1e6, int64(MaxTime) / 1e6
	if ms < lo || ms > hi {
		return 0, fmt.Errorf("%w: %d milliseconds", ErrTimeRange, ms)
	}
	return Time(ms * 1e6), nil
}

// FromSeconds returns the Time s seconds after the epoch, rounded to the
// nearest nanosecond that float64 arithmetic gives. It returns an error
// wrapping [ErrTimeRange] for NaN, infinities and times outside the range of
// Time. A float64 holds about 16 significant digits, so a present-day time
// keeps only about microsecond precision: to keep every digit of a decimal
// text, use [ParseSeconds].
func FromSeconds(s float64) (Time, error) {
	if math.IsNaN(s) || s < minSec || s >= maxSec+1 {
		return 0, fmt.Errorf("%w: %g seconds", ErrTimeRange, s)
	}
	sec := math.Floor(s)
	ns := math.Round((s - sec) * 1e9)
	if ns >= 1e9 {
		sec, ns = sec+1, 0
	}
	if isec, ins := int64(sec), int64(ns); isec < minSec || isec == minSec && ins < minNsec || isec > maxSec || isec == maxSec && ins > maxNsec {
		return 0, fmt.Errorf("%w: %g seconds", ErrTimeRange, s)
	}
	return Time(int64(sec)*1e9 + int64(ns)), nil
}

// ParseSeconds parses a decimal number of seconds since the epoch, such as
// "1700000000", "-0.5" or "1.7e9", exactly: no digit passes through a float.
// Digits finer than a nanosecond are rounded down (toward the past). It
// returns an error wrapping [ErrTimeFormat] for text that is not a decimal
// number and [ErrTimeRange] for a number outside the range of Time.
func ParseSeconds(s string) (Time, error) { return parseDecimal(s, 9, "seconds") }

// ParseMillis is like [ParseSeconds] for a number of milliseconds since the
// epoch, such as "1700000000123" or "1700000000123.5".
func ParseMillis(s string) (Time, error) { return parseDecimal(s, 6, "milliseconds") }

// parseDecimal parses s as a decimal number, optionally signed, with an
// optional fraction and exponent, and returns floor(s * 10^scale).
func parseDecimal[S ~string | ~[]byte](s S, scale int, unit string) (Time, error) {
	bad := func() (Time, error) { return 0, fmt.Errorf("%w: %q is not a number of %s", ErrTimeFormat, s, unit) }
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	// Digits without the point, and the position of the point in them.
	start := i
	var digits [40]byte
	nd, point, sawPoint, sawDigit := 0, 0, false, false
	dropped := false // a non-zero digit did not fit in digits
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			sawDigit = true
			if nd == 0 && c == '0' {
				// Leading zeros carry no digits.
				if sawPoint {
					point--
				}
				continue
			}
			if nd < len(digits) {
				digits[nd] = c - '0'
				nd++
			} else if c != '0' {
				dropped = true
			}
			if !sawPoint {
				point++
			}
		case c == '.' && !sawPoint:
			sawPoint = true
		default:
			goto exp
		}
	}
exp:
	if !sawDigit || i == start {
		return bad()
	}
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return bad()
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return bad()
		}
		e := 0
		for ; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return bad()
			}
			if e < 10000 {
				e = e*10 + int(s[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		point += e
	}
	// The integer part of digits × 10^(point+scale-nd).
	intDigits := point + scale
	if nd == 0 {
		return 0, nil
	}
	if intDigits > 19 {
		return 0, fmt.Errorf("%w: %s %s", ErrTimeRange, s, unit)
	}
	var u uint64
	for k := range max(intDigits, 0) {
		d := uint64(0)
		if k < nd {
			d = uint64(digits[k])
		}
		if u > (math.MaxUint64-d)/10 {
			return 0, fmt.Errorf("%w: %s %s", ErrTimeRange, s, unit)
		}
		u = u*10 + d
	}
	for k := max(intDigits, 0); k < nd; k++ {
		if digits[k] != 0 {
			dropped = true
		}
	}
	if neg {
		if dropped {
			u++ // floor
		}
		if u > 1<<63 {
			return 0, fmt.Errorf("%w: %s %s", ErrTimeRange, s, unit)
		}
		return Time(-int64(u-1) - 1), nil
	}
	if u > math.MaxInt64 {
		return 0, fmt.Errorf("%w: %s %s", ErrTimeRange, s, unit)
	}
	return Time(u), nil
}

// ParseRFC3339 parses an RFC 3339 time such as "2024-02-29T12:00:00Z" or
// "2024-02-29T13:00:00.5+01:00", accepting what [time.Parse] with
// [time.RFC3339Nano] accepts; fractional digits beyond nanoseconds are
// dropped. It returns an error wrapping [ErrTimeFormat] for
// text that does not parse (including dates such as February 30) and
// [ErrTimeRange] for a time outside the range of Time.
func ParseRFC3339(s string) (Time, error) { return parseRFC3339(s) }

// ParseISO8601 parses the date-and-time texts of ISO 8601 that event
// streams carry, such as KDA's "2018-08-01 20:17:20.797",
// "2018-08-01T20:17:20.797945" and "2018-08-01T22:17:20+02:00":
// YYYY-MM-DD, then 'T', 't' or a space, then HH:MM:SS, an optional fraction
// after '.' or ',' (digits beyond nanoseconds are dropped), and an optional
// zone: 'Z', 'z', ±HH:MM, ±HHMM or ±HH. A text without a zone is UTC. It
// accepts every text [ParseRFC3339] does. It returns an error wrapping
// [ErrTimeFormat] for text that does not parse (including dates such as
// February 30) and [ErrTimeRange] for a time outside the range of Time.
func ParseISO8601(s string) (Time, error) { return parseTimestamp(s, true) }

// parseRFC3339 is ParseRFC3339 over bytes or a string, without allocating.
func parseRFC3339[S ~string | ~[]byte](s S) (Time, error) { return parseTimestamp(s, false) }

// parseTimestamp parses RFC 3339, or with iso the wider ISO 8601 forms of
// ParseISO8601, without allocating.
func parseTimestamp[S ~string | ~[]byte](s S, iso bool) (Time, error) {
	bad := func() (Time, error) {
		if iso {
			return 0, fmt.Errorf("%w: %q is not an ISO 8601 date and time", ErrTimeFormat, s)
		}
		return 0, fmt.Errorf("%w: %q is not RFC 3339", ErrTimeFormat, s)
	}
	num := func(i, n int) int {
		v := 0
		for k := i; k < i+n; k++ {
			c := s[k]
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	// 2006-01-02T15:04:05 is 19 bytes, the shortest zone "Z" one more.
	min := 20
	if iso {
		min = 19
	}
	if len(s) < min || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return bad()
	}
	if s[10] != 'T' && (!iso || s[10] != 't' && s[10] != ' ') {
		return bad()
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return bad()
	}
	i := 19
	nsec := 0
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if i-start < 9 {
				nsec = nsec*10 + int(s[i]-'0')
			}
			i++
		}
		if i == start {
			return bad()
		}
		for k := i - start; k < 9; k++ {
			nsec *= 10
		}
	}
	offset := 0
	sign := func() int {
		if s[i] == '-' {
			return -1
		}
		return 1
	}
	switch {
	case iso && i == len(s):
	case i == len(s)-1 && (s[i] == 'Z' || iso && s[i] == 'z'):
	case i == len(s)-6 && (s[i] == '+' || s[i] == '-') && s[i+3] == ':',
		iso && i == len(s)-5 && (s[i] == '+' || s[i] == '-'),
		iso && i == len(s)-3 && (s[i] == '+' || s[i] == '-'):
		oh, om := num(i+1, 2), 0
		switch len(s) - i {
		case 6:
			om = num(i+4, 2)
		case 5:
			om = num(i+3, 2)
		}
		if oh < 0 || oh > 23 || om < 0 || om > 59 {
			return bad()
		}
		offset = sign() * (oh*60 + om) * 60
	default:
		return bad()
	}
	unix := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec) - int64(offset)
	if unix < minSec || unix == minSec && nsec < minNsec || unix > maxSec || unix == maxSec && nsec > maxNsec {
		return 0, fmt.Errorf("%w: %s", ErrTimeRange, s)
	}
	return Time(unix*1e9 + int64(nsec)), nil
}

// daysIn returns the number of days in month of year (proleptic Gregorian).
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to the given date, after
// Howard Hinnant's days_from_civil.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := FloorDiv(int64(y), 400)
	yoe := int64(y) - era*400
	mp := int64(m+9) % 12
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// UTC returns t as a [time.Time] in UTC.
func (t Time) UTC() time.Time {
	return time.Unix(0, int64(t)).UTC()
}

// Unix returns t in whole seconds since the epoch, rounded down (toward the
// past, also before 1970).
func (t Time) Unix() int64 { return FloorDiv(int64(t), 1e9) }

// UnixMilli returns t in whole milliseconds since the epoch, rounded down.
func (t Time) UnixMilli() int64 { return FloorDiv(int64(t), 1e6) }

// Seconds returns t in seconds since the epoch as a float64, which keeps
// about microsecond precision for present-day times.
func (t Time) Seconds() float64 {
	sec := FloorDiv(int64(t), 1e9)
	return float64(sec) + float64(FloorMod(int64(t), 1e9))/1e9
}

// AppendRFC3339 appends t formatted with [time.RFC3339Nano] in UTC to dst.
func (t Time) AppendRFC3339(dst []byte) []byte {
	return t.UTC().AppendFormat(dst, time.RFC3339Nano)
}

// String returns t formatted with [time.RFC3339Nano] in UTC, such as
// "2024-02-29T12:00:00.5Z".
func (t Time) String() string { return string(t.AppendRFC3339(nil)) }
