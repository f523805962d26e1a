// Package fakecloud is an in-memory cloudapi.Storage and cloudapi.Tokens
// for device tests: plans per device and channel that the test changes at
// any time (with versions and long-poll), fault injection (upload errors,
// an offline cloud, slow replies, a per-device uplink bandwidth), and the
// cloud side of frame accounting: every stored slice is parsed and each of
// its frames gets FrameDelivered (latency from its capture time); a storage
// index per device and channel detects overlapping time ranges (CS17) and
// reports them as SliceOverwritten observations and in the receipt.
//
// On a virtual clock the Cloud answers at once and tells the caller, through
// CallDelay, how long the call would have taken (cstorage.VirtualStorage), so
// device and cloud run single-threaded and replay exactly. Blocking() gives
// the same cloud as a plain cloudapi.Storage whose calls wait out their
// delay on the clock, for callers that run each call in its own goroutine.
//
// Frame fates: the cloud emits them only for slices it stores; the frames
// of a refused slice are the device's to account.
package fakecloud
