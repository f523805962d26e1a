package push

import "github.com/fleetsim/fleetsim/media/rtmp/chunk"

// buffers lends the encode buffers of every connection of the process: the
// FLV tag a frame becomes and the RTMP chunks a batch becomes live only
// while the sender writes, so thousands of cameras share a few buffers
// instead of each holding its largest key frame twice (about 190 KB a
// camera at 512 kbps). A pool is not SDK state: it only recycles memory
// (as sim/network's buffers do), and what it lends never outlives a write.
var buffers = chunk.NewBufferPool()

// tagRoom is the FLV tag header and the sequence header's room beyond a
// frame's NAL units and their 4-byte length prefixes.
const tagRoom = 64
