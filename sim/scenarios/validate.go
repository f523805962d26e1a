package scenarios

import (
	"net"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
	"gopkg.in/yaml.v3"
)

// validate checks what the decoder cannot see one value at a time:
// references between sections, combinations and limits.
func (d *decoder) validate(s *Scenario, opt Options) {
	if d.ok("duration") && d.has("duration") && s.Duration <= 0 {
		d.errorf(d.at("duration"), "duration", "found %s; expected a duration above 0s", d.lit("duration"))
	}
	d.validateTarget(s, opt)
	for name, spec := range s.Networks {
		if spec == nil {
			d.errorf(d.at(join("networks", name)), join("networks", name), "found nothing; expected a link profile (use {} for a perfect link)")
		}
	}
	for _, name := range sortedKeys(s.Profiles) {
		p := s.Profiles[name]
		if p == nil {
			d.errorf(d.at(join("profiles", name)), join("profiles", name), "found nothing; expected a device profile (use {} for the defaults)")
			continue
		}
		d.validateProfile(p, join("profiles", name))
	}
	d.validateFleet(s)
	d.validateRamp(s)
	for i, e := range s.Timeline {
		d.validateEvent(s, e, join("timeline", strconv.Itoa(i)))
	}
	var groups []string
	for _, g := range s.Fleet {
		if g != nil {
			groups = append(groups, g.Name)
		}
	}
	for _, th := range s.Thresholds {
		p := join("thresholds", th.Metric)
		if rest, ok := strings.CutPrefix(th.Metric, "groups."); ok {
			if name := groupPrefix(rest, groups); name == "" {
				g, _, _ := strings.Cut(rest, ".")
				d.errorf(d.keys[p], p, "found group %q in the key; expected a group of the fleet (%s)%s", g, oneOf(groups), didYouMean(g, groups))
				continue
			}
		}
		if opt.KnownMetric != nil && !opt.KnownMetric(th.Metric) {
			d.errorf(d.keys[p], p, "found unknown report key %q; expected a key of report.json such as latency_ms.ingest.p99, frames.loss_ratio or groups.NAME.frames.loss_ratio (DESIGN.md §6)", th.Metric)
			continue
		}
		if opt.CheckThreshold != nil {
			if err := opt.CheckThreshold(th.Metric, th.Condition); err != nil {
				n := d.values[join(p, "condition")]
				if n == nil {
					n = d.values[p]
				}
				d.errorf(n, p, "found %q; expected a condition in the metric's unit (%v)", th.Condition, err)
			}
		}
	}
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (d *decoder) validateTarget(s *Scenario, opt Options) {
	t := &s.Target
	switch t.Kind {
	case "", TargetEmbedded:
		if t.URL != "" {
			d.errorf(d.at("target.url"), "target.url", "found a URL with kind embedded; expected no url (the embedded cloud runs on loopback), or kind rtmp or http")
		}
		if d.has("target.probe") {
			d.errorf(d.keys["target.probe"], "target.probe", "found probe with kind embedded; expected probe only for rtmp or http targets (the embedded cloud verifies every frame)")
		}
	case TargetRTMP, TargetHTTP:
		if !d.has("target.url") {
			d.errorf(d.at("target"), "target", "missing key \"url\"; expected the %s target's URL", t.Kind)
			break
		}
		if d.ok("target.url") {
			d.checkTargetURL(s)
		}
	}
	a := t.Auth
	if a.Scheme != "" && a.Scheme != "none" {
		switch {
		case a.KeyEnv == "":
			d.errorf(d.at("target.auth"), "target.auth", "missing key \"key_env\"; expected the name of the environment variable holding the %s key", a.Scheme)
		case !envNameRE.MatchString(a.KeyEnv):
			d.errorf(d.at("target.auth.key_env"), "target.auth.key_env", "found %q; expected an environment variable name such as INGEST_KEY", a.KeyEnv)
		case opt.Getenv != nil && opt.Getenv(a.KeyEnv) == "":
			d.errorf(d.at("target.auth.key_env"), "target.auth.key_env", "found environment variable %s unset or empty; expected it to hold the %s key", a.KeyEnv, a.Scheme)
		}
	} else if a.KeyEnv != "" {
		d.errorf(d.keys["target.auth.key_env"], "target.auth.key_env", "found key_env with scheme none; expected a scheme (kingsoft, tencent or token) or no key_env")
	}
}

var placeholderRE = regexp.MustCompile(`\{[^}]*\}`)

func (d *decoder) checkTargetURL(s *Scenario) {
	t := &s.Target
	n := d.at("target.url")
	raw := t.URL
	for _, ph := range placeholderRE.FindAllString(raw, -1) {
		if ph != "{device}" && ph != "{group}" {
			d.errorf(n, "target.url", "found placeholder %s; expected only {device} and {group}", ph)
			return
		}
	}
	if t.Kind == TargetRTMP && !strings.Contains(raw, "{device}") {
		d.errorf(n, "target.url", "found %q without {device}; expected a template giving each device its own stream, e.g. rtmp://127.0.0.1:1935/live/{device}", raw)
		return
	}
	u, err := url.Parse(strings.NewReplacer("{device}", "d", "{group}", "g").Replace(raw))
	if err != nil || u.Host == "" {
		d.errorf(n, "target.url", "found %q; expected an absolute URL such as %s", raw, exampleURL(t.Kind))
		return
	}
	schemes := map[string][]string{TargetRTMP: {"rtmp", "rtmps"}, TargetHTTP: {"http", "https"}}[t.Kind]
	if !contains(schemes, u.Scheme) {
		d.errorf(n, "target.url", "found scheme %q; expected %s for a %s target", u.Scheme, oneOf(schemes), t.Kind)
		return
	}
	if !IsLoopback(u.Hostname()) && !s.AllowRemote {
		d.errorf(n, "target.url", "found host %q outside loopback; expected allow_remote: true in the file to aim a fleet at it", u.Hostname())
	}
}

func exampleURL(kind string) string {
	if kind == TargetHTTP {
		return "http://127.0.0.1:8080"
	}
	return "rtmp://127.0.0.1:1935/live/{device}"
}

// IsLoopback reports whether host is loopback: localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var aacRates = []int{8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000}

func (d *decoder) validateProfile(p *Profile, path string) {
	sdkPath := join(path, "sdk")
	kind := p.SDK.Kind
	if kind == "" {
		kind = SDKCloudStorage
	}
	for _, f := range fieldsOf(reflect.TypeFor[SDK]()) {
		fp := join(sdkPath, f.name)
		if k := f.tag.Get("sdk"); k != "" && k != kind && d.has(fp) {
			d.errorf(d.keys[fp], fp, "found %q with sdk kind %s; expected it only with kind %s", f.name, kind, k)
		}
	}
	sdk := &p.SDK
	if kind == SDKCloudStorage {
		if fp := join(sdkPath, "max_gop_size"); d.has(fp) && d.ok(fp) && (sdk.MaxGopSize <= 0 || sdk.MaxGopSize%(4*units.KiB) != 0) {
			d.errorf(d.at(fp), fp, "found %s; expected a positive multiple of 4KiB (CS12)", d.lit(fp))
		}
		for _, k := range []string{"slice_duration", "upload_timeout", "reply_timeout", "idle_pause", "backfill_window"} {
			fp := join(sdkPath, k)
			if d.has(fp) && d.ok(fp) && reflect.ValueOf(*sdk).FieldByIndex(fieldIndex[SDK](k)).Int() <= 0 {
				d.errorf(d.at(fp), fp, "found %s; expected a duration above 0s", d.lit(fp))
			}
		}
		if w := sdk.Watermarks; w != nil && d.ok(join(sdkPath, "watermarks")) {
			wp := join(sdkPath, "watermarks")
			if !(w.Low < w.Warn && w.Warn < w.High) && d.has(join(wp, "high")) {
				d.errorf(d.at(wp), wp, "found low %v, warn %v, high %v; expected low < warn < high", w.Low, w.Warn, w.High)
			}
		}
	} else {
		if fp := join(sdkPath, "pool_size"); d.has(fp) && d.ok(fp) && sdk.PoolSize <= 100*units.KiB {
			d.errorf(d.at(fp), fp, "found %s; expected more than 100KiB (RP1)", d.lit(fp))
		}
		if fp := join(sdkPath, "heartbeat"); d.has(fp) && d.ok(fp) && sdk.Heartbeat <= 0 {
			d.errorf(d.at(fp), fp, "found %s; expected a duration above 0s", d.lit(fp))
		}
		if fp := join(sdkPath, "flush_on_video"); d.has(fp) && d.ok(fp) && sdk.FlushOnVideo && sdk.FlushDelay <= 0 {
			d.errorf(d.at(fp), fp, "found true with flush_delay %v; expected a flush_delay above 0s (without it every message is written at once)", sdk.FlushDelay)
		}
	}
	vp := join(path, "video")
	if fp := join(vp, "bitrate"); d.has(fp) && d.ok(fp) && p.Video.Bitrate <= 0 {
		d.errorf(d.at(fp), fp, "found %s; expected a bit rate above 0", d.lit(fp))
	}
	ap := join(path, "audio")
	switch p.Audio.Codec {
	case "g711a", "g711u":
		if fp := join(ap, "sample_rate"); d.has(fp) && p.Audio.SampleRate != 8000 {
			d.errorf(d.at(fp), fp, "found %d with codec %s; expected 8000 (G.711 is 8 kHz)", p.Audio.SampleRate, p.Audio.Codec)
		}
		if fp := join(ap, "bitrate"); d.has(fp) {
			d.errorf(d.keys[fp], fp, "found bitrate with codec %s; expected none (G.711 is always 64k)", p.Audio.Codec)
		}
	case "none":
		for _, k := range []string{"sample_rate", "bitrate"} {
			if fp := join(ap, k); d.has(fp) {
				d.errorf(d.keys[fp], fp, "found %s with codec none; expected no %s", k, k)
			}
		}
	default:
		if fp := join(ap, "sample_rate"); d.has(fp) && d.ok(fp) && !containsInt(aacRates, p.Audio.SampleRate) {
			d.errorf(d.at(fp), fp, "found %d; expected an AAC sample rate (%s)", p.Audio.SampleRate, intList(aacRates))
		}
		if fp := join(ap, "bitrate"); d.has(fp) && d.ok(fp) && (p.Audio.Bitrate < 8*units.Kbps || p.Audio.Bitrate > 320*units.Kbps) {
			d.errorf(d.at(fp), fp, "found %s; expected an AAC bit rate from 8k to 320k", d.lit(fp))
		}
	}
	if fp := join(path, "live_view.mtu"); d.has(fp) && d.ok(fp) && (p.LiveView.MTU < 576 || p.LiveView.MTU > 9000) {
		d.errorf(d.at(fp), fp, "found %s; expected a packet size from 576B to 9000B", d.lit(fp))
	}
	if fp := join(path, "live_view.rtcp_interval"); d.has(fp) && d.ok(fp) && p.LiveView.RTCPInterval <= 0 {
		d.errorf(d.at(fp), fp, "found %s; expected a duration above 0s", d.lit(fp))
	}
}

func (d *decoder) validateFleet(s *Scenario) {
	if d.has("fleet") && len(s.Fleet) == 0 && d.ok("fleet") {
		d.errorf(d.at("fleet"), "fleet", "found an empty list; expected at least one group")
	}
	seen := map[string]string{}
	total := 0
	var profileNames []string
	for n := range s.Profiles {
		profileNames = append(profileNames, n)
	}
	for i, g := range s.Fleet {
		path := join("fleet", strconv.Itoa(i))
		if g == nil {
			d.errorf(d.at(path), path, "found nothing; expected a group mapping (group, count, profile, …)")
			continue
		}
		if gp := join(path, "group"); d.has(gp) {
			if !validName(g.Name) {
				d.errorf(d.at(gp), gp, "found %q; expected letters, digits, '-' or '_' (it becomes part of device ids)", g.Name)
			} else if prev, dup := seen[g.Name]; dup {
				d.errorf(d.at(gp), gp, "found group %q again (first at %s); expected unique group names", g.Name, prev)
			} else {
				seen[g.Name] = d.pos(d.at(gp)).String()
			}
		}
		total += g.Count
		if pp := join(path, "profile"); d.has(pp) && d.ok(pp) {
			if p, ok := s.Profiles[g.Profile]; !ok {
				d.errorf(d.at(pp), pp, "found %q; expected a profile defined under profiles (%s)%s", g.Profile, oneOf(profileNames), didYouMean(g.Profile, profileNames))
			} else if p != nil {
				d.checkSDKTarget(s, p, pp, g.Profile)
			}
		}
		if np := join(path, "network"); d.has(np) && d.ok(np) {
			d.resolveNetwork(s, np, g.Network)
		}
		d.validateFirmware(s, g, path)
	}
	if total > MaxDevices {
		d.errorf(d.at("fleet"), "fleet", "found %d devices in all; expected at most %d per run (use --shard across machines)", total, MaxDevices)
	}
}

// checkSDKTarget: an external RTMP ingest takes push devices, an external
// HTTP API takes cloud-storage devices; the embedded cloud takes both.
func (d *decoder) checkSDKTarget(s *Scenario, p *Profile, path, name string) {
	kind := p.SDK.Kind
	if kind == "" {
		kind = SDKCloudStorage
	}
	want := map[string]string{TargetRTMP: SDKRTMPPush, TargetHTTP: SDKCloudStorage}[s.Target.Kind]
	if want != "" && kind != want {
		d.errorf(d.at(path), path, "found profile %q with sdk %s; expected a profile with sdk %s for a %s target", name, kind, want, s.Target.Kind)
	}
}

// resolveNetwork checks a network reference: a name under networks, or a
// named profile file, which is then added to s.Networks.
func (d *decoder) resolveNetwork(s *Scenario, path, name string) {
	if _, ok := s.Networks[name]; ok {
		return
	}
	if _, cached := d.netCache[name]; !cached && !d.networkFileExists(name) {
		names := sortedKeys(s.Networks)
		for _, n := range d.knownNetworkFiles() {
			if !contains(names, n) {
				names = append(names, n)
			}
		}
		d.errorf(d.at(path), path, "found %q; expected a network defined under networks or a named profile (%s)%s", name, oneOf(names), didYouMean(name, names))
		return
	}
	if p, ok := d.namedNetwork(d.at(path), path, name); ok {
		if s.Networks == nil {
			s.Networks = map[string]*NetworkSpec{}
		}
		s.Networks[name] = &NetworkSpec{Use: name, Profile: p}
	}
}

func (d *decoder) networkFileExists(name string) bool {
	if !validName(name) {
		return false
	}
	for _, f := range d.knownNetworkFiles() {
		if f == name {
			return true
		}
	}
	return false
}

func (d *decoder) validateFirmware(s *Scenario, g *Group, path string) {
	if m := g.Motion; m != nil {
		mp := join(path, "motion")
		if fp := join(mp, "rate"); d.ok(fp) && d.has(fp) && m.Rate <= 0 {
			d.errorf(d.at(fp), fp, "found %s; expected a rate above 0 (remove motion for none)", d.lit(fp))
		}
		if d.has(join(mp, "hold")) && d.has(join(mp, "cap")) && m.Hold > m.Cap {
			d.errorf(d.at(join(mp, "hold")), join(mp, "hold"), "found hold %v longer than cap %v; expected hold ≤ cap", m.Hold, m.Cap)
		}
		d.nonNegativeDist(m.Duration, join(mp, "duration"))
	}
	for _, o := range []struct {
		key  string
		rate units.Frequency
		dist DurationDist
		set  bool
	}{
		{"live_view", rateOf(g.LiveView), distOf(g.LiveView), g.LiveView != nil},
		{"reboots", occRate(g.Reboots), occDist(g.Reboots), g.Reboots != nil},
		{"wifi_reconnects", occRate(g.WifiReconnects), occDist(g.WifiReconnects), g.WifiReconnects != nil},
	} {
		if !o.set {
			continue
		}
		op := join(path, o.key)
		if fp := join(op, "rate"); d.ok(fp) && d.has(fp) && o.rate <= 0 {
			d.errorf(d.at(fp), fp, "found %s; expected a rate above 0 (remove %s for none)", d.lit(fp), o.key)
		}
		if o.key == "live_view" {
			d.nonNegativeDist(o.dist, join(op, "duration"))
		} else {
			d.nonNegativeDist(o.dist, join(op, "downtime"))
		}
	}
	if fp := join(path, "pre_record"); d.has(fp) && d.ok(fp) && g.PreRecord >= units.Duration(300*time.Second) {
		d.errorf(d.at(fp), fp, "found %s; expected less than 300s (CS8: ≥ 300 means an absolute UTC time)", d.lit(fp))
	}
	rp := join(path, "reconnect")
	if d.has(join(rp, "initial")) && d.has(join(rp, "max")) && g.Reconnect.Initial > g.Reconnect.Max {
		d.errorf(d.at(join(rp, "max")), join(rp, "max"), "found max %v below initial %v; expected initial ≤ max", g.Reconnect.Max, g.Reconnect.Initial)
	}
	if fp := join(path, "backfill.rate"); d.has(fp) && d.ok(fp) && g.Backfill.Rate <= 0 {
		d.errorf(d.at(fp), fp, "found %s; expected a bit rate above 0 (set enabled: false to turn backfill off)", d.lit(fp))
	}
}

func rateOf(s *Sessions) units.Frequency {
	if s == nil {
		return 0
	}
	return s.Rate
}
func distOf(s *Sessions) DurationDist {
	if s == nil {
		return DurationDist{}
	}
	return s.Duration
}
func occRate(o *Occurrences) units.Frequency {
	if o == nil {
		return 0
	}
	return o.Rate
}
func occDist(o *Occurrences) DurationDist {
	if o == nil {
		return DurationDist{}
	}
	return o.Downtime
}

func (d *decoder) nonNegativeDist(x DurationDist, path string) {
	if d.has(path) && d.ok(path) && !x.IsZero() && x.MinValue() < 0 {
		d.errorf(d.at(path), path, "found %v, which can be negative; expected durations ≥ 0s", x)
	}
}

func (d *decoder) validateRamp(s *Scenario) {
	if d.has("ramp.over") && d.has("ramp.rate") {
		d.errorf(d.at("ramp"), "ramp", "found both over and rate; expected one of them")
	}
	if d.has("ramp.over") && d.ok("ramp.over") && d.ok("duration") && s.Duration > 0 && s.Ramp.Over > s.Duration {
		d.errorf(d.at("ramp.over"), "ramp.over", "found %v, longer than the duration %v; expected at most the duration", s.Ramp.Over, s.Duration)
	}
	if d.has("ramp.rate") && d.ok("ramp.rate") && s.Ramp.Rate <= 0 {
		d.errorf(d.at("ramp.rate"), "ramp.rate", "found %s; expected a rate above 0", d.lit("ramp.rate"))
	}
}

func (d *decoder) validateEvent(s *Scenario, e *Event, path string) {
	if e == nil {
		d.errorf(d.at(path), path, "found nothing; expected a timeline entry (at, group, and one action)")
		return
	}
	if ap := join(path, "at"); d.has(ap) && d.ok(ap) && d.ok("duration") && s.Duration > 0 && e.At > s.Duration {
		d.errorf(d.at(ap), ap, "found %v, beyond the duration %v; expected a time within the run", e.At, s.Duration)
	}
	var actions []string
	for _, a := range eventActions {
		if d.has(join(path, a)) {
			actions = append(actions, a)
		}
	}
	switch len(actions) {
	case 0:
		d.errorf(d.at(path), path, "found no action; expected one of %s", oneOf(eventActions))
	case 1:
	default:
		d.errorf(d.keys[join(path, actions[1])], path, "found both %s and %s; expected one action per entry (write two entries at the same time)", actions[0], actions[1])
	}
	gp := join(path, "group")
	if d.has(gp) && d.ok(gp) && s.Group(e.Group) == nil {
		var names []string
		for _, g := range s.Fleet {
			if g != nil {
				names = append(names, g.Name)
			}
		}
		d.errorf(d.at(gp), gp, "found %q; expected a group of the fleet (%s)%s", e.Group, oneOf(names), didYouMean(e.Group, names))
	}
	if fp := join(path, "fraction"); d.has(fp) && d.ok(fp) && e.Fraction <= 0 {
		d.errorf(d.at(fp), fp, "found %s; expected a share above 0%%", d.lit(fp))
	}
	switch {
	case e.Network != nil:
		np := join(path, "network")
		out, prof := d.has(join(np, "outage")), d.has(join(np, "profile"))
		switch {
		case out && prof:
			d.errorf(d.at(np), np, "found both outage and profile; expected one of them")
		case !out && !prof:
			d.errorf(d.at(np), np, "found neither outage nor profile; expected {outage: 30s} or {profile: NAME}")
		case out && d.ok(join(np, "outage")) && e.Network.Outage <= 0:
			d.errorf(d.at(join(np, "outage")), join(np, "outage"), "found %s; expected an outage above 0s", d.lit(join(np, "outage")))
		case prof && d.ok(join(np, "profile")):
			d.resolveNetwork(s, join(np, "profile"), e.Network.Profile)
		}
	case e.Cloud != nil:
		cp := join(path, "cloud")
		if d.has(gp) || d.has(join(path, "fraction")) {
			k := d.keys[gp]
			if k == nil {
				k = d.keys[join(path, "fraction")]
			}
			d.errorf(k, path, "found group or fraction with a cloud fault; expected a cloud entry without them (the cloud is shared)")
		}
		if s.Target.Kind != "" && s.Target.Kind != TargetEmbedded {
			d.errorf(d.keys[cp], cp, "found a cloud fault with a %s target; expected cloud faults only with the embedded target", s.Target.Kind)
		}
		for _, r := range sortedKeys(e.Cloud.ErrorRate) {
			if !contains(CloudRoutes, r) {
				rp := join(cp, "error_rate."+r)
				d.errorf(d.keys[rp], rp, "found route %q; expected %s%s", r, oneOf(CloudRoutes), didYouMean(r, CloudRoutes))
			}
		}
		if len(cloudKeys(d, cp)) == 0 {
			d.errorf(d.at(cp), cp, "found no fault; expected error_rate, latency, refuse_connections, drop_connections, restart, max_connections, bandwidth or clear")
		}
	case e.Plan != nil:
		pp := join(path, "plan")
		set, exp := d.has(join(pp, "set")), d.has(join(pp, "expire"))
		if set == exp {
			d.errorf(d.at(pp), pp, "found %s; expected exactly one of set: {KIND: SHARE…} or expire: true", map[bool]string{true: "both set and expire", false: "neither set nor expire"}[set])
		}
	case e.Clock != nil:
		cp := join(path, "clock")
		cor, step := d.has(join(cp, "correct")), d.has(join(cp, "step"))
		if cor == step {
			d.errorf(d.at(cp), cp, "found %s; expected exactly one of correct: true or step: ±DURATION", map[bool]string{true: "both correct and step", false: "neither correct nor step"}[cor])
		}
	case e.Reboot != nil:
		d.nonNegativeDist(e.Reboot.Downtime, join(path, "reboot.downtime"))
	}
}

func cloudKeys(d *decoder, path string) []string {
	var out []string
	for _, f := range fieldsOf(reflect.TypeFor[CloudFault]()) {
		if f.name != "for" && d.has(join(path, f.name)) {
			out = append(out, f.name)
		}
	}
	return out
}

// fieldIndex is the struct index of T's field with YAML key name.
func fieldIndex[T any](name string) []int {
	for _, f := range fieldsOf(reflect.TypeFor[T]()) {
		if f.name == name {
			return f.index
		}
	}
	panic("scenarios: no field " + name)
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func intList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func sortStrings(s []string) { sort.Strings(s) }

// groupPrefix returns the fleet group that "NAME.KEY" starts with ("" if
// none); group names cannot contain dots, so the first segment is it.
func groupPrefix(rest string, groups []string) string {
	g, _, _ := strings.Cut(rest, ".")
	if contains(groups, g) {
		return g
	}
	return ""
}

// lit is the value at path as written (for messages about checked values).
func (d *decoder) lit(path string) string {
	if n := d.values[path]; n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return "?"
}
