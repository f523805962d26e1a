package report

import (
	"testing"
	"unsafe"
)

// TestDeviceStateLayout: the fields every frame's observations touch are
// on the record's first cache line, and records are two lines long (so
// that an array of them keeps each first line whole).
func TestDeviceStateLayout(t *testing.T) {
	var d deviceState
	if n := unsafe.Sizeof(d); n != 128 {
		t.Fatalf("deviceState is %d bytes, want 128", n)
	}
	for name, end := range map[string]uintptr{
		"group":     unsafe.Offsetof(d.group) + unsafe.Sizeof(d.group),
		"sent":      unsafe.Offsetof(d.sent) + unsafe.Sizeof(d.sent),
		"delivered": unsafe.Offsetof(d.delivered) + unsafe.Sizeof(d.delivered),
		"latMaxUS":  unsafe.Offsetof(d.latMaxUS) + unsafe.Sizeof(d.latMaxUS),
		"fates":     unsafe.Offsetof(d.fates) + unsafe.Sizeof(d.fates),
	} {
		if end > 64 {
			t.Errorf("%s ends at byte %d, past the first cache line", name, end)
		}
	}
}
