package cstorage

import (
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/units"
)

// MaxChannels is CS_CH_NUM: a device has at most three cloud-storage channels.
const MaxChannels = 3

// ReportOption is iv_cs_event_report_opt_e (CS7): what must be uploaded for
// an event to count as reported.
type ReportOption int

const (
	ReportVideo        ReportOption = 0 // CS_EVENT_VIDEO_REQ: at least one slice
	ReportPicture      ReportOption = 1 // CS_EVENT_PIC_REQ: the picture
	ReportVideoOrImage ReportOption = 2 // CS_EVENT_VIDEO_OR_PIC_REQ: either
)

// Watermarks is iv_cs_congestion_ctrl_s (CS13). Each mark is at most
// MaxGopSize; Low ≤ Warn ≤ High.
type Watermarks struct {
	Enabled         bool
	Low, Warn, High units.ByteSize
}

// ChannelConfig is iv_cs_channel_params_s plus the simulator's parameters
// for one channel.
type ChannelConfig struct {
	// MaxGopSize is the send buffer, a multiple of 4 KiB (CS12).
	MaxGopSize units.ByteSize
	Watermarks Watermarks
	Format     cloudapi.Format
	ReportOpt  ReportOption
	// Audio codec and stereo decide the memory model (CS18).
	Audio  av.Codec
	Stereo bool
	// SliceDuration: cut at the first IDR at or after it (CS11). Default 10 s.
	SliceDuration time.Duration
	// IdleTimeout: no data for this long pauses recording (CS15). Default
	// 120 s (the FAQ says 60 s).
	IdleTimeout time.Duration
	// PreRecord is the ring buffer's span (CS8); 0 disables pre-record.
	PreRecord time.Duration
}

// BackfillConfig is the firmware's backfill policy (CS16) that the SDK's
// worker plays.
type BackfillConfig struct {
	// Auto runs the SDK's own backfill worker; when false the firmware calls
	// UploadBackupVideo itself.
	Auto bool
	// Window: a slice older than this can no longer be backfilled (30 min).
	Window time.Duration
	// Rate limits the worker's upload (e.g. 80 KB/s of a 200 KB/s uplink).
	Rate units.Bitrate
	// Chunk is the size sent per step (8 KiB per 100 ms at 80 KB/s).
	Chunk units.ByteSize
	// RetryDelay is the pause before a failed file is restarted.
	RetryDelay time.Duration
}

// Config is iv_cs_init_parm_s plus the simulator's parameters.
type Config struct {
	// Device is the device id the cloud knows; DeviceIndex the index used
	// in observations.
	Device      string
	DeviceIndex int
	// AccountOnReceipt: the cloud reports no frame fates (an external API,
	// not the mock cloud), so the SDK gives them from the cloud's answers —
	// FrameDelivered for the frames of a stored slice (latency: the receipt
	// against the capture), FrameRejected for a slice refused on content.
	AccountOnReceipt bool
	Channels         []ChannelConfig // 1..MaxChannels
	// MaxEventID is the highest event id (the documents say 32 or 16).
	MaxEventID int
	// UploadTimeout and ReplyTimeout are iv_cs_set_trans_time (6000/5000 ms).
	UploadTimeout, ReplyTimeout time.Duration
	// Retries is how many times a failed slice upload is retried before it
	// is handed to backfill; RetryDelay the pause between attempts.
	Retries    int
	RetryDelay time.Duration
	// PlanPoll is how often the SDK asks the cloud for its plans (CS2).
	PlanPoll time.Duration
	// DumpChunk is the size of a DumpFile running chunk (CS16).
	DumpChunk units.ByteSize
	// ClockSkew is the device clock's initial offset from the true clock (CS17).
	ClockSkew time.Duration
	Backfill  BackfillConfig
}

// DefaultChannel returns the documents' sample channel: 800 KiB buffer,
// watermarks 10/40/80 %, TS, video required, AAC mono, 10 s slices, 120 s idle.
func DefaultChannel() ChannelConfig {
	g := 800 * units.KiB
	return ChannelConfig{
		MaxGopSize:    g,
		Watermarks:    Watermarks{Enabled: true, Low: g / 10, Warn: g * 4 / 10, High: g * 8 / 10},
		Format:        cloudapi.FormatTS,
		ReportOpt:     ReportVideo,
		Audio:         av.AAC,
		SliceDuration: 10 * time.Second,
		IdleTimeout:   120 * time.Second,
	}
}

// DefaultConfig returns one default channel and the documents' sample timers.
func DefaultConfig(device string, index int) Config {
	return Config{
		Device:        device,
		DeviceIndex:   index,
		Channels:      []ChannelConfig{DefaultChannel()},
		MaxEventID:    32,
		UploadTimeout: 6000 * time.Millisecond,
		ReplyTimeout:  5000 * time.Millisecond,
		Retries:       2,
		RetryDelay:    time.Second,
		PlanPoll:      30 * time.Second,
		DumpChunk:     64 * units.KiB,
		Backfill: BackfillConfig{
			Auto:       true,
			Window:     30 * time.Minute,
			Rate:       640 * units.Kbps, // 80 KB/s
			Chunk:      8 * kB,
			RetryDelay: 5 * time.Second,
		},
	}
}

// validate checks a Config and reports the first problem.
func (c *Config) validate() error {
	if len(c.Channels) < 1 || len(c.Channels) > MaxChannels {
		return fmt.Errorf("channels: %d, want 1..%d", len(c.Channels), MaxChannels)
	}
	if c.MaxEventID < 1 {
		return fmt.Errorf("max event id %d, want ≥ 1", c.MaxEventID)
	}
	if c.UploadTimeout <= 0 || c.ReplyTimeout <= 0 {
		return fmt.Errorf("upload/reply timeouts must be non-zero")
	}
	if c.Retries < 0 || c.RetryDelay < 0 {
		return fmt.Errorf("retries %d, retry delay %v", c.Retries, c.RetryDelay)
	}
	if c.PlanPoll <= 0 {
		return fmt.Errorf("plan poll interval %v, want > 0", c.PlanPoll)
	}
	if c.DumpChunk <= 0 {
		return fmt.Errorf("dump chunk %v, want > 0", c.DumpChunk)
	}
	if b := c.Backfill; b.Auto && (b.Window <= 0 || b.Rate <= 0 || b.Chunk <= 0 || b.RetryDelay <= 0) {
		return fmt.Errorf("backfill: window, rate, chunk and retry delay must be > 0")
	}
	for i, ch := range c.Channels {
		if ch.MaxGopSize <= 0 || ch.MaxGopSize%(4*units.KiB) != 0 {
			return fmt.Errorf("channel %d: max gop size %d is not a positive multiple of 4 KiB", i, ch.MaxGopSize)
		}
		if w := ch.Watermarks; w.Enabled {
			if w.Low <= 0 || w.Low > w.Warn || w.Warn > w.High || w.High > ch.MaxGopSize {
				return fmt.Errorf("channel %d: watermarks %v/%v/%v must rise and stay ≤ max gop size %v", i, w.Low, w.Warn, w.High, ch.MaxGopSize)
			}
		}
		if ch.Format != cloudapi.FormatTS && ch.Format != cloudapi.FormatFMP4 {
			return fmt.Errorf("channel %d: format %q, want ts or fmp4", i, ch.Format)
		}
		if ch.ReportOpt < ReportVideo || ch.ReportOpt > ReportVideoOrImage {
			return fmt.Errorf("channel %d: report option %d", i, ch.ReportOpt)
		}
		if ch.SliceDuration <= 0 || ch.IdleTimeout <= 0 || ch.PreRecord < 0 {
			return fmt.Errorf("channel %d: slice duration, idle timeout must be > 0, pre-record ≥ 0", i)
		}
	}
	return nil
}
