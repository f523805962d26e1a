package push

import "fmt"

// Event is a callback event type (E_SV_EVENT_TYPE), whose numeric values are
// the SDK's outcome codes.
type Event int

// Events of the reference document (2.5.2).
const (
	EventNone            Event = 0x00
	EventInvalidURL      Event = 0x01
	EventDNSFailed       Event = 0x02
	EventSocketFailed    Event = 0x03
	EventHandshakeFailed Event = 0x04
	EventConnectApp      Event = 0x05
	EventPublishFailed   Event = 0x06
	EventSetTimeout      Event = 0x07
	EventClose           Event = 0x08
	EventConnectSuccess  Event = 0x09
	EventInvalidParam    Event = 0x50
	EventADTSError       Event = 0x51
	EventVideoDataError  Event = 0x52
	EventAudioDataError  Event = 0x53
	EventNoSPSPPS        Event = 0x54
	EventBadSPSPPS       Event = 0x55
	EventBadSPS          Event = 0x56
	EventBadPPS          Event = 0x57
	EventResume          Event = 0x58
	EventPause           Event = 0x59
	EventSendThreadExit  Event = 0x60
	EventBadVPS          Event = 0x61
	EventSegmentEnd      Event = 0x102
)

var eventNames = map[Event]string{
	EventNone: "none", EventInvalidURL: "invalid-url", EventDNSFailed: "dns", EventSocketFailed: "socket",
	EventHandshakeFailed: "handshake", EventConnectApp: "connect-app", EventPublishFailed: "publish",
	EventSetTimeout: "timeout", EventClose: "close", EventConnectSuccess: "success",
	EventInvalidParam: "invalid-parameter", EventADTSError: "adts-error", EventVideoDataError: "video-data-error",
	EventAudioDataError: "audio-data-error", EventNoSPSPPS: "no-sps-pps", EventBadSPSPPS: "bad-sps-pps",
	EventBadSPS: "bad-sps", EventBadPPS: "bad-pps", EventResume: "resume", EventPause: "pause",
	EventSendThreadExit: "send-thread-exit", EventBadVPS: "bad-vps", EventSegmentEnd: "segment-end",
}

func (e Event) String() string {
	if n, ok := eventNames[e]; ok {
		return n
	}
	return fmt.Sprintf("event(0x%02x)", int(e))
}

// IsConnectOutcome reports whether e is one of the connect stage outcomes
// (RP3: 0x01–0x07 failures, 0x09 success).
func (e Event) IsConnectOutcome() bool {
	return e >= EventInvalidURL && e <= EventConnectSuccess && e != EventClose
}

// MediaType is E_SV_MEDIA_TYPE.
type MediaType int

// Media types of SendPacket.
const (
	MediaUnknown MediaType = -1
	MediaH264    MediaType = 0 // Annex-B with start codes
	MediaH265    MediaType = 1 // Annex-B with start codes
	MediaMP3     MediaType = 2
	MediaAAC     MediaType = 3 // with ADTS headers
	MediaPrivate MediaType = 4
)

// MetaType is E_SV_METADATA_TYPE (RP8): the `type` field of the AMF0
// control objects.
type MetaType int

// Metadata types.
const (
	MetaStreamStart   MetaType = 0
	MetaStreamEnd     MetaType = 1
	MetaVideoEncrypt  MetaType = 2
	MetaAudioEncrypt  MetaType = 3
	MetaBitrate       MetaType = 4
	MetaDroppedFrames MetaType = 5
	MetaDisconnect    MetaType = 6
	MetaTriggerChange MetaType = 7
	MetaImageStamp    MetaType = 8
)

// Trigger is a push trigger type (E_IPC_TRIGGER_TYPE).
type Trigger int

// Trigger types: 0–4 events, 100–105 live sessions.
const (
	TriggerHuman        Trigger = 0
	TriggerDefault      Trigger = 1 // default: motion detection on HS002
	TriggerFace         Trigger = 2
	TriggerHumanAndFace Trigger = 3
	TriggerMoveDetect   Trigger = 4
	TriggerLiveDebug    Trigger = 100
	TriggerLiveIOS      Trigger = 101
	TriggerLiveAndroid  Trigger = 102
	TriggerLiveAlexa    Trigger = 103
	TriggerLiveWeb      Trigger = 104
	TriggerLiveGoogle   Trigger = 105
)

// Valid reports whether t is a documented trigger type.
func (t Trigger) Valid() bool { return (t >= 0 && t <= 4) || (t >= 100 && t <= 105) }

// Live reports whether t is a live-session trigger (100–105).
func (t Trigger) Live() bool { return t >= 100 && t <= 105 }

// Encrypt is a media encryption mode of the encryption metadata (2.10.2).
type Encrypt int

// Encryption modes.
const (
	EncryptNone     Encrypt = 0
	EncryptKeyFrame Encrypt = 1 // AES on key frames
	EncryptAll      Encrypt = 2 // AES on every frame
)

// Version is what SVCloudPush_API_Version reports.
const Version = "fleetsim SVCloudPush-compatible 2.1.0"
