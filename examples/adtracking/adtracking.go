package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// An event is an impression or a click.
type event struct {
	Click        bool
	ImpressionID string
	Campaign     string // impressions only
	User         string // impressions only
	Time         record.Time
}

func (e event) EventTime() record.Time { return e.Time }

type payload struct {
	Type         string `json:"type"`
	ImpressionID string `json:"impression_id"`
	Campaign     string `json:"campaign"`
	User         string `json:"user"`
	TsMs         *int64 `json:"ts_ms"`
}

// decodeEvent reads one input line.
func decodeEvent(line []byte) (event, error) {
	var p payload
	if err := json.Unmarshal(line, &p); err != nil {
		return event{}, err
	}
	var e event
	switch p.Type {
	case "impression":
	case "click":
		e.Click = true
	default:
		return event{}, fmt.Errorf("type %q is neither impression nor click", p.Type)
	}
	if p.ImpressionID == "" {
		return event{}, errors.New("no impression_id")
	}
	if p.TsMs == nil {
		return event{}, errors.New("no ts_ms")
	}
	t, err := record.FromUnixMilli(*p.TsMs)
	if err != nil {
		return event{}, err
	}
	e.ImpressionID, e.Campaign, e.User, e.Time = p.ImpressionID, p.Campaign, p.User, t
	return e, nil
}

// appendEvent writes an event as an input line.
func appendEvent(dst []byte, e event) []byte {
	if e.Click {
		dst = append(dst, `{"type":"click","impression_id":`...)
		dst = cli.AppendString(dst, e.ImpressionID)
	} else {
		dst = append(dst, `{"type":"impression","impression_id":`...)
		dst = cli.AppendString(dst, e.ImpressionID)
		dst = append(dst, `,"campaign":`...)
		dst = cli.AppendString(dst, e.Campaign)
		dst = append(dst, `,"user":`...)
		dst = cli.AppendString(dst, e.User)
	}
	dst = append(dst, `,"ts_ms":`...)
	dst = strconv.AppendInt(dst, int64(e.Time)/int64(time.Millisecond), 10)
	return append(dst, '}')
}

// generator makes the workload: impressions about every 200 ms, one in five
// clicked after an exponential delay of mean 30 seconds, and a click on an
// unknown id about once in 500 events. Events come out in time order.
type generator struct {
	rng     *rand.Rand
	t       record.Time // time of the next impression
	n       int         // impressions made
	pending []event     // clicks to come, sorted by time
}

func newGenerator(seed uint64) *generator {
	return &generator{
		rng: rand.New(rand.NewPCG(seed, 0xad)),
		t:   record.Time(1_700_000_000 * time.Second),
	}
}

func (g *generator) next() event {
	if len(g.pending) > 0 && g.pending[0].Time <= g.t {
		e := g.pending[0]
		g.pending = g.pending[1:]
		return e
	}
	e := event{
		ImpressionID: "i" + strconv.Itoa(g.n),
		Campaign:     "c" + strconv.Itoa(g.rng.IntN(8)),
		User:         "u" + strconv.Itoa(g.rng.IntN(500)),
		Time:         g.t,
	}
	g.n++
	g.t += record.Time(time.Millisecond) * record.Time(100+g.rng.IntN(200))
	if g.rng.IntN(5) == 0 {
		d := time.Duration(g.rng.ExpFloat64() * float64(30*time.Second)).Truncate(time.Millisecond)
		g.schedule(event{Click: true, ImpressionID: e.ImpressionID, Time: e.Time + record.Time(d)})
	}
	if g.rng.IntN(500) == 0 {
		g.schedule(event{Click: true, ImpressionID: "x" + strconv.Itoa(g.n), Time: e.Time})
	}
	return e
}

func (g *generator) schedule(c event) {
	i := len(g.pending)
	for i > 0 && g.pending[i-1].Time > c.Time {
		i--
	}
	g.pending = append(g.pending, event{})
	copy(g.pending[i+1:], g.pending[i:])
	g.pending[i] = c
}

// match is a result of the join: a click and its impression, or either
// alone.
type match struct {
	imp, click event
	hasImp     bool
	hasClick   bool
}

// query is the join, writing its results as JSON lines.
type query struct {
	join *window.Join[event, event, string, match]
	buf  []byte
	emit func(line []byte)
	out  func(record.Of[match]) // bound once
}

func impressionID(e event) string { return e.ImpressionID }

func newQuery(w, delay time.Duration, late func(error)) (*query, error) {
	j, err := window.NewJoin(window.FullOuter, window.LeftWindow(window.Range(w)), impressionID, impressionID,
		func(i, c *event) match {
			var m match
			if i != nil {
				m.imp, m.hasImp = *i, true
			}
			if c != nil {
				m.click, m.hasClick = *c, true
			}
			return m
		},
		&window.JoinOptions[event, event]{
			Delay:    delay,
			OneClock: true,
			Late:     func(_ window.Either[event, event], err error) { late(err) },
		})
	if err != nil {
		return nil, err
	}
	q := &query{join: j}
	q.out = q.write
	return q, nil
}

// Push takes an event: impressions are the join's left input, clicks its
// right one.
func (q *query) Push(e event, emit func(line []byte)) error {
	q.emit = emit
	if e.Click {
		return q.join.PushRight(e, q.out)
	}
	return q.join.PushLeft(e, q.out)
}

func (q *query) Flush(emit func(line []byte)) error {
	q.emit = emit
	return q.join.Flush(q.out)
}

func (q *query) write(r record.Of[match]) {
	m := r.Value
	b := q.buf[:0]
	switch {
	case m.hasImp && m.hasClick:
		b = append(b, `{"stream":"CLICKS","time":`...)
	case m.hasImp:
		b = append(b, `{"stream":"UNCLICKED","time":`...)
	default:
		b = append(b, `{"stream":"ORPHAN_CLICKS","time":`...)
	}
	b = cli.AppendTime(b, r.Time)
	id := m.imp.ImpressionID
	if !m.hasImp {
		id = m.click.ImpressionID
	}
	b = append(b, `,"impression_id":`...)
	b = cli.AppendString(b, id)
	if m.hasImp {
		b = append(b, `,"campaign":`...)
		b = cli.AppendString(b, m.imp.Campaign)
		b = append(b, `,"user":`...)
		b = cli.AppendString(b, m.imp.User)
		b = append(b, `,"impression_time":`...)
		b = cli.AppendTime(b, m.imp.Time)
	}
	if m.hasClick {
		b = append(b, `,"click_time":`...)
		b = cli.AppendTime(b, m.click.Time)
	}
	if m.hasImp && m.hasClick {
		b = append(b, `,"delay_ms":`...)
		b = strconv.AppendInt(b, int64(m.click.Time-m.imp.Time)/int64(time.Millisecond), 10)
	}
	b = append(b, '}')
	q.buf = b
	q.emit(b)
}
