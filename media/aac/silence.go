package aac

import (
	"fmt"

	"github.com/fleetsim/fleetsim/media/h264/bits"
	"github.com/fleetsim/fleetsim/sim/units"
)

// Syntactic element ids (Table 4.85).
const (
	idSCE = 0
	idCPE = 1
	idFIL = 6
	idEND = 7
)

// maxFillCount is the largest cnt one fill_element can carry (15 + 255 − 1).
const maxFillCount = 269

// MinSilentFrameSize is the size of a silent frame without fill: 4 bytes
// for one channel, 7 for two.
func MinSilentFrameSize(channels int) int {
	return (silentElementBits(channels) + 3 + 7) / 8
}

func silentElementBits(channels int) int {
	const ics = 8 + 1 + 2 + 1 + 6 + 1 + 3 // global_gain, ics_info, three absent-tool flags
	if channels == 2 {
		return 3 + 4 + 1 + 2*ics
	}
	return 3 + 4 + ics
}

// SilentFrame returns one raw AAC-LC access unit (a raw_data_block, no
// ADTS header) of 1024 samples of silence for 1 or 2 channels, exactly size
// bytes long: a single_channel_element or channel_pair_element with max_sfb
// 0 (no spectral data), fill_elements up to the size, and an END element.
// The result is meant to be built once per profile and shared.
func SilentFrame(channels, size int) ([]byte, error) {
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("aac: silent frames for 1 or 2 channels, not %d", channels)
	}
	if min := MinSilentFrameSize(channels); size < min {
		return nil, fmt.Errorf("aac: silent frame of %d bytes is below the minimum %d", size, min)
	}
	if size > MaxADTSPayload {
		return nil, fmt.Errorf("aac: silent frame of %d bytes exceeds %d", size, MaxADTSPayload)
	}
	w := bits.NewWriter(make([]byte, 0, size))
	if channels == 2 {
		w.U(3, idCPE)
		w.U(4, 0)     // element_instance_tag
		w.Flag(false) // common_window
		silentICS(&w)
		silentICS(&w)
	} else {
		w.U(3, idSCE)
		w.U(4, 0)
		silentICS(&w)
	}
	budget := size*8 - 3 // bits left before the END element
	for {
		rem := budget - w.BitLen()
		var cnt int
		switch {
		case rem >= 15+8*15:
			cnt = min(maxFillCount, (rem-15)/8)
		case rem >= 7:
			cnt = min(14, (rem-7)/8)
		default:
			w.U(3, idEND)
			w.AlignZero()
			if len(w.Bytes()) != size {
				return nil, fmt.Errorf("aac: internal: silent frame of %d bytes, want %d", len(w.Bytes()), size)
			}
			return w.Bytes(), nil
		}
		w.U(3, idFIL)
		if cnt >= 15 {
			w.U(4, 15)
			w.U(8, uint64(cnt-15+1))
		} else {
			w.U(4, uint64(cnt))
		}
		if cnt > 0 {
			w.U(4, 0) // extension_type EXT_FILL
			w.U(4, 0) // fill_nibble
			for i := 1; i < cnt; i++ {
				w.U(8, 0xA5) // fill_byte '10100101'
			}
		}
	}
}

func silentICS(w *bits.Writer) {
	w.U(8, 100)   // global_gain (irrelevant: no spectral data)
	w.Flag(false) // ics_reserved_bit
	w.U(2, 0)     // window_sequence ONLY_LONG_SEQUENCE
	w.U(1, 0)     // window_shape
	w.U(6, 0)     // max_sfb
	w.Flag(false) // predictor_data_present
	w.Flag(false) // pulse_data_present
	w.Flag(false) // tns_data_present
	w.Flag(false) // gain_control_data_present
}

// FrameSize returns the bytes per 1024-sample frame that make bitrate at
// sampleRate, rounded to the nearest byte.
func FrameSize(bitrate units.Bitrate, sampleRate int) int {
	if sampleRate <= 0 || bitrate <= 0 {
		return 0
	}
	return int((int64(bitrate)*SamplesPerFrame + int64(sampleRate)*4) / (int64(sampleRate) * 8))
}
