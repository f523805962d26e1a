package runner

import (
	"fmt"
	"math"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/device"
	"github.com/fleetsim/fleetsim/sim/device/cstorage"
	"github.com/fleetsim/fleetsim/sim/device/firmware"
	"github.com/fleetsim/fleetsim/sim/device/push"
	"github.com/fleetsim/fleetsim/sim/device/source"
	"github.com/fleetsim/fleetsim/sim/scenarios"
	"github.com/fleetsim/fleetsim/sim/units"
)

// This file turns scenario values into component configurations. It holds
// no behaviour of its own: every rule lives in the component it configures.

// mediaProfile maps a scenario profile to the media source's model.
func mediaProfile(p *scenarios.Profile) (source.Profile, error) {
	var out source.Profile
	switch p.Video.Codec {
	case "h264", "":
		out.Video.Codec = av.H264
	case "h265":
		out.Video.Codec = av.H265
	default:
		return out, fmt.Errorf("video codec %q", p.Video.Codec)
	}
	out.Video.Width, out.Video.Height = p.Video.Resolution.Width, p.Video.Resolution.Height
	out.Video.FPS, out.Video.GOP = p.Video.FPS, p.Video.GOP
	out.Video.Bitrate = p.Video.Bitrate
	out.Video.IPRatio = p.Video.IPRatio
	// variance is a relative standard deviation; the source wants the
	// standard deviation of the log of sizes: σ² = ln(1 + cv²)
	cv := float64(p.Video.Variance)
	out.Video.Variance = math.Sqrt(math.Log1p(cv * cv))
	out.Video.MotionBurst = p.Video.MotionBurst
	switch p.Audio.Codec {
	case "aac", "":
		out.Audio = source.AudioConfig{Codec: av.AAC, SampleRate: p.Audio.SampleRate, Channels: 1, Bitrate: p.Audio.Bitrate}
	case "g711a":
		out.Audio = source.AudioConfig{Codec: av.PCMA, Channels: 1}
	case "g711u":
		out.Audio = source.AudioConfig{Codec: av.PCMU, Channels: 1}
	case "none":
	default:
		return out, fmt.Errorf("audio codec %q", p.Audio.Codec)
	}
	return out, nil
}

// cloudStorageConfig maps a profile's cloud-storage SDK and the group's
// firmware policy to the SDK's configuration.
func cloudStorageConfig(p *scenarios.Profile, g *scenarios.Group, d *scenarios.Device, audio av.Codec) cstorage.Config {
	cfg := cstorage.DefaultConfig(d.ID, d.Index)
	sdk := p.SDK
	ch := cstorage.DefaultChannel()
	ch.MaxGopSize = sdk.MaxGopSize
	ch.Format = cloudapi.Format(sdk.Format)
	ch.SliceDuration = sdk.SliceDuration.D()
	ch.IdleTimeout = sdk.IdlePause.D()
	ch.PreRecord = g.PreRecord.D()
	ch.Audio = audio
	switch sdk.EventReport {
	case "video":
		ch.ReportOpt = cstorage.ReportVideo
	case "picture":
		ch.ReportOpt = cstorage.ReportPicture
	case "either":
		ch.ReportOpt = cstorage.ReportVideoOrImage
	}
	if w := sdk.Watermarks; w != nil {
		ch.Watermarks = cstorage.Watermarks{
			Enabled: true,
			Low:     fraction(sdk.MaxGopSize, w.Low),
			Warn:    fraction(sdk.MaxGopSize, w.Warn),
			High:    fraction(sdk.MaxGopSize, w.High),
		}
	} else {
		ch.Watermarks = cstorage.Watermarks{}
	}
	cfg.Channels = make([]cstorage.ChannelConfig, max(1, p.Channels))
	for i := range cfg.Channels {
		cfg.Channels[i] = ch
	}
	cfg.MaxEventID = sdk.MaxEventID
	cfg.UploadTimeout, cfg.ReplyTimeout = sdk.UploadTimeout.D(), sdk.ReplyTimeout.D()
	if g.PlanPoll > 0 {
		cfg.PlanPoll = g.PlanPoll.D()
	}
	cfg.ClockSkew = d.ClockSkew
	cfg.Backfill.Auto = g.Backfill.Enabled
	cfg.Backfill.Rate = g.Backfill.Rate
	cfg.Backfill.Window = sdk.BackfillWindow.D()
	return cfg
}

func fraction(size units.ByteSize, r units.Ratio) units.ByteSize {
	return units.ByteSize(float64(size) * float64(r))
}

// firmwareConfig maps a group's behaviour to the firmware's processes.
func firmwareConfig(g *scenarios.Group, d *scenarios.Device) firmware.Config {
	var fw firmware.Config
	if m := g.Motion; m != nil {
		fw.Motion = firmware.MotionConfig{
			Rate: m.Rate, Duration: m.Duration, Hold: m.Hold.D(), Cap: m.Cap.D(),
			PreRecord: g.PreRecord.D(),
		}
	}
	if lv := g.LiveView; lv != nil {
		fw.LiveView = firmware.LiveViewConfig{Rate: lv.Rate, Duration: lv.Duration}
	}
	if r := g.Reboots; r != nil && r.Rate > 0 {
		fw.Reboots = firmware.OutageConfig{MTBF: r.Rate.MeanInterval(), Down: r.Downtime}
	}
	if w := g.WifiReconnects; w != nil && w.Rate > 0 {
		fw.WiFiDrops = firmware.OutageConfig{MTBF: w.Rate.MeanInterval(), Down: w.Downtime}
	}
	fw.Clock = firmware.ClockConfig{Skew: d.ClockSkew}
	return fw
}

// pushConfig maps a profile's rtmp-push SDK and the group's motion to the
// push SDK's configuration: groups with motion push one segment per event
// with the group's trigger, the others one continuous segment (a base
// station's live push).
func pushConfig(p *scenarios.Profile, g *scenarios.Group, url string) device.PushConfig {
	sdk := p.SDK
	pc := device.PushConfig{
		PoolSize: sdk.PoolSize, MaxConnections: sdk.MaxConnections, Connect: sdk.Connect, URL: url,
		Options:           push.Options{Heartbeat: sdk.Heartbeat.D(), FlushDelay: sdk.FlushDelay.D(), FlushOnVideo: sdk.FlushOnVideo},
		Continuous:        g.Motion == nil,
		ContinuousTrigger: push.TriggerDefault,
	}
	if sdk.HEVC == "legacy" {
		pc.Options.HEVC = flv.HEVCLegacy
	} else {
		pc.Options.HEVC = flv.HEVCEnhanced
	}
	switch sdk.Encryption {
	case "key-frames":
		pc.Encryption = push.EncryptKeyFrame
	case "all":
		pc.Encryption = push.EncryptAll
	}
	if m := g.Motion; m != nil {
		pc.MotionTrigger = map[string]push.Trigger{"human": push.TriggerHuman, "motion": push.TriggerDefault,
			"face": push.TriggerFace, "human-face": push.TriggerHumanAndFace, "move": push.TriggerMoveDetect}[m.Trigger]
	}
	return pc
}

// liveViewConfig maps a profile's live-view settings.
func liveViewConfig(p *scenarios.Profile) device.LiveViewConfig {
	return device.LiveViewConfig{MTU: int(p.LiveView.MTU), ReportInterval: p.LiveView.RTCPInterval.D()}
}

// cloudPlan is the plan the embedded cloud starts a device with.
func cloudPlan(kind cloudapi.PlanKind, freeTrial time.Duration) cloudapi.Plan {
	p := cloudapi.Plan{Kind: kind, Valid: kind != cloudapi.PlanNone, Version: 1}
	if kind == cloudapi.PlanFreeTrial {
		p.Remaining = freeTrial
	}
	return p
}
