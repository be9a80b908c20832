package window

import (
	"fmt"
	"strconv"
	"time"

	"github.com/rowtime/rowtime/record"
)

// Span is the half-open interval of event time [Start, End).
type Span struct {
	Start, End record.Time
}

// Contains reports whether Start ≤ t < End.
func (s Span) Contains(t record.Time) bool { return s.Start <= t && t < s.End }

// String formats the span as [Start, End) in RFC 3339 with nanoseconds, UTC.
func (s Span) String() string {
	return "[" + s.Start.String() + ", " + s.End.String() + ")"
}

// Unit is a calendar unit for [Floor].
type Unit uint8

// Units of [Floor], KDA's FLOOR(ROWTIME TO unit).
const (
	Second Unit = iota + 1
	Minute
	Hour
	Day
	Week // ISO weeks: they start on Monday
	Month
	Year
)

var unitNames = [...]string{"", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "YEAR"}

// String returns the SQL name of the unit, such as "MINUTE".
func (u Unit) String() string {
	if u < Second || u > Year {
		return "Unit(" + strconv.Itoa(int(u)) + ")"
	}
	return unitNames[u]
}

type kind uint8

const (
	kindNone    kind = iota
	kindStep         // fixed-size tumbling windows aligned to the epoch
	kindMonths       // calendar steps of n months, UTC
	kindFloorIn      // calendar truncation in a location
	kindHop          // hopping windows
	kindSession      // per-key session windows
	kindStagger      // per-key stagger windows
)

// An Assigner says which windows a record belongs to. Build one with [Step],
// [Months], [Years], [Floor], [FloorIn], [Hop], [Session] or [Stagger].
//
// Constructors do not return errors, so that a windowed operator reads like
// the SQL it replaces:
//
//	window.Aggregate(window.Step(15*time.Second), key, agg, nil)
//
// Instead an Assigner built from invalid arguments carries the error: [Assigner.Err]
// returns it, and so does every operator constructor given that Assigner. The
// zero Assigner is invalid.
//
// Assigners are small values; copy them freely.
type Assigner struct {
	kind  kind
	size  int64 // nanoseconds; months for kindMonths; unused for kindFloorIn
	slide int64 // nanoseconds, kindHop only
	pane  int64 // gcd(size, slide), kindHop only
	unit  Unit  // kindFloorIn only
	loc   *time.Location
	err   error
}

// Step returns epoch-aligned tumbling windows of length d: [k·d, (k+1)·d) for
// every integer k, KDA's STEP(ROWTIME BY INTERVAL d). d must be positive.
// Days are fixed 86,400-second steps from the epoch (see the package doc on
// STEP 5 DAY).
func Step(d time.Duration) Assigner {
	if d <= 0 {
		return Assigner{err: fmt.Errorf("%w: Step(%v): size must be positive", ErrInvalid, d)}
	}
	return Assigner{kind: kindStep, size: int64(d)}
}

// Months returns calendar tumbling windows of n months in UTC, KDA's
// STEP(ROWTIME BY INTERVAL 'n' MONTH): a window starts at the first instant
// of a month whose index since January 1970 is a multiple of n. n must be
// positive.
func Months(n int) Assigner {
	if n <= 0 || n > maxMonths {
		return Assigner{err: fmt.Errorf("%w: Months(%d): n must be in [1, %d]", ErrInvalid, n, maxMonths)}
	}
	return Assigner{kind: kindMonths, size: int64(n)}
}

// Years returns calendar tumbling windows of n years in UTC: Months(12·n).
// A window starts on 1 January of a year whose distance from 1970 is a
// multiple of n. n must be positive.
func Years(n int) Assigner {
	if n <= 0 || n > maxMonths/12 {
		return Assigner{err: fmt.Errorf("%w: Years(%d): n must be in [1, %d]", ErrInvalid, n, maxMonths/12)}
	}
	return Assigner{kind: kindMonths, size: int64(12 * n)}
}

// maxMonths bounds calendar steps well beyond the range of record.Time
// (about 584 years), so month arithmetic never overflows.
const maxMonths = 12 * 1000

// Floor returns tumbling windows that truncate event time to unit in UTC,
// KDA's FLOOR(ROWTIME TO unit). Weeks are ISO weeks, starting on Monday.
func Floor(unit Unit) Assigner {
	switch unit {
	case Second:
		return Step(time.Second)
	case Minute:
		return Step(time.Minute)
	case Hour:
		return Step(time.Hour)
	case Day:
		return Step(24 * time.Hour)
	case Week:
		return Assigner{kind: kindFloorIn, unit: Week, loc: time.UTC}
	case Month:
		return Months(1)
	case Year:
		return Months(12)
	}
	return Assigner{err: fmt.Errorf("%w: Floor(%v): unknown unit", ErrInvalid, unit)}
}

// FloorIn is like [Floor] with the calendar of loc: FloorIn(Day, loc) windows
// run from midnight to midnight local time, so they last 23 or 25 hours
// across a daylight-saving change. Units up to Hour truncate the local wall
// clock; where the offset changes by other than a whole unit (the 30-minute
// daylight-saving shift of Australia/Lord_Howe, an offset moved by half an
// hour), the window that the change cuts ends at it and the next starts at
// it, so the windows always tile the time line without overlap. loc must
// not be nil.
func FloorIn(unit Unit, loc *time.Location) Assigner {
	if loc == nil {
		return Assigner{err: fmt.Errorf("%w: FloorIn(%v): nil location", ErrInvalid, unit)}
	}
	if loc == time.UTC {
		return Floor(unit)
	}
	if unit < Second || unit > Year {
		return Assigner{err: fmt.Errorf("%w: FloorIn(%v): unknown unit", ErrInvalid, unit)}
	}
	return Assigner{kind: kindFloorIn, unit: unit, loc: loc}
}

// Hop returns hopping windows [k·slide, k·slide + size), aligned to the
// epoch. A record belongs to every window that contains its time: size/slide
// of them when slide divides size. size and slide must be positive and
// slide ≤ size (a slide longer than the window would leave gaps that belong
// to no window). Hop(d, d) is Step(d).
func Hop(size, slide time.Duration) Assigner {
	switch {
	case size <= 0 || slide <= 0:
		return Assigner{err: fmt.Errorf("%w: Hop(%v, %v): size and slide must be positive", ErrInvalid, size, slide)}
	case slide > size:
		return Assigner{err: fmt.Errorf("%w: Hop(%v, %v): slide must not exceed size", ErrInvalid, size, slide)}
	case slide == size:
		return Step(size)
	}
	return Assigner{kind: kindHop, size: int64(size), slide: int64(slide), pane: gcd(int64(size), int64(slide))}
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Session returns per-key session windows: each record at t proposes the
// window [t, t+gap), and proposals of one key that overlap merge. Records
// less than gap apart share a session; records exactly gap apart do not. A
// session [first, last+gap) is emitted when the watermark reaches last+gap.
// gap must be positive.
func Session(gap time.Duration) Assigner {
	if gap <= 0 {
		return Assigner{err: fmt.Errorf("%w: Session(%v): gap must be positive", ErrInvalid, gap)}
	}
	return Assigner{kind: kindSession, size: int64(gap)}
}

// Stagger returns per-key stagger windows, KDA's WINDOWED BY STAGGER: the
// first record of a key at t0 opens the window [t0, t0+length), which is
// emitted when the watermark reaches t0+length; the next record of the key
// after that opens a new window. length must be positive.
func Stagger(length time.Duration) Assigner {
	if length <= 0 {
		return Assigner{err: fmt.Errorf("%w: Stagger(%v): length must be positive", ErrInvalid, length)}
	}
	return Assigner{kind: kindStagger, size: int64(length)}
}

// Err returns the error of an Assigner built from invalid arguments, and nil
// for a valid one.
func (w Assigner) Err() error {
	if w.kind == kindNone && w.err == nil {
		return fmt.Errorf("%w: zero Assigner", ErrInvalid)
	}
	return w.err
}

// Tumbling reports whether every time belongs to exactly one window that
// depends on the time alone: Step, Months, Years, Floor and FloorIn.
func (w Assigner) Tumbling() bool {
	return w.err == nil && (w.kind == kindStep || w.kind == kindMonths || w.kind == kindFloorIn)
}

// Aligned reports whether the windows of a time depend on the time alone
// (the tumbling assigners and Hop), so that [Assigner.AppendWindows] can
// list them. Session and stagger windows depend on the data.
func (w Assigner) Aligned() bool {
	return w.Tumbling() || (w.err == nil && w.kind == kindHop)
}

// Window returns the window that contains t, for a tumbling assigner. It
// returns an error wrapping [ErrOverflow] when a bound of that window is
// outside the range of record.Time, and one wrapping [ErrInvalid] for an
// assigner that is not tumbling or not valid.
func (w Assigner) Window(t record.Time) (Span, error) {
	switch w.kind {
	case kindStep:
		return stepWindow(t, w.size)
	case kindMonths:
		return monthsWindow(t, w.size)
	case kindFloorIn:
		return floorInWindow(t, w.unit, w.loc)
	}
	if err := w.Err(); err != nil {
		return Span{}, err
	}
	return Span{}, fmt.Errorf("%w: Window needs a tumbling assigner, not %v", ErrInvalid, w)
}

// AppendWindows appends to dst every window that contains t, in order of
// start, and returns the extended slice. For a tumbling assigner that is
// the one window of [Assigner.Window]. It returns dst and an error wrapping
// [ErrOverflow] when a bound of any of them is outside the range of
// record.Time, and one wrapping [ErrInvalid] for session and stagger
// assigners, whose windows depend on the data.
func (w Assigner) AppendWindows(dst []Span, t record.Time) ([]Span, error) {
	if w.kind == kindHop {
		lo, hi, err := hopRange(t, w.size, w.slide)
		if err != nil {
			return dst, err
		}
		for k := lo; k <= hi; k++ {
			s := record.Time(k * w.slide)
			dst = append(dst, Span{s, s + record.Time(w.size)})
		}
		return dst, nil
	}
	s, err := w.Window(t)
	if err != nil {
		return dst, err
	}
	return append(dst, s), nil
}

// String describes the assigner in KDA's words, such as "STEP 15s",
// "FLOOR DAY Europe/Paris" or "HOP 10s/1s". It also identifies the
// assigner in snapshots.
func (w Assigner) String() string {
	switch w.kind {
	case kindStep:
		return "STEP " + time.Duration(w.size).String()
	case kindMonths:
		return "STEP " + strconv.FormatInt(w.size, 10) + " MONTH"
	case kindFloorIn:
		return "FLOOR " + w.unit.String() + " " + w.loc.String()
	case kindHop:
		return "HOP " + time.Duration(w.size).String() + "/" + time.Duration(w.slide).String()
	case kindSession:
		return "SESSION " + time.Duration(w.size).String()
	case kindStagger:
		return "STAGGER " + time.Duration(w.size).String()
	}
	if w.err != nil {
		return "invalid: " + w.err.Error()
	}
	return "invalid: zero Assigner"
}

func overflowErr(t record.Time, w string) error {
	return fmt.Errorf("%w: time %d (%s) under %s", ErrOverflow, int64(t), t, w)
}

// stepWindow returns [floor(t/d)·d, floor(t/d)·d + d).
func stepWindow(t record.Time, d int64) (Span, error) {
	m := record.FloorMod(int64(t), d)
	// start = t − m must not go below MinTime; end = start + d must not
	// exceed MaxTime. Both are checked without overflowing.
	if int64(t) < int64(record.MinTime)+m || int64(t)-m > int64(record.MaxTime)-d {
		return Span{}, overflowErr(t, "STEP "+time.Duration(d).String())
	}
	s := t - record.Time(m)
	return Span{s, s + record.Time(d)}, nil
}

// hopRange returns the indexes k of the hopping windows [k·slide, k·slide+size)
// that contain t.
func hopRange(t record.Time, size, slide int64) (lo, hi int64, err error) {
	hi = record.FloorDiv(int64(t), slide)
	// The earliest window containing t starts after t − size.
	m := record.FloorMod(int64(t), slide)
	first := int64(t) - m // start of window hi
	if int64(t) < int64(record.MinTime)+m || first > int64(record.MaxTime)-size {
		return 0, 0, overflowErr(t, "HOP "+time.Duration(size).String()+"/"+time.Duration(slide).String())
	}
	// Windows hi, hi−1, ... contain t while k·slide + size > t, i.e.
	// (hi−k)·slide < size − (t − first).
	back := (size - 1 - m) / slide // number of earlier windows containing t
	if first < int64(record.MinTime)+back*slide {
		return 0, 0, overflowErr(t, "HOP "+time.Duration(size).String()+"/"+time.Duration(slide).String())
	}
	return hi - back, hi, nil
}

var (
	minTimeT = time.Unix(0, int64(record.MinTime))
	maxTimeT = time.Unix(0, int64(record.MaxTime))
)

func toTime(t time.Time) (record.Time, bool) {
	if t.Before(minTimeT) || t.After(maxTimeT) {
		return 0, false
	}
	return record.Time(t.UnixNano()), true
}

// monthsWindow returns the calendar window of n months (UTC) containing t.
func monthsWindow(t record.Time, n int64) (Span, error) {
	y, m, _ := time.Unix(0, int64(t)).UTC().Date()
	idx := int64(y-1970)*12 + int64(m-1)
	k := record.FloorDiv(idx, n) * n
	s, ok1 := toTime(time.Date(1970, time.Month(1+k), 1, 0, 0, 0, 0, time.UTC))
	e, ok2 := toTime(time.Date(1970, time.Month(1+k+n), 1, 0, 0, 0, 0, time.UTC))
	if !ok1 || !ok2 {
		return Span{}, overflowErr(t, "STEP "+strconv.FormatInt(n, 10)+" MONTH")
	}
	return Span{s, e}, nil
}

// floorInWindow returns the window of FLOOR(t TO unit) in loc.
func floorInWindow(t record.Time, unit Unit, loc *time.Location) (Span, error) {
	tt := time.Unix(0, int64(t)).In(loc)
	var s, e time.Time
	switch unit {
	case Second, Minute, Hour:
		var d time.Duration
		switch unit {
		case Second:
			d = time.Second
		case Minute:
			d = time.Minute
		default:
			d = time.Hour
		}
		// Truncate the wall clock under the offset in effect at t, and cut
		// the window at the zone's transitions: where the offset changes
		// by other than a multiple of the unit (Australia/Lord_Howe moves
		// by 30 minutes, historical offsets by odd seconds), the windows
		// of the two offsets do not line up, and the transition bounds
		// both. Elsewhere a transition falls on a window bound anyway.
		_, off := tt.Zone()
		local := int64(t) + int64(off)*int64(time.Second)
		if (off > 0 && local < int64(t)) || (off < 0 && local > int64(t)) {
			return Span{}, overflowErr(t, "FLOOR "+unit.String())
		}
		w, err := stepWindow(record.Time(local), int64(d))
		if err != nil {
			return Span{}, overflowErr(t, "FLOOR "+unit.String())
		}
		s = time.Unix(0, int64(w.Start)).Add(-time.Duration(off) * time.Second)
		e = s.Add(d)
		zs, ze := offsetBounds(tt, off)
		if !zs.IsZero() && s.Before(zs) {
			s = zs
		}
		if !ze.IsZero() && e.After(ze) {
			e = ze
		}
	default:
		s, e = calendarSpan(tt, unit, loc, 0)
		// time.Date may resolve a local midnight that a daylight-saving
		// change skips to an instant before or after t's day; step to the
		// span that holds t. Spans are computed from local dates alone, so
		// neighbouring spans still share their bounds.
		for i := 0; i < 2 && !tt.Before(e); i++ {
			s, e = calendarSpan(tt, unit, loc, i+1)
		}
		for i := 0; i < 2 && tt.Before(s); i++ {
			s, e = calendarSpan(tt, unit, loc, -i-1)
		}
	}
	st, ok1 := toTime(s)
	en, ok2 := toTime(e)
	if !ok1 || !ok2 || !(st <= t && t < en) {
		return Span{}, overflowErr(t, "FLOOR "+unit.String()+" "+loc.String())
	}
	return Span{st, en}, nil
}

// offsetBounds returns the bounds of the time around tt during which loc's
// UTC offset is off: the zone's bounds (time.Time.ZoneBounds), widened over
// neighbouring zones with the same offset (a change of abbreviation or of
// daylight-saving flag alone moves no clock). A zero time means no bound.
func offsetBounds(tt time.Time, off int) (start, end time.Time) {
	start, end = tt.ZoneBounds()
	for i := 0; i < 8 && !start.IsZero(); i++ {
		prev := start.Add(-time.Nanosecond)
		if _, o := prev.Zone(); o != off {
			break
		}
		start, _ = prev.ZoneBounds()
	}
	for i := 0; i < 8 && !end.IsZero(); i++ {
		if _, o := end.Zone(); o != off {
			break
		}
		_, end = end.ZoneBounds()
	}
	return start, end
}

// calendarSpan returns the unit-long span of local dates that contains
// tt's date, moved by shift units.
func calendarSpan(tt time.Time, unit Unit, loc *time.Location, shift int) (time.Time, time.Time) {
	y, m, d := tt.Date()
	switch unit {
	case Day:
		d += shift
		return time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	case Week:
		d -= (int(tt.Weekday()) + 6) % 7 // back to Monday
		d += 7 * shift
		return time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+7, 0, 0, 0, 0, loc)
	case Month:
		m += time.Month(shift)
		return time.Date(y, m, 1, 0, 0, 0, 0, loc), time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	default: // Year
		y += shift
		return time.Date(y, 1, 1, 0, 0, 0, 0, loc), time.Date(y+1, 1, 1, 0, 0, 0, 0, loc)
	}
}
