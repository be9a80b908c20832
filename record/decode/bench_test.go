package decode

import (
	"encoding/json"
	"testing"

	"github.com/rowtime/rowtime/record"
)

type benchEvent struct {
	EventID   string  `json:"event_id"`
	Ticker    string  `json:"ticker"`
	Sector    string  `json:"sector"`
	Price     float64 `json:"price"`
	Change    float64 `json:"change"`
	Volume    int64   `json:"volume"`
	Exchange  string  `json:"exchange"`
	Timestamp string  `json:"event_time"`
}

// benchPayload is a typical Kinesis record of about 200 bytes.
var benchPayload = []byte(`{"event_id":"6f1c2a9e-41b7-4c1e-9d53-0a7e5b3c8f21","ticker":"AMZN","sector":"TECHNOLOGY","price":178.53,"change":-0.42,"volume":1200345,"exchange":"NASDAQ","event_time":"2024-02-29T12:34:56.789Z"}`)

// BenchmarkDecode compares decoding one Kinesis record with the Decoder
// against encoding/json's own Unmarshal of the same bytes into the same
// struct, which is the floor the Decoder builds on.
func BenchmarkDecode(b *testing.B) {
	b.Run("impl=json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(benchPayload)))
		b.ReportAllocs()
		var v benchEvent
		for b.Loop() {
			if err := json.Unmarshal(benchPayload, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tc := range []struct {
		name  string
		field string
		unit  Format
	}{{"rfc3339", "event_time", RFC3339}, {"arrival", "", Arrival}} {
		b.Run("impl=Decoder/time="+tc.name, func(b *testing.B) {
			d, err := NewJSON[benchEvent](tc.field, tc.unit)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(benchPayload)))
			b.ReportAllocs()
			out := make([]record.Of[benchEvent], 0, 1)
			for b.Loop() {
				out, err = d.Append(out[:0], benchPayload, 1)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
