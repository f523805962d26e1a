package flv

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
)

func ffmpeg(t *testing.T, args ...string) {
	t.Helper()
	out, err := testpeer.Run(context.Background(), 2*time.Minute, "ffmpeg", append([]string{"-v", "error", "-y"}, args...)...)
	if err != nil || len(out) > 0 {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

func ffprobeCount(t *testing.T, file, stream string) int {
	t.Helper()
	out, err := testpeer.Run(context.Background(), time.Minute, "ffprobe", "-v", "error", "-count_frames",
		"-select_streams", stream+":0", "-show_entries", "stream=nb_read_frames,codec_name", "-of", "default=nokey=1:noprint_wrappers=1", file)
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) < 2 {
		t.Fatalf("ffprobe output %q", out)
	}
	n, err := strconv.Atoi(lines[1])
	if err != nil {
		t.Fatalf("ffprobe count %q", out)
	}
	return n
}

// TestFFmpegFLVRoundTrip reads FLV files written by ffmpeg (H.264 with AAC,
// G.711 A-law, G.711 µ-law) with our Reader, parses every tag body, builds
// each body again from the parsed values with our builders — byte for byte
// what ffmpeg wrote — and writes them with our Writer; ffprobe then
// decodes our file and counts the same frames.
func TestFFmpegFLVRoundTrip(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	cases := []struct {
		name  string
		audio []string
	}{
		{"h264-aac", []string{"-c:a", "aac", "-ar", "16000", "-ac", "1"}},
		{"h264-pcma", []string{"-c:a", "pcm_alaw", "-ar", "8000", "-ac", "1"}},
		{"h264-pcmu", []string{"-c:a", "pcm_mulaw", "-ar", "8000", "-ac", "1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			theirs := filepath.Join(dir, "theirs.flv")
			args := []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000",
				"-t", "4", "-c:v", "libx264", "-bf", "0", "-g", "30"}
			ffmpeg(t, append(append(args, c.audio...), theirs)...)
			src, err := os.ReadFile(theirs)
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(bytes.NewReader(src))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			w, err := NewWriter(&out, r.Header)
			if err != nil {
				t.Fatal(err)
			}
			var vt VideoTag
			var at AudioTag
			var body []byte
			var video, audio int
			for {
				tag, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				switch tag.Type {
				case TagScript:
					md, err := ParseMetadataBody(tag.Body)
					if err != nil {
						t.Fatal(err)
					}
					if md.Width != 320 || md.Height != 240 || md.VideoCodecID != CodecIDAVC {
						t.Fatalf("ffmpeg's onMetaData %+v", md)
					}
					body, err = AppendMetadataBody(body[:0], md)
					if err != nil {
						t.Fatal(err)
					}
				case TagVideo:
					if err := vt.Unmarshal(tag.Body); err != nil {
						t.Fatal(err)
					}
					switch vt.Packet {
					case PacketSequenceHeader:
						body, err = AppendVideoSequenceHeader(body[:0], vt.Codec, HEVCLegacy, vt.Config)
					case PacketSequenceEnd:
						body, err = AppendVideoSequenceEnd(body[:0], vt.Codec, HEVCLegacy)
					default:
						video++
						f := av.Frame{Codec: vt.Codec, Key: vt.Key, DTS: tag.Timestamp, PTS: tag.Timestamp + vt.CompositionTime, NALUs: vt.NALUs}
						body, err = AppendVideoTagBody(body[:0], &f, HEVCLegacy)
					}
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(body, tag.Body) {
						t.Fatalf("video tag at %v rebuilt differently:\n got %x\nwant %x", tag.Timestamp, head(body), head(tag.Body))
					}
				case TagAudio:
					if err := at.Unmarshal(tag.Body); err != nil {
						t.Fatal(err)
					}
					if at.Packet == PacketSequenceHeader {
						body = AppendAACSequenceHeader(body[:0], at.Config)
					} else {
						audio++
						body, err = AppendAudioTagBody(body[:0], &av.Frame{Codec: at.Codec, Payload: at.Payload})
						if err != nil {
							t.Fatal(err)
						}
					}
					if !bytes.Equal(body, tag.Body) {
						t.Fatalf("audio tag at %v rebuilt differently:\n got %x\nwant %x", tag.Timestamp, head(body), head(tag.Body))
					}
				}
				if err := w.WriteTag(tag.Type, tag.Timestamp, body); err != nil {
					t.Fatal(err)
				}
			}
			ours := filepath.Join(dir, "ours.flv")
			if err := os.WriteFile(ours, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := ffprobeCount(t, ours, "v"); got != video || video != 60 {
				t.Errorf("ffprobe decoded %d video frames of our file, we wrote %d (want 60)", got, video)
			}
			if got, want := ffprobeCount(t, ours, "a"), ffprobeCount(t, theirs, "a"); got != want || got == 0 {
				t.Errorf("ffprobe decoded %d audio frames of our file, %d of ffmpeg's", got, want)
			}
			msg, err := testpeer.Run(context.Background(), time.Minute, "ffmpeg", "-v", "error", "-i", ours, "-f", "null", "-")
			if err != nil || len(msg) > 0 {
				t.Errorf("ffmpeg decoding our file: %v\n%s", err, msg)
			}
			t.Logf("%s: %d video, %d audio tags, %d bytes", c.name, video, audio, out.Len())
		})
	}
}

func head(b []byte) []byte { return b[:min(len(b), 24)] }

// TestHEVCFLV writes real H.265 (libx265) as legacy codec id 12 and as
// Enhanced RTMP hvc1, reads both back, and has ffmpeg decode the H.265
// reassembled from the parsed tags: parameter sets from the parsed
// HEVCDecoderConfigurationRecord, NAL units from the parsed coded frames.
// (ffmpeg 5.1 cannot demux H.265 in FLV itself; 6.1 added Enhanced RTMP.)
func TestHEVCFLV(t *testing.T) {
	testpeer.Require(t, "ffmpeg", "ffprobe")
	dir := t.TempDir()
	es := filepath.Join(dir, "in.hevc")
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", "-t", "2", "-c:v", "libx265",
		"-x265-params", "aud=1:bframes=0:keyint=15:log-level=error", "-f", "hevc", es)
	raw, err := os.ReadFile(es)
	if err != nil {
		t.Fatal(err)
	}
	nalus, err := h264.SplitAnnexB(nil, raw)
	if err != nil {
		t.Fatal(err)
	}
	var frames []av.Frame
	for _, u := range nalus {
		if h265.Type(u) == h265.NALAUD {
			i := len(frames)
			frames = append(frames, av.Frame{Codec: av.H265, Seq: uint64(i), PTS: time.Duration(i) * time.Second / 15, DTS: time.Duration(i) * time.Second / 15})
			continue
		}
		f := &frames[len(frames)-1]
		f.NALUs = append(f.NALUs, u)
		f.Key = f.Key || h265.Type(u).IsIRAP()
	}
	for _, mode := range []HEVCMode{HEVCLegacy, HEVCEnhanced} {
		t.Run(mode.String(), func(t *testing.T) {
			var file bytes.Buffer
			w, err := NewWriter(&file, Header{Video: true})
			if err != nil {
				t.Fatal(err)
			}
			var body []byte
			for i := range frames {
				if i == 0 {
					if body, err = AppendVideoSequenceHeaderFor(body[:0], &frames[0], mode); err != nil {
						t.Fatal(err)
					}
					if err := w.WriteTag(TagVideo, 0, body); err != nil {
						t.Fatal(err)
					}
				}
				if body, err = AppendVideoTagBody(body[:0], &frames[i], mode); err != nil {
					t.Fatal(err)
				}
				if err := w.WriteTag(TagVideo, frames[i].DTS, body); err != nil {
					t.Fatal(err)
				}
			}
			// Read back: sequence header → parameter sets, frames → NAL units.
			r, err := NewReader(&file)
			if err != nil {
				t.Fatal(err)
			}
			var annexB []byte
			var vt VideoTag
			n := 0
			for {
				tag, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := vt.Unmarshal(tag.Body); err != nil {
					t.Fatal(err)
				}
				if vt.Codec != av.H265 || vt.Enhanced != (mode == HEVCEnhanced) {
					t.Fatalf("tag parsed as %v enhanced=%v", vt.Codec, vt.Enhanced)
				}
				if vt.Packet == PacketSequenceHeader {
					dc, err := h265.ParseDecoderConfig(vt.Config)
					if err != nil {
						t.Fatal(err)
					}
					vps, sps, pps := dc.ParameterSets()
					annexB = h264.AppendAnnexB(annexB, vps, sps, pps)
					continue
				}
				if vt.Key != frames[n].Key {
					t.Fatalf("frame %d key=%v", n, vt.Key)
				}
				n++
				annexB = h264.AppendAnnexB(annexB, vt.NALUs...)
			}
			out := filepath.Join(dir, "out-"+mode.String()+".hevc")
			if err := os.WriteFile(out, annexB, 0o644); err != nil {
				t.Fatal(err)
			}
			if got := ffprobeCount(t, out, "v"); got != len(frames) || n != len(frames) {
				t.Fatalf("ffprobe decoded %d frames, parsed %d, wrote %d", got, n, len(frames))
			}
		})
	}
}
