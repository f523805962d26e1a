package av

import "unsafe"

// Dict is an immutable table of byte slices that the frames of many
// Packeds share: the NAL units and payloads a synthesiser hands out to
// every camera of a profile (parameter sets, pictures, filler units, a
// constant audio payload). A Packed given a Dict stores a unit found in it
// as a reference only (no copy, no entry of its own), and the lookup runs
// in a table every camera reads, so it stays in cache across a fleet.
// Units are found by identity (backing array and length). Safe for
// concurrent use.
type Dict struct {
	units [][]byte
	index []uint32 // open addressing: unit index+1, 0 empty; load ≤ 1/2
}

// MaxDictUnits bounds a Dict (references keep 30 bits for the index).
const MaxDictUnits = 1 << 20

// NewDict returns the Dict of units (repeats are held once; units beyond
// MaxDictUnits are left out). The slices are kept, not copied, and must
// not change.
func NewDict(units [][]byte) *Dict {
	d := &Dict{}
	n := 64
	for n < 2*min(len(units), MaxDictUnits) {
		n *= 2
	}
	d.index = make([]uint32, n)
	mask := uint32(n - 1)
	for _, u := range units {
		if len(d.units) == MaxDictUnits {
			break
		}
		data := unsafe.SliceData(u)
		h := hashUnit(data, len(u)) & mask
		for ; d.index[h] != 0; h = (h + 1) & mask {
			if v := d.units[d.index[h]-1]; len(v) == len(u) && unsafe.SliceData(v) == data {
				break
			}
		}
		if d.index[h] == 0 {
			d.units = append(d.units, u)
			d.index[h] = uint32(len(d.units))
		}
	}
	return d
}

// Len is the number of distinct units of d.
func (d *Dict) Len() int { return len(d.units) }

// lookup returns the index of u in d.
func (d *Dict) lookup(u []byte) (uint32, bool) {
	mask := uint32(len(d.index) - 1)
	data := unsafe.SliceData(u)
	for h := hashUnit(data, len(u)) & mask; ; h = (h + 1) & mask {
		e := d.index[h]
		if e == 0 {
			return 0, false
		}
		if v := d.units[e-1]; len(v) == len(u) && unsafe.SliceData(v) == data {
			return e - 1, true
		}
	}
}
