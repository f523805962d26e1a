package fmp4

import "github.com/fleetsim/fleetsim/media/av"

// TEMPORARY until media/stamp lands.
type Stamp struct{ Device, Seq uint64 }

func readStamp(c av.Codec, nalus [][]byte) (Stamp, bool) { return Stamp{}, false }
