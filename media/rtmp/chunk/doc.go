// Package chunk implements the RTMP chunk stream (Adobe RTMP 1.0 §5.3): the
// layer that splits messages into chunks of at most the negotiated chunk size,
// compresses chunk headers (formats 0–3), carries extended timestamps, and
// reassembles interleaved chunk streams into messages.
//
// The Writer encodes whole messages into one buffer and hands it to the
// underlying writer in a single Write (per message or per batch), never one
// per chunk. The Reader reassembles messages into pooled buffers without
// allocating per chunk; it applies Set Chunk Size and Abort messages itself
// (and still returns them), bounds message sizes and the number of chunk
// streams, and counts bytes for acknowledgements.
package chunk
