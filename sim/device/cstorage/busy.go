package cstorage

// Busy reports whether the SDK still has slices queued or being uploaded,
// backfills included: the runner's grace period at the end of a run waits
// for it to turn false.
func (s *SDK) Busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.chans {
		if len(c.queue) > 0 || c.uploading != nil {
			return true
		}
	}
	return s.bf.active != nil || len(s.bf.queue) > 0
}
