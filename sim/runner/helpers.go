package runner

import (
	"path/filepath"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/scenarios"
)

func cloudPlanKind(s string) cloudapi.PlanKind { return cloudapi.PlanKind(s) }

// scenarioDir is where relative paths of the scenario resolve.
func scenarioDir(sc *scenarios.Scenario) string {
	if sc.File == "" {
		return "."
	}
	return filepath.Dir(sc.File)
}
