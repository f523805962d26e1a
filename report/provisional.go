package report

// Provisional builds a report from the windows closed so far, without the
// per-device rows and the end line that only Finish writes. The runner checks
// abort-on-fail thresholds against it while the run goes on; thresholds are
// evaluated as in the final report.
func (a *Accumulator) Provisional() *Report {
	a.tmu.Lock()
	defer a.tmu.Unlock()
	return a.st.build()
}
