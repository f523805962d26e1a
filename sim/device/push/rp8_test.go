package push

import (
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/rtmp"
)

// metaVectors are the RP8 control objects: the SendMetadata arguments and
// the fields the cloud reads (the SDK's names, `tigger_type` [sic]).
var metaVectors = []struct {
	name   string
	typ    MetaType
	wp, lp int64
	key    string
	want   map[string]any // nil: refused
}{
	{"start-human", MetaStreamStart, 0, 1700000000123, "", map[string]any{"type": 0.0, "tigger_type": 0.0, "media_timestamp": amf0.Date{Millis: 1700000000123}}},
	{"start-move", MetaStreamStart, 4, 5, "", map[string]any{"type": 0.0, "tigger_type": 4.0}},
	{"start-live-web", MetaStreamStart, 104, 5, "", map[string]any{"tigger_type": 104.0}},
	{"start-reserved", MetaStreamStart, 5, 0, "", nil},
	{"start-99", MetaStreamStart, 99, 0, "", nil},
	{"start-106", MetaStreamStart, 106, 0, "", nil},
	{"start-unknown", MetaStreamStart, -1, 0, "", nil},
	{"end", MetaStreamEnd, 10000, 1700000010000, "", map[string]any{"type": 1.0, "alarm_time": 10000.0, "media_timestamp": amf0.Date{Millis: 1700000010000}}},
	{"end-negative", MetaStreamEnd, -5, 0, "", nil},
	{"video-aes-key", MetaVideoEncrypt, 1, 0, "vavakey", map[string]any{"type": 2.0, "venctype": 1.0, "vkeyenctype": 1.0, "vencstring": "vavakey", "skipbytes": 0.0}},
	{"audio-aes-all", MetaAudioEncrypt, 2, 0, "k", map[string]any{"type": 3.0, "aenctype": 2.0, "aencstring": "k"}},
	{"video-none", MetaVideoEncrypt, 0, 0, "", map[string]any{"venctype": 0.0, "vkeyenctype": 0.0}},
	{"encrypt-bad-mode", MetaVideoEncrypt, 3, 0, "", nil},
	{"bitrate", MetaBitrate, 32, 512, "", map[string]any{"type": 4.0, "vbitrate": 512.0, "abitrate": 32.0}},
	{"dropped", MetaDroppedFrames, 2, 7, "", map[string]any{"type": 5.0, "vdropframe": 7.0, "adropframe": 2.0}},
	{"disconnect", MetaDisconnect, 3, 0, "", map[string]any{"type": 6.0, "vconnect": 3.0, "aconnect": 3.0}},
	{"trigger-change", MetaTriggerChange, 1, 101, "", map[string]any{"type": 7.0, "old_tigger_type": 1.0, "new_tigger_type": 101.0}},
	{"trigger-change-bad", MetaTriggerChange, 1, 50, "", nil},
	{"image", MetaImageStamp, 0, 42, "", map[string]any{"type": 8.0, "media_timestamp": amf0.Date{Millis: 42}}},
	{"type-9", MetaType(9), 0, 0, "", nil},
}

// TestRP8 encodes every control object, sends it through the RTMP data
// message encoding and reads it back as the ingest does.
func TestRP8(t *testing.T) {
	local := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for _, v := range metaVectors {
		o, err := metaObject(v.typ, v.wp, v.lp, local, v.key)
		if (err == nil) != (v.want != nil) {
			t.Errorf("%s: err %v", v.name, err)
			continue
		}
		if err != nil {
			continue
		}
		m, err := (&rtmp.Data{Name: metaData(o).Name, Args: metaData(o).Args}).Message(1, 0)
		if err != nil {
			t.Fatal(err)
		}
		d, err := rtmp.ParseData(&m)
		if err != nil {
			t.Fatal(err)
		}
		md, ok := d.Metadata()
		if !ok {
			t.Fatalf("%s: not an onMetaData object", v.name)
		}
		if typ, _ := md.Number("type"); MetaType(typ) != v.typ || md[0].Key != "type" {
			t.Errorf("%s: type field %v first %q", v.name, typ, md[0].Key)
		}
		for k, want := range v.want {
			got, ok := md.Get(k)
			if !ok || got != want {
				t.Errorf("%s: %s = %v (%T), want %v", v.name, k, got, got, want)
			}
		}
		if v.typ == MetaStreamStart {
			if tz, _ := md.Number("timezone"); tz != 480 {
				t.Errorf("%s: timezone %v", v.name, tz)
			}
			if md.String("datetime") != "2026-03-01 12:00:00" {
				t.Errorf("%s: datetime %q", v.name, md.String("datetime"))
			}
		}
	}
	for tr := Trigger(-2); tr < 110; tr++ {
		want := (tr >= 0 && tr <= 4) || (tr >= 100 && tr <= 105)
		if tr.Valid() != want || tr.Live() != (tr >= 100 && tr <= 105) {
			t.Errorf("trigger %d: valid %v live %v", tr, tr.Valid(), tr.Live())
		}
	}
	// through the SDK: refused objects are refused by SendMetadata with
	// the invalid-parameter code, and nothing reaches the wire
	r := newRig(t, av.H264, Options{})
	r.connect()
	if err := r.sdk.SendMetadata(r.id, MetaStreamStart, 5, 0); CodeOf(err) != EventInvalidParam {
		t.Errorf("reserved trigger: %v", err)
	}
	for _, v := range metaVectors {
		if v.want == nil || v.typ == MetaStreamStart || v.typ == MetaStreamEnd {
			continue
		}
		if err := r.sdk.sendMeta(r.id, v.typ, v.wp, v.lp, v.key); err != nil {
			t.Errorf("%s: %v", v.name, err)
		}
	}
	r.idle()
	waitFor(t, "recorded", func() bool { return len(wire(t, r.rec.messages())) == 8 })
}
