package window_test

import (
	"fmt"
	"time"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

type order struct {
	At      record.Time
	OrderID int
}

func (o order) EventTime() record.Time { return o.At }

type shipment struct {
	At      record.Time
	OrderID int
}

func (s shipment) EventTime() record.Time { return s.At }

func at(clock string) record.Time {
	t, err := time.Parse(time.DateTime, "2018-11-01 "+clock)
	if err != nil {
		panic(err)
	}
	return record.Time(t.UnixNano())
}

// KDA's orders and shipments, shipments preserved:
//
//	SELECT STREAM s.orderid, o.ROWTIME, s.ROWTIME
//	FROM orders AS o OVER (RANGE INTERVAL '1' MINUTE PRECEDING)
//	RIGHT JOIN shipments AS s ON o.orderid = s.orderid
func ExampleNewJoin() {
	j, err := window.NewJoin(window.RightOuter, window.LeftWindow(window.Range(time.Minute)),
		func(o order) int { return o.OrderID }, func(s shipment) int { return s.OrderID },
		func(o *order, s *shipment) string {
			if o == nil {
				return fmt.Sprintf("%d shipped without an order in the last minute", s.OrderID)
			}
			return fmt.Sprintf("%d ordered %s, shipped %s", s.OrderID,
				time.Unix(0, int64(o.At)).UTC().Format("15:04:05"), time.Unix(0, int64(s.At)).UTC().Format("15:04:05"))
		},
		&window.JoinOptions[order, shipment]{OneClock: true}) // both stamped on arrival, like ROWTIME
	if err != nil {
		panic(err)
	}
	print := func(r record.Of[string]) { fmt.Println(r.Value) }
	j.PushLeft(order{at("10:00:00"), 101}, print)
	j.PushRight(shipment{at("10:00:00"), 100}, print)
	j.PushLeft(order{at("10:00:40"), 104}, print)
	j.PushRight(shipment{at("10:00:45"), 104}, print)
	j.PushLeft(order{at("10:00:45"), 100}, print)
	j.PushRight(shipment{at("10:00:50"), 105}, print)
	j.Flush(print)
	// Output:
	// 100 shipped without an order in the last minute
	// 104 ordered 10:00:40, shipped 10:00:45
	// 105 shipped without an order in the last minute
}

// A LEFT OUTER JOIN reports each order that no shipment matched once the
// watermark passes it plus the window: here at Advance, with the time at
// which it expired.
func ExampleJoin_Advance() {
	j, _ := window.NewJoin(window.LeftOuter, window.LeftWindow(window.Range(time.Minute)),
		func(o order) int { return o.OrderID }, func(s shipment) int { return s.OrderID },
		func(o *order, s *shipment) bool { return s != nil }, nil)
	print := func(r record.Of[bool]) {
		fmt.Println(time.Unix(0, int64(r.Time)).UTC().Format("15:04:05"), "shipped:", r.Value)
	}
	j.PushLeft(order{at("10:00:00"), 1}, print)
	j.PushLeft(order{at("10:00:10"), 2}, print)
	j.PushRight(shipment{at("10:00:30"), 2}, print)
	j.Advance(at("10:01:05"), print)
	// Output:
	// 10:00:30 shipped: true
	// 10:01:00 shipped: false
}

// Flink's interval join: a shipment matches an order of the same id at most
// 5 s before it or 2 s after it, whichever arrives first.
func ExampleInterval() {
	j, _ := window.NewJoin(window.Inner, window.Interval(-2*time.Second, 5*time.Second),
		func(o order) int { return o.OrderID }, func(s shipment) int { return s.OrderID },
		func(o *order, s *shipment) int { return o.OrderID }, nil)
	print := func(r record.Of[int]) { fmt.Println("matched", r.Value) }
	j.PushRight(shipment{at("10:00:09"), 7}, print) // 1 s before its order
	j.PushLeft(order{at("10:00:10"), 7}, print)
	j.PushLeft(order{at("10:00:10"), 8}, print)
	j.PushRight(shipment{at("10:00:16"), 8}, print) // 6 s after: too late
	j.Flush(print)
	// Output:
	// matched 7
}
