package anomaly

import (
	"testing"
	"unsafe"
)

// The fields a tree reads per record stay within its first two cache
// lines, and the sampler's entries and the nodes keep their sizes.
func TestTreeLayout(t *testing.T) {
	var tr tree
	if end := unsafe.Offsetof(tr.boxes) + unsafe.Sizeof(tr.boxes); end > 128 {
		t.Errorf("the per-record fields end at byte %d, beyond two lines", end)
	}
	for _, f := range []struct {
		name string
		off  uintptr
	}{
		{"root", unsafe.Offsetof(tr.root)}, {"capacity", unsafe.Offsetof(tr.capacity)},
		{"size", unsafe.Offsetof(tr.size)}, {"rng", unsafe.Offsetof(tr.rng)},
		{"bound", unsafe.Offsetof(tr.bound)}, {"boundSeq", unsafe.Offsetof(tr.boundSeq)},
		{"boundBase", unsafe.Offsetof(tr.boundBase)}, {"leafPoint", unsafe.Offsetof(tr.leafPoint)},
		{"nodes", unsafe.Offsetof(tr.nodes)},
	} {
		if f.off >= unsafe.Offsetof(tr.boxes) {
			t.Errorf("%s at byte %d, after the boxes", f.name, f.off)
		}
	}
	if s := unsafe.Sizeof(node{}); s != 16 {
		t.Errorf("a node takes %d bytes, want 16", s)
	}
	if s := unsafe.Sizeof(sample{}); s != 16 {
		t.Errorf("a sample takes %d bytes, want 16", s)
	}
	// A tree is allocated alone, in a size class of a multiple of 64 bytes
	// (on 64-bit platforms), so its first two lines are two cache lines.
	if unsafe.Sizeof(uintptr(0)) != 8 {
		return
	}
	f, err := NewForest(1, &Options{Trees: 8})
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range f.trees {
		if a := uintptr(unsafe.Pointer(tr)) % 64; a != 0 {
			t.Errorf("tree %d at %d bytes past a 64-byte boundary", i, a)
		}
	}
}
