package network

import (
	"math/rand/v2"
	"time"
)

// Outages is the link-wide schedule of down periods: scheduled windows,
// windows added during the run (timeline "outage"), and random flaps with
// exponential up (mean MTBF) and down (mean MTTR) periods. Flaps are drawn
// from their own random stream in time order, so the schedule does not
// depend on how much traffic asks about it.
type outageSchedule struct {
	windows []span // scheduled and added; unsorted, small
	mtbf    time.Duration
	mttr    time.Duration
	r       *rand.Rand
	flaps   []span // generated flaps, in order
	horizon time.Time
}

type span struct {
	from, to time.Time
	manual   bool // added during the run, kept across profile changes
}

func newOutageSchedule(start time.Time, o Outages, r *rand.Rand) *outageSchedule {
	s := &outageSchedule{r: r, horizon: start}
	s.configure(start, o)
	return s
}

// configure replaces the scheduled windows (relative to start) and the
// flap parameters. Profile changes keep windows added during the run and
// flaps already drawn.
func (s *outageSchedule) configure(start time.Time, o Outages) {
	keep := s.windows[:0]
	for _, w := range s.windows {
		if w.manual {
			keep = append(keep, w)
		}
	}
	s.windows = keep
	for _, w := range o.Scheduled {
		from := start.Add(w.At.D())
		s.windows = append(s.windows, span{from: from, to: from.Add(w.For.D())})
	}
	if s.mtbf <= 0 && s.horizon.Before(start) {
		s.horizon = start
	}
	s.mtbf, s.mttr = o.MTBF.D(), o.MTTR.D()
}

// add takes the link down for d from t.
func (s *outageSchedule) add(t time.Time, d time.Duration) {
	s.windows = append(s.windows, span{from: t, to: t.Add(d), manual: true})
}

// prune forgets windows that ended before t.
func (s *outageSchedule) prune(t time.Time) {
	keep := s.windows[:0]
	for _, w := range s.windows {
		if w.to.After(t) {
			keep = append(keep, w)
		}
	}
	s.windows = keep
	i := 0
	for i < len(s.flaps)-1 && !s.flaps[i].to.After(t) {
		i++
	}
	s.flaps = s.flaps[i:]
}

// downUntil reports whether the link is down at t and, if so, when it
// comes back (the end of the longest chain of overlapping windows).
func (s *outageSchedule) downUntil(t time.Time) (bool, time.Time) {
	end := t
	down := false
	for changed := true; changed; {
		changed = false
		for _, w := range s.windows {
			if !w.from.After(end) && w.to.After(end) {
				end, down, changed = w.to, true, true
			}
		}
		if f, ok := s.flapAt(end); ok {
			end, down, changed = f.to, true, true
		}
	}
	return down, end
}

// flapAt returns the flap covering t, generating flaps up to t.
func (s *outageSchedule) flapAt(t time.Time) (span, bool) {
	if s.mtbf <= 0 || s.mttr <= 0 {
		return span{}, false
	}
	if len(s.flaps) > 64 {
		s.prune(t.Add(-time.Minute))
	}
	for !s.horizon.After(t) {
		up := time.Duration(s.r.ExpFloat64() * float64(s.mtbf))
		down := time.Duration(s.r.ExpFloat64() * float64(s.mttr))
		if down <= 0 {
			down = 1
		}
		from := s.horizon.Add(up)
		s.flaps = append(s.flaps, span{from: from, to: from.Add(down)})
		s.horizon = from.Add(down)
	}
	for i := len(s.flaps) - 1; i >= 0; i-- {
		f := s.flaps[i]
		if !f.from.After(t) {
			if f.to.After(t) {
				return f, true
			}
			break
		}
	}
	return span{}, false
}

// OutageStage drops packets while the link is down.
type OutageStage struct{ s *outageSchedule }

// Apply drops p if the link is down when p reaches it.
func (o OutageStage) Apply(p *Packet) {
	if p.Drop == "" {
		if down, _ := o.s.downUntil(p.At); down {
			p.Drop = DropOutage
		}
	}
}
