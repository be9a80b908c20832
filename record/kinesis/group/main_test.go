package group_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("ROWTIME_GROUP_WORKER") == "1" {
		os.Exit(workerMain())
	}
	os.Exit(m.Run())
}
