package main

import (
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	h, err := fromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	lambda.Start(h.Invoke)
}

// fromEnv builds the handler from its environment variables (see the
// package documentation).
func fromEnv(getenv func(string) string) (*Handler, error) {
	var delay time.Duration
	if s := getenv("ROWTIME_DELAY"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("lambda: ROWTIME_DELAY=%q is not a duration ≥ 0", s)
		}
		delay = d
	}
	stateDir := getenv("ROWTIME_STATE_DIR")
	if stateDir == "" {
		stateDir = "/tmp/rowtime-state"
	}
	h := &Handler{
		NewQuery: func() (Query, error) { return newAuctionQuery(delay) },
		Store:    FileStore{Dir: stateDir},
		Log:      os.Stderr,
	}
	if d := getenv("ROWTIME_OUTPUT_DIR"); d != "" {
		h.Results = DirOutput{Dir: d}
	} else {
		h.Results = &WriterOutput{W: os.Stdout}
	}
	if d := getenv("ROWTIME_DEADLETTER_DIR"); d != "" {
		h.DeadLetters = DirOutput{Dir: d}
	} else {
		h.DeadLetters = &WriterOutput{W: os.Stderr}
	}
	return h, nil
}
