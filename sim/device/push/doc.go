// Package push is the virtual camera's RTMP live-push SDK, in the shape of
// the Sunvalley Cloud Push SDK (shared/reference/sunvalley-cloud-push-sdk-v2.txt,
// DESIGN.md §2.2, rules RP1–RP10):
//
//	sdk := push.New(push.Deps{Clock: clk, Rand: rnd, Sink: sink, Dial: link.Dial})
//	sdk.Initialize(1*units.MiB, 2)                    // RP1
//	sdk.SetTokenServer(tokens)                        // RP2 (cloudapi.Tokens)
//	id, _ := sdk.Connect(url, token, opts, callback)  // or ConnectByDeviceSN, ConnectByDeviceToken, LiveConnect
//	sdk.SendMetadata(id, push.MetaStreamStart, push.TriggerMotion, localMs) // RP4, RP8
//	sdk.SendFrame(id, frame)                          // or SendPacket with Annex-B / ADTS (RP5)
//	sdk.SendMetadata(id, push.MetaStreamEnd, alarmMs, localMs)  // → 0x102 once sent
//	sdk.Close(id); sdk.Uninitialize()
//
// Each connection has one goroutine that connects (every stage reports its
// outcome code, RP3) and then sends: it blocks on the link, never runs
// inside a clock callback and ends with the connection's context. When the
// transport is an operating-system socket, whoever queues a message on an
// idle connection writes it at once with one non-blocking write (direct.go:
// no goroutine handoff per frame); the sender goroutine then only writes
// what the socket did not take, what was queued during another write,
// heartbeats and the close. One write is under way at a time either way,
// and the bytes are the same. Callbacks of one SDK are delivered one at a
// time in the order their causes happened (a re-entrant call from a
// callback queues its own callbacks behind the current one).
//
// Flow control (RP6): every queued message holds its bytes in the SDK's pool
// until the sender has written it. Enqueueing pauses the connection (0x59)
// when the pool's free bytes fall below 150 KiB or the connection's queue
// exceeds half the pool; the sender resumes it (0x58) after a write once the
// free bytes exceed a third of the pool or the queue has drained. While
// paused, frames are dropped (push_paused) and video stays dropped until the
// next IDR after the resume, so the cloud never sees a broken GOP. A
// heartbeat (RTMP ping request) goes out after Heartbeat of idle sending.
//
// Frame accounting (sim/observe): SendFrame observes FrameSent for every
// frame given, and frames that never leave the device get FrameDropped with
// a reason (bad_media, not_connected, push_paused, first_not_idr; frames
// still queued when their connection dies: connection_lost). Frames written
// to a connection that later died are decided by Receipts, the cloud's
// record of the frames it gave a fate: LostGrace after the death, every
// frame written on that connection that the cloud has not accounted is
// FrameLost (connection_lost). While the connection lives, the SDK forgets
// the leading written frames the cloud has accounted, so what it keeps is
// the unacknowledged tail. The grace period must cover the time the ingest
// takes to handle what reached it (2 s of the real clock is ample; tests on
// a fake clock wait for the ingest to end the stream before passing it).
// Without Receipts (a real target) written frames are left to whoever
// watches the cloud and stay in flight otherwise.
//
// The Annex-B/ADTS entry point (SendPacket) splits the access unit into NAL
// units without copying and then runs the same checks as SendFrame, which
// takes av.Frame's NAL units directly: the checks are the same, only the
// framing check differs (start codes vs non-empty NAL units with a valid
// header). Frames given with SendPacket carry no fleetsim sequence and get no
// frame observations.
package push
