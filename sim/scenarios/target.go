package scenarios

import "github.com/fleetsim/fleetsim/sim/units"

// Target kinds.
const (
	TargetEmbedded = "embedded" // the mock cloud, started inside the run on loopback
	TargetRTMP     = "rtmp"     // an external RTMP ingest (push SDK devices publish to URL)
	TargetHTTP     = "http"     // an external cloud-storage HTTP API at URL
)

// Target is what the fleet talks to.
type Target struct {
	Kind string `yaml:"kind" enum:"embedded,rtmp,http" default:"embedded" doc:"embedded (the mock cloud), rtmp (an external RTMP ingest) or http (an external cloud-storage HTTP API)"`
	// URL is, for rtmp, a template where {device} is replaced by the device
	// id (and {group} by its group), e.g. rtmp://127.0.0.1:1935/live/{device};
	// for http, the API's base URL.
	URL  string `yaml:"url" doc:"rtmp: URL template with {device} (and optionally {group}); http: base URL of the API"`
	Auth Auth   `yaml:"auth" doc:"ingest authentication (RP10)"`
	// Probe is the share of streams played back from the target to measure
	// latency from the stamps (external targets; the embedded cloud verifies
	// every frame itself).
	Probe units.Ratio `yaml:"probe" doc:"share of streams played back from an external target to measure latency"`
}

// Auth is an ingest authentication scheme (RP10). The key never appears in
// a scenario file: it is read from the environment variable KeyEnv.
type Auth struct {
	Scheme string         `yaml:"scheme" enum:"none,kingsoft,tencent,token" default:"none" doc:"none, kingsoft (t/k), tencent (txSecret/txTime) or token"`
	KeyEnv string         `yaml:"key_env" doc:"name of the environment variable holding the key (required unless scheme is none)"`
	TTL    units.Duration `yaml:"ttl" default:"1h" doc:"validity of generated signatures"`
}
