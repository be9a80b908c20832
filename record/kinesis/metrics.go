package kinesis

import (
	"strconv"
	"time"
)

// Metrics are the counts of one batch of one shard.
type Metrics struct {
	Records        int // records taken (dead letters aside)
	Duplicates     int // redelivered records skipped
	Late           int // records too late for their windows (dead letters)
	DeadLetters    int // records sent to the dead letters
	WindowsEmitted int // results emitted
	StateBytes     int // size of the saved state
}

// AppendMetrics appends m as one CloudWatch Embedded Metric Format line:
// a JSON object whose "_aws" key declares the metrics (namespace ns,
// dimension Shard), which CloudWatch Logs turns into metrics with no API
// call and no dependency.
func AppendMetrics(dst []byte, ns, shard string, at time.Time, m Metrics) []byte {
	dst = append(dst, `{"_aws":{"Timestamp":`...)
	dst = strconv.AppendInt(dst, at.UnixMilli(), 10)
	dst = append(dst, `,"CloudWatchMetrics":[{"Namespace":`...)
	dst = strconv.AppendQuote(dst, ns)
	dst = append(dst, `,"Dimensions":[["Shard"]],"Metrics":[`...)
	names := [...]string{"Records", "Duplicates", "Late", "DeadLetters", "WindowsEmitted", "StateBytes"}
	for i, n := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		unit := "Count"
		if n == "StateBytes" {
			unit = "Bytes"
		}
		dst = append(dst, `{"Name":"`+n+`","Unit":"`+unit+`"}`...)
	}
	dst = append(dst, `]}]},"Shard":`...)
	dst = strconv.AppendQuote(dst, shard)
	for i, v := range [...]int{m.Records, m.Duplicates, m.Late, m.DeadLetters, m.WindowsEmitted, m.StateBytes} {
		dst = append(dst, `,"`+names[i]+`":`...)
		dst = strconv.AppendInt(dst, int64(v), 10)
	}
	return append(dst, "}\n"...)
}
