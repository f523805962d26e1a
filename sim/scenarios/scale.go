package scenarios

import "fmt"

// ScaleDevices sets the fleet to n devices in all, keeping the groups'
// proportions by the largest-remainder method (ties to the earlier group),
// so the counts sum to n exactly and the result depends only on the file.
func ScaleDevices(s *Scenario, n int) error {
	if n < 1 || n > MaxDevices {
		return fmt.Errorf("found %d devices; expected 1 to %d", n, MaxDevices)
	}
	weights := make([]float64, len(s.Fleet))
	total := 0
	for i, g := range s.Fleet {
		weights[i] = float64(g.Count)
		total += g.Count
	}
	if total == 0 {
		return fmt.Errorf("found a fleet of 0 devices; expected groups with counts to scale")
	}
	for i, c := range largestRemainder(n, weights) {
		s.Fleet[i].Count = c
	}
	return nil
}
