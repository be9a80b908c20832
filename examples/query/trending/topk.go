package trending

import (
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// TopItem is one row of the TOP_K stream: an article and its clicks in one
// window.
type TopItem = window.TopKItem[window.NoKey, int64]

// AppendTopLine appends the JSON form of one top-K row, the operator's own
// with the stream's name in front:
//
//	{"stream":"TOP_K","window_start":"…","window_end":"…","ITEM":17,"ITEM_COUNT":40}
func AppendTopLine(dst []byte, r TopItem) []byte {
	dst = append(dst, `{"stream":"`+TopStream+`",`...)
	at := len(dst)
	dst, err := r.AppendJSON(dst)
	if err != nil { // an int64 item and no key cannot fail to encode
		panic(err)
	}
	return append(dst[:at], dst[at+1:]...) // drop the operator's opening brace
}

// topK is the most-clicked articles per minute: TOP_K_ITEMS_TUMBLING over
// the clicks, KDA's
//
//	TOP_K_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM s WHERE action = 'click'), 'article_id', K, 60)
type topK struct {
	q      *Query
	op     *window.TopK[Event, window.NoKey, int64]
	wm     record.Time // the watermark the impressions have moved it to
	onItem func(TopItem)
}

func newTopK(q *Query) (*topK, error) {
	t := &topK{q: q, wm: record.MinTime}
	o := &window.TopKOptions[Event]{
		Options:  window.Options[Event]{Delay: q.opts.Delay, Lateness: q.opts.Lateness},
		Capacity: q.opts.TopCapacity,
	}
	if late := q.opts.Late; late != nil {
		o.Late = func(e Event, err error) { late(e, TopStream, err) }
	}
	var err error
	t.op, err = window.TopKItems(Window, q.opts.TopK, func(e Event) int64 { return e.Article }, o)
	if err != nil {
		return nil, err
	}
	t.onItem = t.line
	return t, nil
}

func (t *topK) line(r TopItem) {
	t.q.buf = AppendTopLine(t.q.buf[:0], r)
	t.q.emit(t.q.buf)
}

// push takes the clicks; an impression only moves event time on, so that
// the clicks' windows close when the counts' windows do.
func (t *topK) push(e Event) error {
	if e.Click {
		return t.op.Push(e, t.onItem)
	}
	if wm := e.Time - record.Time(t.q.opts.Delay); wm > t.wm {
		t.wm = wm
		return t.op.Advance(wm, t.onItem)
	}
	return nil
}

func (t *topK) advance(wm record.Time) error { return t.op.Advance(wm, t.onItem) }
func (t *topK) flush() error                 { return t.op.Flush(t.onItem) }
func (t *topK) stats() window.Stats          { return t.op.Stats() }
