package trending

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// TopItem is one row of the TOP_K stream: an article and its clicks in one
// window.
type TopItem = window.Result[int64, int64]

// AppendTopLine appends the JSON form of one top-K row:
//
//	{"stream":"TOP_K","window_start":"…","window_end":"…","ITEM":17,"ITEM_COUNT":40}
func AppendTopLine(dst []byte, r TopItem) []byte {
	dst = append(dst, `{"stream":"TOP_K","window_start":`...)
	dst = cli.AppendTime(dst, r.Start)
	dst = append(dst, `,"window_end":`...)
	dst = cli.AppendTime(dst, r.End)
	dst = append(dst, `,"ITEM":`...)
	dst = strconv.AppendInt(dst, r.Key, 10)
	dst = append(dst, `,"ITEM_COUNT":`...)
	dst = strconv.AppendInt(dst, r.Value, 10)
	return append(dst, '}')
}

// topK counts clicks per article per minute and emits the K most clicked of
// each window, most first, ties by first click in the window.
type topK struct {
	q       *Query
	k       int
	clicks  *window.Agg[Event, int64, int64, int64]
	pending []TopItem // the results of the windows completed by this call
	wm      record.Time
	onItem  func(TopItem)
}

func newTopK(q *Query) (*topK, error) {
	t := &topK{q: q, k: q.opts.TopK, wm: record.MinTime}
	wo := &window.Options[Event]{Delay: q.opts.Delay}
	if late := q.opts.Late; late != nil {
		wo.Late = func(e Event, err error) { late(e, TopStream, err) }
	}
	var err error
	t.clicks, err = window.Aggregate(Window, func(e Event) int64 { return e.Article }, aggregate.Count[Event](), wo)
	if err != nil {
		return nil, err
	}
	t.onItem = func(r TopItem) { t.pending = append(t.pending, r) }
	return t, nil
}

func (t *topK) push(e Event) error {
	var err error
	if e.Click {
		err = t.clicks.Push(e, t.onItem)
	} else if wm := e.Time - record.Time(t.q.opts.Delay); wm > t.wm {
		// An impression moves event time on for the clicks too.
		t.wm = wm
		err = t.clicks.Advance(wm, t.onItem)
	}
	t.drain()
	return err
}

func (t *topK) advance(wm record.Time) error {
	err := t.clicks.Advance(wm, t.onItem)
	t.drain()
	return err
}

func (t *topK) flush() error {
	err := t.clicks.Flush(t.onItem)
	t.drain()
	return err
}

// drain emits the top K of each window in pending. The operator emits a
// window's results together, in order of first appearance, so a stable sort
// by count keeps ties in that order.
func (t *topK) drain() {
	p := t.pending
	for len(p) > 0 {
		n := 1
		for n < len(p) && p[n].End == p[0].End && p[n].Start == p[0].Start {
			n++
		}
		w := p[:n]
		slices.SortStableFunc(w, func(a, b TopItem) int { return cmp.Compare(b.Value, a.Value) })
		for _, r := range w[:min(t.k, n)] {
			t.q.buf = AppendTopLine(t.q.buf[:0], r)
			t.q.emit(t.q.buf)
		}
		p = p[n:]
	}
	t.pending = t.pending[:0]
}

func (t *topK) stats() window.Stats { return t.clicks.Stats() }
