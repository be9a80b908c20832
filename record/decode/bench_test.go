package decode

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
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

// alarm is what an application keeps of a CloudWatch alarm's state change
// as EventBridge delivers it.
type alarm struct {
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     struct {
		AlarmName string `json:"alarmName"`
		State     struct {
			Value  string `json:"value"`
			Reason string `json:"reason"`
		} `json:"state"`
		PreviousState struct {
			Value string `json:"value"`
		} `json:"previousState"`
	} `json:"detail"`
}

// nestedPayload is a CloudWatch alarm state change of about 1 KB, as
// EventBridge delivers it: nested objects and arrays, a string of escaped
// JSON, and the event time three levels down.
var nestedPayload = []byte(`{"version":"0","id":"c4c1c1c9-6542-e61b-6ef0-8c4d36933a92","detail-type":"CloudWatch Alarm State Change","source":"aws.cloudwatch","account":"123456789012","time":"2019-10-02T17:04:40Z","region":"us-east-1","resources":["arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh"],"detail":{"alarmName":"ServerCpuTooHigh","configuration":{"description":"Goes into alarm when server CPU utilization is too high!","metrics":[{"id":"30b6c6b2-a864-43a2-4877-c09a1afc3b87","metricStat":{"metric":{"dimensions":{"InstanceId":"i-12345678901234567"},"name":"CPUUtilization","namespace":"AWS/EC2"},"period":300,"stat":"Average"},"returnData":true}]},"previousState":{"reason":"Threshold Crossed: 1 out of the last 1 datapoints [0.0666851903306472 (01/10/19 13:46:00)] was not greater than the threshold (50.0).","reasonData":"{\"version\":\"1.0\",\"queryDate\":\"2019-10-01T13:56:40.985+0000\",\"statistic\":\"Average\",\"period\":300,\"recentDatapoints\":[0.0666851903306472],\"threshold\":50.0}","timestamp":"2019-10-01T13:56:40.987+0000","value":"OK"},"state":{"reason":"Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0).","timestamp":"2019-10-02T17:04:40.989+0000","value":"ALARM"}}}`)

// BenchmarkDecode compares decoding one Kinesis record with the JSON
// decoder, time parse and record.Of included, against encoding/json's own
// Unmarshal of the same bytes into the same struct.
func BenchmarkDecode(b *testing.B) {
	b.Run("impl=json.Unmarshal", func(b *testing.B) {
		benchUnmarshal[benchEvent](b, benchPayload)
	})
	for _, tc := range []struct {
		name   string
		field  string
		format Format
	}{{"rfc3339", "event_time", RFC3339}, {"arrival", "", Arrival}} {
		b.Run("impl=Decoder/time="+tc.name, func(b *testing.B) {
			benchDecoder[benchEvent](b, tc.field, tc.format, benchPayload)
		})
	}
	b.Run("impl=json.Unmarshal/payload=nested1k", func(b *testing.B) {
		benchUnmarshal[alarm](b, nestedPayload)
	})
	b.Run("impl=Decoder/payload=nested1k", func(b *testing.B) {
		benchDecoder[alarm](b, "/detail/state/timestamp", ISO8601, nestedPayload)
	})
}

func benchUnmarshal[T any](b *testing.B, payload []byte) {
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	var v T
	for b.Loop() {
		if err := json.Unmarshal(payload, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecoder[T any](b *testing.B, field string, format Format, payload []byte) {
	d, err := NewJSON[T](field, format)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	out := make([]record.Of[T], 0, 1)
	for b.Loop() {
		out, err = d.Append(out[:0], payload, 1)
		if err != nil || len(out) != 1 {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBad decodes payloads of lines that open an object and
// never close it: the cost per byte must stay flat as the payload grows.
func BenchmarkDecodeBad(b *testing.B) {
	for _, size := range []int{64 << 10, 128 << 10, 1 << 20} {
		data := badPayload(size)
		b.Run("size="+strconv.Itoa(size>>10)+"KiB", func(b *testing.B) {
			d, _ := NewJSON[trade]("ts", Seconds)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if out, _ := d.Append(nil, data, 0); len(out) != 1 {
					b.Fatal(len(out))
				}
			}
		})
	}
}

// csvPayload is 100 lines of benchPayload's record as CSV.
var csvPayload = func() []byte {
	var buf bytes.Buffer
	for i := range 100 {
		buf.WriteString("6f1c2a9e-41b7-4c1e-9d53-0a7e5b3c8f21,AMZN,TECHNOLOGY,178.53,-0.42,")
		buf.WriteString(strconv.Itoa(1200345 + i))
		buf.WriteString(",NASDAQ,2024-02-29T12:34:56.789Z\n")
	}
	return buf.Bytes()
}()

// BenchmarkDecodeCSV compares the CSV decoder with encoding/csv reading the
// same lines into the same struct, the time parsed alike. Costs are per
// record (ns/record).
func BenchmarkDecodeCSV(b *testing.B) {
	const n = 100
	b.Run("impl=encoding/csv", func(b *testing.B) {
		b.SetBytes(int64(len(csvPayload)))
		b.ReportAllocs()
		out := make([]record.Of[benchEvent], 0, n)
		for b.Loop() {
			out = out[:0]
			r := csv.NewReader(bytes.NewReader(csvPayload))
			r.ReuseRecord = true
			for {
				rec, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				var e benchEvent
				var errs [4]error
				e.EventID, e.Ticker, e.Sector = rec[0], rec[1], rec[2]
				e.Price, errs[0] = strconv.ParseFloat(rec[3], 64)
				e.Change, errs[1] = strconv.ParseFloat(rec[4], 64)
				e.Volume, errs[2] = strconv.ParseInt(rec[5], 10, 64)
				e.Exchange, e.Timestamp = rec[6], rec[7]
				t, err := record.ParseRFC3339(rec[7])
				errs[3] = err
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
				out = append(out, record.Of[benchEvent]{Time: t, Value: e})
			}
			if len(out) != n {
				b.Fatal(len(out))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
	b.Run("impl=Decoder", func(b *testing.B) {
		d, err := NewCSV[benchEvent]("event_time", RFC3339, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(csvPayload)))
		b.ReportAllocs()
		out := make([]record.Of[benchEvent], 0, n)
		for b.Loop() {
			out, err = d.Append(out[:0], csvPayload, 0)
			if err != nil || len(out) != n {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
	})
}
