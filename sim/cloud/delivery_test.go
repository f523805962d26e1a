package cloud

import (
	"context"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// infoParser returns a fixed SliceInfo for every body.
type infoParser struct{ info SliceInfo }

func (p infoParser) ParseSlice(cloudapi.Format, []byte) (SliceInfo, error) { return p.info, nil }

func stamps(dev int, first uint64, n int, capture0 time.Time) []FrameStamp {
	out := make([]FrameStamp, n)
	for i := range out {
		out[i] = FrameStamp{Device: dev, Seq: first + uint64(i), Capture: capture0.Add(time.Duration(i) * 100 * time.Millisecond)}
	}
	return out
}

func TestSliceFrameFates(t *testing.T) {
	now := clock.Epoch().Add(time.Hour)
	cap0 := now.Add(-3 * time.Second)
	mixed := stamps(5, 10, 10, cap0)
	mixed[3].Device = 6 // another device's frame
	mixed[4].Seq = 99   // a stamp that does not match its position
	cases := []struct {
		name                string
		info                SliceInfo
		audio               int
		delivered, rejected int
		reasons             map[string]int
		firstLatency        time.Duration
	}{
		{"all stamped", SliceInfo{VideoFrames: 10, AudioFrames: 15, FirstKeyWithParams: true, Stamps: stamps(5, 10, 10, cap0)},
			15, 25, 0, nil, 3 * time.Second},
		{"mixed", SliceInfo{VideoFrames: 10, FirstKeyWithParams: true, Stamps: mixed},
			0, 8, 2, map[string]int{ReasonWrongDevice: 1, ReasonStampMismatch: 1}, 3 * time.Second},
		{"two unstamped", SliceInfo{VideoFrames: 10, FirstKeyWithParams: true, Stamps: stamps(5, 12, 8, cap0), Unstamped: 2},
			0, 8, 2, map[string]int{ReasonNoStamp: 2}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(now)
			rec := &recorder{}
			c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off", SliceParser: infoParser{tc.info}}, clk, rec)
			cl := newClient(t, c)
			s := cloudapi.SliceUpload{Device: "cam-5", Seq: 1, Format: cloudapi.FormatTS, UTCStart: cap0, UTCEnd: now,
				FrameSeqFirst: 10, FrameSeqLast: 19, AudioFrames: tc.audio, AudioSeqFirst: 20, AudioSeqLast: 20 + uint64(tc.audio) - 1,
				Body: []byte{0x47}}
			if _, err := cl.UploadSlice(context.Background(), s); err != nil {
				t.Fatal(err)
			}
			var del, rej int
			reasons := map[string]int{}
			seen := map[[2]uint64]bool{}
			for _, o := range rec.all() {
				switch o.Kind {
				case observe.FrameDelivered:
					del++
					if o.Stream == observe.Video && o.Seq == 10 && tc.firstLatency != 0 && o.Value != tc.firstLatency {
						t.Errorf("latency of frame 10: %v", o.Value)
					}
					if o.Value <= 0 || o.Value > 4*time.Second {
						t.Errorf("latency %v of %+v", o.Value, o)
					}
				case observe.FrameRejected:
					rej++
					reasons[o.Reason]++
				default:
					continue
				}
				k := [2]uint64{uint64(o.Stream), o.Seq}
				if seen[k] {
					t.Errorf("two fates for %v", k)
				}
				seen[k] = true
				if o.Device != 5 {
					t.Errorf("device %d", o.Device)
				}
			}
			if del != tc.delivered || rej != tc.rejected {
				t.Fatalf("delivered %d rejected %d, want %d %d", del, rej, tc.delivered, tc.rejected)
			}
			for r, n := range tc.reasons {
				if reasons[r] != n {
					t.Fatalf("reasons %v, want %v", reasons, tc.reasons)
				}
			}
		})
	}
}

// TestStampedSlicesEndToEnd: TS and fMP4 slices made by media/mpegts and
// media/fmp4 with stamped frames, uploaded through the HTTP client, parsed
// by MediaSliceParser: every video and audio frame delivered exactly once
// with the latency its stamp gives and the size the camera counted for it
// (av.Frame.Size, what its FrameSent carries), frame by frame and in total.
func TestStampedSlicesEndToEnd(t *testing.T) {
	m := newTestMedia(t)
	for _, format := range []cloudapi.Format{cloudapi.FormatTS, cloudapi.FormatFMP4} {
		t.Run(string(format), func(t *testing.T) {
			arrival := clock.Epoch().Add(20 * time.Second)
			rec := &recorder{}
			c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off"}, clock.NewFake(arrival), rec)
			cl := newClient(t, c)
			var total int
			var sentBytes int64
			sent := map[[2]uint64]int64{} // stream, seq → the frame's size as the camera counts it
			for i := 0; i < 3; i++ {
				first := uint64(i * 30)
				var body []byte
				var af uint64
				var an int
				if format == cloudapi.FormatTS {
					body, af, an = m.ts(t, first, 30, true, stampFor(8))
				} else {
					body, af, an = m.fmp4(t, 8, first, 30)
				}
				s := cloudapi.SliceUpload{Device: "cam-8", Seq: uint64(i), Format: format,
					UTCStart: clock.Epoch().Add(time.Duration(i) * 2 * time.Second), UTCEnd: clock.Epoch().Add(time.Duration(i+1) * 2 * time.Second),
					FrameSeqFirst: first, FrameSeqLast: first + 29, AudioFrames: an, AudioSeqFirst: af, AudioSeqLast: af + uint64(an) - 1, Body: body}
				r, err := cl.UploadSlice(context.Background(), s)
				if err != nil || r.Frames != 30 || r.Overwritten != 0 {
					t.Fatalf("slice %d: %+v %v", i, r, err)
				}
				total += 30 + an
				for k := range 30 {
					seq := first + uint64(k)
					size := int64(m.video(seq, stampFor(8)(seq), clock.Epoch()).Size())
					sent[[2]uint64{uint64(observe.Video), seq}] = size
					sentBytes += size
				}
				for k := range an {
					size := int64(m.audioFrame(af+uint64(k), clock.Epoch()).Size())
					sent[[2]uint64{uint64(observe.Audio), af + uint64(k)}] = size
					sentBytes += size
				}
			}
			var deliveredBytes int64
			seen := map[[2]uint64]bool{}
			for _, o := range rec.all() {
				if o.Kind != observe.FrameDelivered {
					t.Fatalf("unexpected %v %s seq %d", o.Kind, o.Reason, o.Seq)
				}
				k := [2]uint64{uint64(o.Stream), o.Seq}
				if seen[k] || o.Device != 8 {
					t.Fatalf("duplicate or foreign fate %+v", o)
				}
				seen[k] = true
				if o.Size != sent[k] || o.Size == 0 {
					t.Fatalf("%v frame %d delivered with size %d, sent %d", o.Stream, o.Seq, o.Size, sent[k])
				}
				deliveredBytes += o.Size
				if o.Stream == observe.Video {
					if want := 20*time.Second - time.Duration(o.Seq)*time.Second/15; o.Value != want {
						t.Fatalf("frame %d latency %v, want %v", o.Seq, o.Value, want)
					}
				}
			}
			if len(seen) != total {
				t.Fatalf("%d fates, want %d", len(seen), total)
			}
			if deliveredBytes != sentBytes {
				t.Fatalf("%d bytes delivered, %d sent", deliveredBytes, sentBytes)
			}
		})
	}
}
