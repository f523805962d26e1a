package source

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/stamp"
	"github.com/fleetsim/fleetsim/sim/clock"
)

// Sink receives a device's frames as they are captured. lag is how late the
// generator emitted the frame against its schedule (generator lag, §6).
// Frames are fresh values the sink may keep; their byte slices are shared
// and must not be modified. Calls for one Source never overlap.
type Sink interface {
	Frame(f *av.Frame, lag time.Duration)
}

// Lender is a Sink that keeps nothing of a frame's struct or NAL unit
// list past the call (it copies what it keeps; the bytes the frame refers
// to are never reused and may be kept): its source lends every frame from
// one struct and one list, cleared after each call, so that a steady
// stream allocates nothing but the stamps. LendsFrames reports whether
// the sink wants that.
type Lender interface {
	Sink
	LendsFrames() bool
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(f *av.Frame, lag time.Duration)

func (s SinkFunc) Frame(f *av.Frame, lag time.Duration) { s(f, lag) }

// Source generates the frames of one device on its clock.
type Source struct {
	sh     *Shared
	device uint64
	clk    clock.Clock
	rnd    *rand.Rand
	sink   Sink

	// emit serialises ticks so that sink calls never overlap, even when a
	// clock runs a re-armed timer while the previous callback still runs.
	emit sync.Mutex

	mu       sync.Mutex
	running  bool
	gen      uint64 // bumps on every Start/Stop so that stale ticks do nothing
	origin   time.Time
	vNext    time.Duration // capture time of the next video frame, since origin
	aNext    time.Duration // … of the next audio frame (audio only)
	vIndex   int64         // video frames since origin
	aIndex   int64
	gopIndex int64
	posInGOP int
	forceIDR bool
	motion   bool
	vSeq     uint64
	aSeq     uint64
	// timer is the source's one timer, re-armed for the next frame of
	// either kind: one allocation per source, not one per frame.
	timer clock.Timer

	// blocks the frames are carved from (one allocation each per
	// chunkFrames video frames, and per 2·chunkFrames frames of both
	// streams, instead of several per frame; small, because a recorder
	// keeps frames compactly and drops them: the blocks being filled are
	// most of what a source holds)
	frames []av.Frame
	stamps []byte
	nalus  [][]byte
	// sizing of the nalus chunk: NAL units and access units in the
	// current chunk, the NAL units per chunkFrames access units of the last
	// one, and the longest list of one key and of one other access unit
	// so far
	chunkNALUs     int
	chunkAUs       int
	lastChunkNALUs int
	maxKey, maxP   int

	// lend: the sink is a Lender; every frame is lent, the struct and its
	// NAL unit list reused
	lend      bool
	lent      av.Frame
	lentNALUs [][]byte
}

// chunkFrames is the number of frames of a source's blocks.
const chunkFrames = 4

// New makes the source of one device. device is the stamp's device id (the
// device's index in the fleet plan); rnd the device's own random source.
func New(sh *Shared, device uint64, clk clock.Clock, rnd *rand.Rand, sink Sink) *Source {
	s := &Source{sh: sh, device: device, clk: clk, rnd: rnd, sink: sink}
	if l, ok := sink.(Lender); ok && l.LendsFrames() {
		s.lend = true
	}
	return s
}

// Start begins capture now: the first video frame is an IDR, media
// timestamps start at 0. After a Stop, Start begins a new stream (new
// origin, IDR first) while frame sequence numbers keep counting.
func (s *Source) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return
	}
	s.running = true
	s.gen++
	now := s.clk.Now()
	s.origin, s.vNext, s.aNext = now, 0, 0
	s.vIndex, s.aIndex, s.posInGOP = 0, 0, 0
	s.forceIDR = false
	if s.timer == nil {
		s.timer = s.clk.AfterFunc(0, s.tick)
	} else {
		s.timer.Reset(0)
	}
	if ctx.Done() != nil {
		context.AfterFunc(ctx, s.Stop)
	}
}

// Stop ends capture; a pending tick does nothing.
func (s *Source) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return
	}
	s.running = false
	s.gen++
	s.timer.Stop()
}

// RequestKeyFrame makes the next video frame an IDR and restarts the GOP.
func (s *Source) RequestKeyFrame() {
	s.mu.Lock()
	s.forceIDR = true
	s.mu.Unlock()
}

// SetMotion tells the encoder the scene moves (frame sizes burst).
func (s *Source) SetMotion(on bool) {
	s.mu.Lock()
	s.motion = on
	s.mu.Unlock()
}

// Sequences are the next video and audio frame sequence numbers, i.e. how
// many frames were generated so far.
func (s *Source) Sequences() (video, audio uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.vSeq, s.aSeq
}

// tick emits every frame that is due, video and audio in capture order,
// then re-arms the timer for the next one. Late frames are emitted back to
// back, never skipped: a real encoder would have produced them; the lag says
// how late.
//
// The timer is re-armed before the last due frame goes to the sink, so the
// common tick (one frame) takes the source's lock once; a Stop or Start
// during the sink call stops or re-arms the timer itself.
func (s *Source) tick() {
	s.emit.Lock()
	defer s.emit.Unlock()
	s.mu.Lock()
	gen := s.gen
	for s.running && s.gen == gen {
		at := s.clk.Now().Sub(s.origin)
		video := s.nextIsVideo()
		next := s.vNext
		if !video {
			next = s.aNext
		}
		if next > at {
			s.timer.Reset(next - at)
			break
		}
		var f *av.Frame
		if video {
			f = s.nextVideoLocked()
		} else {
			f = s.nextAudioLocked()
		}
		lag := at - next
		more := true
		if after := s.nextDue(); after > at {
			s.timer.Reset(after - at)
			more = false
		}
		s.mu.Unlock()
		s.sink.Frame(f, lag)
		if s.lend {
			// a sink that kept the lent frame finds it empty (and its
			// NAL units nil): a broken promise shows at once
			clear(f.NALUs)
			*f = av.Frame{}
		}
		if !more {
			return
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
}

// nextIsVideo reports whether the next frame in capture order is video.
func (s *Source) nextIsVideo() bool {
	return s.sh.audioInterval <= 0 || !(s.aNext < s.vNext)
}

// nextDue is the capture time (since origin) of the next frame of either kind.
func (s *Source) nextDue() time.Duration {
	if s.nextIsVideo() {
		return s.vNext
	}
	return s.aNext
}

func (s *Source) nextVideoLocked() *av.Frame {
	sh := s.sh
	v := sh.Profile.Video
	if s.forceIDR || s.posInGOP >= v.GOP {
		if s.vIndex > 0 || s.posInGOP > 0 {
			s.gopIndex++
		}
		s.posInGOP, s.forceIDR = 0, false
	}
	key := s.posInGOP == 0
	f := s.newFrame()

	pts := time.Duration(s.vIndex) * time.Second / time.Duration(v.FPS)
	capture := s.origin.Add(pts)
	st := len(s.stamps)
	if cap(s.stamps)-st < stamp.Size(v.Codec) {
		s.stamps = make([]byte, 0, chunkFrames*stamp.Size(v.Codec))
		st = 0
	}
	s.stamps = stamp.Append(s.stamps, v.Codec, stamp.New(s.device, s.vSeq, capture))
	sei := s.stamps[st:len(s.stamps):len(s.stamps)]

	pic, size := h264.Picture{GOP: s.gopIndex, Index: s.posInGOP}, s.frameSizeLocked(key)
	var nalus [][]byte
	if s.lend {
		s.lentNALUs, _ = sh.synth.AppendAccessUnit(s.lentNALUs[:0], pic, size, sei)
		nalus = s.lentNALUs
	} else {
		s.reserveNALUs(key)
		start := len(s.nalus)
		s.nalus, _ = sh.synth.AppendAccessUnit(s.nalus, pic, size, sei)
		nalus = s.nalus[start:len(s.nalus):len(s.nalus)]
		s.chunkNALUs += len(nalus)
		s.chunkAUs++
		if key {
			s.maxKey = max(s.maxKey, len(nalus))
		} else {
			s.maxP = max(s.maxP, len(nalus))
		}
	}

	*f = av.Frame{Codec: v.Codec, Seq: s.vSeq, PTS: pts, DTS: pts, Key: key, NALUs: nalus, Capture: capture}
	s.vSeq++
	s.vIndex++
	s.posInGOP++
	s.vNext = time.Duration(s.vIndex) * time.Second / time.Duration(v.FPS)
	return f
}

// reserveNALUs makes room in the NAL unit chunk for the next access unit's
// list: as many slots as the longest list of its kind (key or not) so far
// (a longer one regrows the chunk by append, once per new maximum; frames
// keep their lists). A new chunk holds chunkFrames access units at the
// last chunk's mean, plus the longest list of a non-key one (the first
// guesses: a key frame carries parameter sets, stamp, slice and fillers,
// a P frame stamp, slice and fillers).
func (s *Source) reserveNALUs(key bool) {
	need := max(s.maxP, 1)
	if key {
		need = max(s.maxKey, 1)
	}
	if cap(s.nalus)-len(s.nalus) >= need {
		return
	}
	size := chunkFrames*6 + 8
	if s.chunkAUs > 0 {
		s.lastChunkNALUs = (s.chunkNALUs*chunkFrames + s.chunkAUs - 1) / s.chunkAUs
		s.chunkNALUs, s.chunkAUs = 0, 0
		size = s.lastChunkNALUs + s.maxP
	}
	s.nalus = make([][]byte, 0, max(size, need))
}

// frameSizeLocked draws the size of the next access unit from the model.
func (s *Source) frameSizeLocked(key bool) int {
	sh := s.sh
	v := sh.Profile.Video
	mean := sh.pSize
	if key {
		mean = sh.iSize
	}
	if s.motion {
		mean *= v.MotionBurst
	}
	if v.Variance > 0 {
		// log-normal with the requested mean
		mean *= math.Exp(s.rnd.NormFloat64()*v.Variance - v.Variance*v.Variance/2)
	}
	size := int(mean + 0.5)
	min := sh.minP
	if key {
		min = sh.minKey
	}
	if size < min {
		size = min
	}
	return size
}

func (s *Source) nextAudioLocked() *av.Frame {
	sh := s.sh
	f := s.newFrame()
	rate := time.Duration(sh.Profile.Audio.SampleRate)
	pts := time.Duration(s.aIndex) * time.Duration(sh.audioSamples) * time.Second / rate
	*f = av.Frame{Codec: sh.Profile.Audio.Codec, Seq: s.aSeq, PTS: pts, DTS: pts, Key: true,
		Payload: sh.audio, Capture: s.origin.Add(pts)}
	s.aSeq++
	s.aIndex++
	s.aNext = time.Duration(s.aIndex) * time.Duration(sh.audioSamples) * time.Second / rate
	return f
}

// newFrame carves the next frame (video or audio) from the frame block, or
// is the lent frame.
func (s *Source) newFrame() *av.Frame {
	if s.lend {
		return &s.lent
	}
	if len(s.frames) == 0 {
		s.frames = make([]av.Frame, 2*chunkFrames)
	}
	f := &s.frames[0]
	s.frames = s.frames[1:]
	return f
}
