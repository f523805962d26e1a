package runner

import (
	"path/filepath"

	"github.com/fleetsim/fleetsim/sim/scenarios"
)

// scenarioDir is where relative paths of the scenario resolve.
func scenarioDir(sc *scenarios.Scenario) string {
	if sc.File == "" {
		return "."
	}
	return filepath.Dir(sc.File)
}
