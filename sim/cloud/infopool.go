package cloud

import "sync"

// infoPool recycles the SliceInfo of streamed slice uploads: its stamps
// and frame sizes are copied out of the verifier for every slice, and at
// 5,000 cameras those copies were a quarter of what the fleet allocated
// in its steady state (bench/README.md, session 12). An info is put back
// after its slice is settled; nothing keeps it (the fates carry copies).
type infoPool struct{ p sync.Pool }

// maxPooledFrames bounds what a pooled info keeps: a long slice's arrays
// (a backfilled hour) go to the collector rather than stay in the pool.
const maxPooledFrames = 4096

func (p *infoPool) get() *SliceInfo {
	if in, ok := p.p.Get().(*SliceInfo); ok {
		return in
	}
	return new(SliceInfo)
}

func (p *infoPool) put(in *SliceInfo) {
	if cap(in.Stamps) > maxPooledFrames || cap(in.VideoSizes) > maxPooledFrames || cap(in.AudioSizes) > maxPooledFrames {
		return
	}
	*in = SliceInfo{Stamps: in.Stamps[:0], VideoSizes: in.VideoSizes[:0], AudioSizes: in.AudioSizes[:0]}
	p.p.Put(in)
}
