package network

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test ends what it starts: no goroutine outlives the package's tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
