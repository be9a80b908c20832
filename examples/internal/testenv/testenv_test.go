package testenv

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestToolsDir(t *testing.T) {
	t.Setenv("ROWTIME_TOOLS", "/x/tools")
	if d, _ := ToolsDir(); d != "/x/tools" {
		t.Errorf("ToolsDir with ROWTIME_TOOLS = %q", d)
	}
	t.Setenv("ROWTIME_TOOLS", "")
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	if d, _ := ToolsDir(); d != filepath.Join("/x/cache", "rowtime-test-tools") {
		t.Errorf("ToolsDir with XDG_CACHE_HOME = %q", d)
	}
}

// TestProcessGroup checks that Stop ends a process and the children it
// started, which the emulator does with the function it runs.
func TestProcessGroup(t *testing.T) {
	p, err := Start(exec.Command("sh", "-c", "sleep 60 & echo child $!; wait"))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.Output(), "child ") {
		if time.Now().After(deadline) {
			t.Fatal("no child started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var child int
	if _, err := fmt.Sscanf(strings.TrimSpace(p.Output()), "child %d", &child); err != nil {
		t.Fatal(err)
	}
	p.Stop()
	select {
	case <-p.Exited():
	default:
		t.Fatal("Stop returned before the process exited")
	}
	for time.Now().Before(deadline) {
		if syscall.Kill(child, 0) != nil {
			return // gone
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("child %d still running", child)
}
