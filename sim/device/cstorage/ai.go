package cstorage

// AIType is iv_cs_ai_type_e.
type AIType uint32

const (
	AIClose      AIType = 0
	AIFallDetect AIType = 1 << 0
)

type aiKey struct{ ch, id int }

// SetAIProcess is iv_cs_set_ai_process: the cloud AI analysis for an event id.
func (s *SDK) SetAIProcess(ch, id int, t AIType) error {
	const op = "SetAIProcess"
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.op(op, ch); err != nil {
		return err
	}
	if err := s.checkID(op, id); err != nil {
		return err
	}
	if t&^AIFallDetect != 0 {
		return newErr(op, CodeInvalidParam, "ai type %#x", uint32(t))
	}
	if t == AIClose {
		delete(s.ai, aiKey{ch, id})
	} else {
		s.ai[aiKey{ch, id}] = t
	}
	return nil
}

// GetAIProcess is iv_cs_get_ai_process.
func (s *SDK) GetAIProcess(ch, id int) (AIType, error) {
	const op = "GetAIProcess"
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.op(op, ch); err != nil {
		return AIClose, err
	}
	if err := s.checkID(op, id); err != nil {
		return AIClose, err
	}
	return s.ai[aiKey{ch, id}], nil
}
