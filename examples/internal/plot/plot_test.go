package plot

import "testing"

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{0.13, 0.2}, {3, 5}, {7, 10}, {10, 10}, {0, 1}, {-1, 1},
	} {
		if got := NiceStep(tc.in); got != tc.want {
			t.Errorf("NiceStep(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFormats(t *testing.T) {
	if got := Tick(0.30000000004, 0.1); got != "0.3" {
		t.Errorf("Tick = %q", got)
	}
	if got := Tick(1e-12, 0.5); got != "0.0" {
		t.Errorf("Tick near zero = %q", got)
	}
	if got := Num(2.50001); got != "2.5" {
		t.Errorf("Num = %q", got)
	}
	if got := Esc(`a<b&"c"`); got != "a&lt;b&amp;&#34;c&#34;" {
		t.Errorf("Esc = %q", got)
	}
}
