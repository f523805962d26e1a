package fmp4

import "github.com/fleetsim/fleetsim/media/av"

// AppendInit appends the init segment: ftyp and moov (mvhd, one trak per
// track with its sample entry, mvex/trex).
func (m *Muxer) AppendInit(dst []byte) []byte {
	c := &m.cfg
	dst, ftyp := openBox(dst, "ftyp")
	dst = append(dst, "iso5"...)
	dst = appendU32(dst, 512)
	dst = append(dst, "iso5iso6mp41"...)
	dst = closeBox(dst, ftyp)

	dst, moov := openBox(dst, "moov")
	dst, mvhd := openFullBox(dst, "mvhd", 0, 0)
	dst = appendU32(dst, 0)    // creation_time
	dst = appendU32(dst, 0)    // modification_time
	dst = appendU32(dst, 1000) // timescale
	dst = appendU32(dst, 0)    // duration: unknown, fragmented
	dst = appendU32(dst, 0x00010000)
	dst = appendU16(dst, 0x0100)
	dst = append(dst, make([]byte, 10)...)
	dst = append(dst, unityMatrix[:]...)
	dst = append(dst, make([]byte, 24)...)
	next := uint32(VideoTrackID + 1)
	if c.AAC != nil {
		next = AudioTrackID + 1
	}
	dst = appendU32(dst, next)
	dst = closeBox(dst, mvhd)

	dst = m.appendVideoTrak(dst)
	if c.AAC != nil {
		dst = m.appendAudioTrak(dst)
	}

	dst, mvex := openBox(dst, "mvex")
	dst = appendTrex(dst, VideoTrackID)
	if c.AAC != nil {
		dst = appendTrex(dst, AudioTrackID)
	}
	dst = closeBox(dst, mvex)
	return closeBox(dst, moov)
}

func appendTrex(dst []byte, trackID uint32) []byte {
	dst, trex := openFullBox(dst, "trex", 0, 0)
	dst = appendU32(dst, trackID)
	dst = appendU32(dst, 1) // default_sample_description_index
	dst = appendU32(dst, 0) // default_sample_duration
	dst = appendU32(dst, 0) // default_sample_size
	dst = appendU32(dst, 0) // default_sample_flags
	return closeBox(dst, trex)
}

func appendTkhd(dst []byte, trackID uint32, audio bool, width, height int) []byte {
	dst, tkhd := openFullBox(dst, "tkhd", 0, 3) // enabled, in movie
	dst = appendU32(dst, 0)
	dst = appendU32(dst, 0)
	dst = appendU32(dst, trackID)
	dst = appendU32(dst, 0) // reserved
	dst = appendU32(dst, 0) // duration
	dst = append(dst, make([]byte, 8)...)
	dst = appendU16(dst, 0) // layer
	dst = appendU16(dst, 0) // alternate_group
	if audio {
		dst = appendU16(dst, 0x0100)
	} else {
		dst = appendU16(dst, 0)
	}
	dst = appendU16(dst, 0)
	dst = append(dst, unityMatrix[:]...)
	dst = appendU32(dst, uint32(width)<<16)
	dst = appendU32(dst, uint32(height)<<16)
	return closeBox(dst, tkhd)
}

func appendMdhdHdlr(dst []byte, timescale uint32, handler, name string) []byte {
	dst, mdhd := openFullBox(dst, "mdhd", 0, 0)
	dst = appendU32(dst, 0)
	dst = appendU32(dst, 0)
	dst = appendU32(dst, timescale)
	dst = appendU32(dst, 0)
	dst = appendU16(dst, 0x55C4) // language "und"
	dst = appendU16(dst, 0)
	dst = closeBox(dst, mdhd)
	dst, hdlr := openFullBox(dst, "hdlr", 0, 0)
	dst = appendU32(dst, 0)
	dst = append(dst, handler...)
	dst = append(dst, make([]byte, 12)...)
	dst = append(dst, name...)
	dst = append(dst, 0)
	return closeBox(dst, hdlr)
}

// appendDinfStblTail appends dinf and the empty sample tables around the
// sample description written by entry.
func appendDinfStbl(dst []byte, entry func([]byte) []byte) []byte {
	dst, dinf := openBox(dst, "dinf")
	dst, dref := openFullBox(dst, "dref", 0, 0)
	dst = appendU32(dst, 1)
	dst, url := openFullBox(dst, "url ", 0, 1) // self-contained
	dst = closeBox(dst, url)
	dst = closeBox(dst, dref)
	dst = closeBox(dst, dinf)

	dst, stbl := openBox(dst, "stbl")
	dst, stsd := openFullBox(dst, "stsd", 0, 0)
	dst = appendU32(dst, 1)
	dst = entry(dst)
	dst = closeBox(dst, stsd)
	for _, typ := range []string{"stts", "stsc", "stco"} {
		var b int
		dst, b = openFullBox(dst, typ, 0, 0)
		dst = appendU32(dst, 0)
		dst = closeBox(dst, b)
	}
	dst, stsz := openFullBox(dst, "stsz", 0, 0)
	dst = appendU32(dst, 0)
	dst = appendU32(dst, 0)
	dst = closeBox(dst, stsz)
	return closeBox(dst, stbl)
}

func (m *Muxer) appendVideoTrak(dst []byte) []byte {
	v := &m.cfg.Video
	dst, trak := openBox(dst, "trak")
	dst = appendTkhd(dst, VideoTrackID, false, v.Width, v.Height)
	dst, mdia := openBox(dst, "mdia")
	dst = appendMdhdHdlr(dst, VideoTimescale, "vide", "VideoHandler")
	dst, minf := openBox(dst, "minf")
	dst, vmhd := openFullBox(dst, "vmhd", 0, 1)
	dst = append(dst, make([]byte, 8)...)
	dst = closeBox(dst, vmhd)
	dst = appendDinfStbl(dst, func(dst []byte) []byte {
		entry, rec := "avc1", "avcC"
		if v.Codec == av.H265 {
			entry, rec = "hvc1", "hvcC"
		}
		dst, se := openBox(dst, entry)
		dst = append(dst, 0, 0, 0, 0, 0, 0) // reserved
		dst = appendU16(dst, 1)             // data_reference_index
		dst = append(dst, make([]byte, 16)...)
		dst = appendU16(dst, uint16(v.Width))
		dst = appendU16(dst, uint16(v.Height))
		dst = appendU32(dst, 0x00480000) // 72 dpi
		dst = appendU32(dst, 0x00480000)
		dst = appendU32(dst, 0)
		dst = appendU16(dst, 1) // frame_count
		dst = append(dst, make([]byte, 32)...)
		dst = appendU16(dst, 0x0018)
		dst = appendU16(dst, 0xFFFF)
		dst, rb := openBox(dst, rec)
		dst = append(dst, v.Record...)
		dst = closeBox(dst, rb)
		return closeBox(dst, se)
	})
	dst = closeBox(dst, minf)
	dst = closeBox(dst, mdia)
	return closeBox(dst, trak)
}

func (m *Muxer) appendAudioTrak(dst []byte) []byte {
	a := m.cfg.AAC
	dst, trak := openBox(dst, "trak")
	dst = appendTkhd(dst, AudioTrackID, true, 0, 0)
	dst, mdia := openBox(dst, "mdia")
	dst = appendMdhdHdlr(dst, uint32(a.SampleRate), "soun", "SoundHandler")
	dst, minf := openBox(dst, "minf")
	dst, smhd := openFullBox(dst, "smhd", 0, 0)
	dst = append(dst, 0, 0, 0, 0)
	dst = closeBox(dst, smhd)
	dst = appendDinfStbl(dst, func(dst []byte) []byte {
		dst, se := openBox(dst, "mp4a")
		dst = append(dst, 0, 0, 0, 0, 0, 0)
		dst = appendU16(dst, 1)
		dst = append(dst, make([]byte, 8)...)
		dst = appendU16(dst, uint16(a.Channels))
		dst = appendU16(dst, 16)
		dst = appendU32(dst, 0)
		dst = appendU32(dst, uint32(a.SampleRate)<<16)
		dst = appendEsds(dst, m.asc)
		return closeBox(dst, se)
	})
	dst = closeBox(dst, minf)
	dst = closeBox(dst, mdia)
	return closeBox(dst, trak)
}

// MPEG-4 descriptor tags of esds (ISO/IEC 14496-1).
const (
	tagESDescriptor        = 0x03
	tagDecoderConfig       = 0x04
	tagDecoderSpecificInfo = 0x05
	tagSLConfig            = 0x06
	objectTypeAAC          = 0x40 // Audio ISO/IEC 14496-3
	streamTypeAudio        = 0x05
)

// appendEsds appends the esds box: ES_Descriptor with DecoderConfig
// (AAC, audio stream), DecoderSpecificInfo (the ASC) and SLConfig.
// Every descriptor here is shorter than 128 bytes (the ASC is capped by
// validate), so lengths fit one byte.
func appendEsds(dst []byte, asc []byte) []byte {
	dst, esds := openFullBox(dst, "esds", 0, 0)
	dsi := 2 + len(asc)
	dcd := 2 + 13 + dsi
	esd := 3 + dcd + 3
	dst = append(dst, tagESDescriptor, byte(esd), 0, AudioTrackID, 0)
	dst = append(dst, tagDecoderConfig, byte(dcd-2), objectTypeAAC, streamTypeAudio<<2|1)
	dst = append(dst, 0, 0, 0) // bufferSizeDB
	dst = appendU32(dst, 0)    // maxBitrate
	dst = appendU32(dst, 0)    // avgBitrate
	dst = append(dst, tagDecoderSpecificInfo, byte(len(asc)))
	dst = append(dst, asc...)
	dst = append(dst, tagSLConfig, 1, 2)
	return closeBox(dst, esds)
}
