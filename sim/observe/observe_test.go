package observe

import "testing"

func TestKindNamesRoundTrip(t *testing.T) {
	for k := KindUnknown + 1; k < kindCount; k++ {
		name := k.String()
		if name == "unknown" {
			t.Errorf("kind %d has no name", k)
			continue
		}
		back, ok := ParseKind(name)
		if !ok || back != k {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", name, back, ok, k)
		}
	}
	if _, ok := ParseKind("nonsense"); ok {
		t.Error("ParseKind accepted nonsense")
	}
}
