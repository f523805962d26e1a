package scenarios

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/fleetsim/fleetsim/sim/network"
	"github.com/fleetsim/fleetsim/sim/units"
)

const readmePath = "../../scenarios/README.md"

const (
	refBegin = "<!-- BEGIN REFERENCE: generated from sim/scenarios by `go test ./sim/scenarios -run TestReadmeReference -update` -->"
	refEnd   = "<!-- END REFERENCE -->"
)

// The key reference in scenarios/README.md is generated from the Go types
// (yaml, doc, default, enum, min, max tags), so it lists every key with its
// unit and default and cannot drift; -update rewrites it.
func TestReadmeReference(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, refBegin), strings.Index(s, refEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the reference markers", readmePath)
	}
	gen := refBegin + "\n" + reference() + refEnd
	if *update {
		s = s[:i] + gen + s[j+len(refEnd):]
		if err := os.WriteFile(readmePath, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	// sim/network's field comments may change without this package: rows
	// of link sections are compared without their meaning column.
	if stripNetworkDocs(s[i:j+len(refEnd)]) != stripNetworkDocs(gen) {
		t.Errorf("%s reference is stale: run go test ./sim/scenarios -run TestReadmeReference -update", readmePath)
	}
}

func stripNetworkDocs(ref string) string {
	lines := strings.Split(ref, "\n")
	inNet := false
	for i, l := range lines {
		if strings.HasPrefix(l, "#### ") {
			inNet = strings.HasPrefix(l, "#### networks.NAME") || strings.HasPrefix(l, "#### timeline[].network")
		}
		if inNet && strings.HasPrefix(l, "| `") {
			if k := strings.LastIndex(strings.TrimSuffix(l, " |"), " | "); k > 0 {
				lines[i] = l[:k]
			}
		}
	}
	return strings.Join(lines, "\n")
}

type refSection struct {
	title string
	typ   reflect.Type
	note  string
}

// networkDocs reads the field comments of sim/network's profile types from
// their source, so the reference explains link keys in that package's words.
func networkDocs() map[string]string {
	out := map[string]string{}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../network/profile.go", nil, parser.ParseComments)
	if err != nil {
		return out
	}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return true
		}
		for _, fl := range st.Fields.List {
			text := fl.Doc.Text()
			if text == "" {
				text = fl.Comment.Text()
			}
			text = strings.Join(strings.Fields(text), " ")
			if m := sentenceEnd.FindStringIndex(text); m != nil {
				text = text[:m[0]+1]
			}
			for _, name := range fl.Names {
				t := strings.TrimPrefix(text, name.Name+" ")
				for _, verb := range []string{"is ", "are "} {
					t = strings.TrimPrefix(t, verb)
				}
				if t != "" {
					t = strings.ToUpper(t[:1]) + t[1:]
				}
				out[ts.Name.Name+"."+name.Name] = t
			}
		}
		return false
	})
	return out
}

var sentenceEnd = regexp.MustCompile(`\. [A-Z]`)

func reference() string {
	netDocs := networkDocs()
	sections := []refSection{
		{"Top level", reflect.TypeFor[Scenario](), ""},
		{"target", reflect.TypeFor[Target](), ""},
		{"target.auth", reflect.TypeFor[Auth](), ""},
		{"networks.NAME", reflect.TypeFor[NetworkSpec](), "A link profile of sim/network (`go doc ./sim/network Profile`); `use` starts from scenarios/networks/NAME.yaml and the other keys override it."},
		{"networks.NAME.up / down", reflect.TypeFor[network.Direction](), ""},
		{"networks.NAME.connect", reflect.TypeFor[network.Connect](), ""},
		{"networks.NAME.outages", reflect.TypeFor[network.Outages](), ""},
		{"networks.NAME.tcp", reflect.TypeFor[network.TCP](), ""},
		{"profiles.NAME", reflect.TypeFor[Profile](), ""},
		{"profiles.NAME.video", reflect.TypeFor[Video](), ""},
		{"profiles.NAME.audio", reflect.TypeFor[Audio](), ""},
		{"profiles.NAME.sdk", reflect.TypeFor[SDK](), "Keys marked *cloud-storage* or *rtmp-push* are errors with the other kind."},
		{"profiles.NAME.sdk.watermarks", reflect.TypeFor[Watermarks](), ""},
		{"profiles.NAME.live_view", reflect.TypeFor[LiveView](), ""},
		{"fleet[]", reflect.TypeFor[Group](), ""},
		{"fleet[].motion", reflect.TypeFor[Motion](), ""},
		{"fleet[].live_view", reflect.TypeFor[Sessions](), ""},
		{"fleet[].reboots / wifi_reconnects", reflect.TypeFor[Occurrences](), ""},
		{"fleet[].backfill", reflect.TypeFor[Backfill](), ""},
		{"fleet[].reconnect", reflect.TypeFor[Backoff](), ""},
		{"ramp", reflect.TypeFor[Ramp](), ""},
		{"timeline[]", reflect.TypeFor[Event](), "Exactly one of network, cloud, plan, clock, reboot per entry."},
		{"timeline[].network", reflect.TypeFor[network.Change](), "One of outage or profile."},
		{"timeline[].cloud", reflect.TypeFor[CloudFault](), "Embedded target only; no group or fraction."},
		{"timeline[].plan", reflect.TypeFor[PlanChange](), "One of set or expire."},
		{"timeline[].clock", reflect.TypeFor[ClockChange](), "One of correct or step."},
		{"timeline[].reboot", reflect.TypeFor[Reboot](), ""},
		{"distributions (motion durations, clock skews, downtimes)", reflect.TypeFor[distForm](), "Or a single duration: `20s` means always 20 s."},
	}
	var b strings.Builder
	for _, sec := range sections {
		fmt.Fprintf(&b, "\n#### %s\n\n", sec.title)
		if sec.note != "" {
			b.WriteString(sec.note + "\n\n")
		}
		b.WriteString("| key | value | default | meaning |\n|---|---|---|---|\n")
		for _, f := range fieldsOf(sec.typ) {
			def := f.tag.Get("default")
			if def == "" {
				def = "—"
			} else {
				def = "`" + def + "`"
			}
			key := "`" + f.name + "`"
			if f.tag.Get("required") == "true" {
				key += " (required)"
			}
			if k := f.tag.Get("sdk"); k != "" {
				key += " *" + k + "*"
			}
			doc := f.tag.Get("doc")
			if doc == "" && len(f.index) > 0 {
				t := sec.typ
				for _, i := range f.index[:len(f.index)-1] {
					t = t.Field(i).Type
				}
				doc = netDocs[t.Name()+"."+t.Field(f.index[len(f.index)-1]).Name]
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", key, valueText(f), def, strings.ReplaceAll(doc, "|", "\\|"))
		}
	}
	b.WriteString("\n")
	return b.String()
}

func valueText(f field) string {
	if e := f.tag.Get("enum"); e != "" {
		return strings.ReplaceAll(e, ",", " \\| ")
	}
	t := f.typ
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	rng := ""
	if lo, hi := f.tag.Get("min"), f.tag.Get("max"); lo != "" || hi != "" {
		rng = " " + strings.Trim(lo+"–"+hi, "–")
	}
	switch t {
	case reflect.TypeFor[units.Bitrate]():
		return "bit rate (`512k`, `4mbit`)"
	case reflect.TypeFor[units.ByteSize]():
		return "size (`800KiB`, `1MiB`, `1200B`)"
	case reflect.TypeFor[units.Ratio]():
		return "ratio (`0.2%`, `0.002`)"
	case reflect.TypeFor[units.Duration]():
		return "duration (`20ms`, `10s`, `2d`)"
	case reflect.TypeFor[units.Frequency]():
		return "frequency (`6/h`, `0.5/s`)"
	case reflect.TypeFor[Offset]():
		return "signed duration (`-5s`, `+2m`)"
	case reflect.TypeFor[DurationDist]():
		return "distribution (see below)"
	case reflect.TypeFor[PlanMix]():
		return "plan mix (`{event: 80%, full-time: 20%}`)"
	case reflect.TypeFor[Thresholds]():
		return "mapping of report keys to conditions"
	case reflect.TypeFor[Resolution]():
		return "`WIDTHxHEIGHT`"
	case reflect.TypeFor[network.Distribution]():
		return "uniform \\| normal \\| pareto \\| paretonormal"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "true \\| false"
	case reflect.Int, reflect.Int64:
		return "integer" + rng
	case reflect.Uint64:
		return "integer ≥ 0"
	case reflect.Float64:
		return "number" + rng
	case reflect.Struct:
		return "mapping"
	case reflect.Map:
		return "mapping of names"
	case reflect.Slice:
		return "list"
	}
	return t.String()
}
