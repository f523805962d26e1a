package h264

import (
	"errors"
	"fmt"

	"github.com/fleetsim/fleetsim/media/h264/bits"
)

// PPS is the leading part of a picture parameter set (ITU-T H.264
// 7.3.2.2): enough to tie it to its SPS and to check it.
type PPS struct {
	ID                 uint32
	SPSID              uint32
	CABAC              bool // entropy_coding_mode_flag
	BottomFieldPOC     bool
	NumSliceGroups     uint32
	NumRefIdxL0Default uint32
	NumRefIdxL1Default uint32
}

// ErrNotPPS is returned when a NAL unit is not a picture parameter set.
var ErrNotPPS = errors.New("h264: not a PPS NAL unit")

// ParsePPS parses the leading fields of a PPS NAL unit.
func ParsePPS(nalu []byte) (PPS, error) {
	var p PPS
	if Type(nalu) != NALPPS {
		return p, ErrNotPPS
	}
	r := bits.NewEBSPReader(nalu[1:])
	id, sps := r.UE(), r.UE()
	p.CABAC = r.Flag()
	p.BottomFieldPOC = r.Flag()
	nsg := r.UE()
	if r.Err() != nil {
		return p, fmt.Errorf("h264: PPS: %w", r.Err())
	}
	if id > 255 || sps > 31 {
		return p, fmt.Errorf("h264: PPS: ids (%d, %d) out of range", id, sps)
	}
	if nsg > 7 {
		return p, fmt.Errorf("h264: PPS: num_slice_groups_minus1 %d > 7", nsg)
	}
	p.ID, p.SPSID, p.NumSliceGroups = uint32(id), uint32(sps), uint32(nsg)+1
	if nsg > 0 {
		// Slice group maps are Baseline-only and never produced here:
		// the ids above are what callers need.
		return p, nil
	}
	l0, l1 := r.UE(), r.UE()
	if r.Err() != nil {
		return p, fmt.Errorf("h264: PPS: %w", r.Err())
	}
	if l0 > 31 || l1 > 31 {
		return p, fmt.Errorf("h264: PPS: num_ref_idx_default_active_minus1 (%d, %d) > 31", l0, l1)
	}
	p.NumRefIdxL0Default, p.NumRefIdxL1Default = uint32(l0)+1, uint32(l1)+1
	return p, nil
}
