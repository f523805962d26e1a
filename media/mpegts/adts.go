package mpegts

import "github.com/fleetsim/fleetsim/media/aac"

const adtsHeaderSize = 7

const maxADTSPayload = aac.MaxADTSPayload

// appendADTS appends the ADTS header of an n-byte AAC payload.
func (m *Muxer) appendADTS(dst []byte, n int) []byte {
	// validate checked every field, so this cannot fail.
	dst, _ = aac.AppendADTS(dst, m.cfg.AAC.Object, m.rateIndex, m.cfg.AAC.Channels, n)
	return dst
}
