package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// FunctionError is a function's error as the emulator returns it.
type FunctionError struct {
	Status  int
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
	Body    string
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("testenv: function error (HTTP %d): %s: %s", e.Status, e.Type, e.Message)
}

func invoke(ctx context.Context, url string, payload []byte) ([]byte, error) {
	// The first invocation after a start also initialises the runtime, and
	// the emulator may refuse it for a moment while it starts: retry
	// connection errors briefly.
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			if ctx.Err() != nil || time.Now().After(deadline) {
				return nil, err
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amz-Function-Error") != "" || isErrorBody(body) {
			fe := &FunctionError{Status: resp.StatusCode, Body: string(body)}
			_ = json.Unmarshal(body, fe)
			return body, fe
		}
		return body, nil
	}
}

func isErrorBody(body []byte) bool {
	var probe struct {
		Type *string `json:"errorType"`
	}
	return json.Unmarshal(body, &probe) == nil && probe.Type != nil
}
