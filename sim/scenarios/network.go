package scenarios

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/fleetsim/fleetsim/sim/network"
	"gopkg.in/yaml.v3"
)

// NetworkSpec is one entry under `networks:`: a network.Profile written
// inline, optionally starting from a named profile file
// (scenarios/networks/NAME.yaml) given by Use, whose keys the inline ones
// override:
//
//	home-wifi: {up: {rate: 4mbit, delay: 20ms, jitter: 5ms, loss: 0.2%}}
//	rural:     {use: 4g-rural, up: {loss: 2%}}
//	trace:     {up: {trace: traces/lte-driving.trace, delay: 40ms}}
//
// Trace paths are relative to the scenario file.
type NetworkSpec struct {
	Use             string `yaml:"use" doc:"start from the named profile scenarios/networks/NAME.yaml"`
	network.Profile `yaml:",inline"`
}

func (*NetworkSpec) expected() string {
	return "a link profile mapping (use, up, down, connect, outages, tcp)"
}

// specForm is NetworkSpec without its decoder.
type specForm NetworkSpec

func (s *NetworkSpec) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		if isNull(n) {
			return
		}
		d.errorf(n, path, "found %s; expected %s", found(n), s.expected())
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], resolve(n.Content[i+1]); k.Value == "use" && v != nil && v.Kind == yaml.ScalarNode {
			if p, ok := d.namedNetwork(v, join(path, "use"), v.Value); ok {
				s.Profile = p
			}
		}
	}
	f := specForm(*s)
	d.decodeStruct(n, reflectValue(&f), path)
	*s = NetworkSpec(f)
	d.checkProfile(&s.Profile, path)
}

// namedNetwork loads scenarios/networks/NAME.yaml (searched in the
// decoder's network directories), reporting problems inside it at their own
// file positions, and at n when it does not exist.
func (d *decoder) namedNetwork(n *yaml.Node, path, name string) (network.Profile, bool) {
	if p, ok := d.netCache[name]; ok {
		if p == nil {
			return network.Profile{}, false
		}
		return *p, true
	}
	d.netCache[name] = nil
	if !validName(name) {
		d.errorf(n, path, "found %q; expected the name of a profile in %s", name, strings.Join(d.netDirs, " or "))
		return network.Profile{}, false
	}
	var file string
	var data []byte
	for _, dir := range d.netDirs {
		b, err := os.ReadFile(filepath.Join(dir, name+".yaml"))
		if err == nil {
			file, data = filepath.Join(dir, name+".yaml"), b
			break
		}
	}
	if file == "" {
		d.errorf(n, path, "found %q; expected a network defined under networks or a file NAME.yaml in %s%s", name, strings.Join(d.netDirs, " or "), didYouMean(name, d.knownNetworkFiles()))
		return network.Profile{}, false
	}
	sub := newDecoder(file)
	sub.netDirs = d.netDirs
	sub.baseDir = filepath.Dir(file)
	var prof network.Profile
	root, err := parseYAML(data)
	if err != nil {
		sub.syntaxError(err)
	} else if root != nil {
		sub.decode(root, reflectValue(&prof), "")
		sub.checkProfile(&prof, "")
	}
	d.probs = append(d.probs, sub.probs...)
	if len(sub.probs) > 0 {
		return network.Profile{}, false
	}
	// The value comes from sim/network's own loader (trace paths relative
	// to the profile file); the walk above only placed the diagnostics.
	prof, err = network.LoadProfile(file)
	if err != nil {
		d.probs = append(d.probs, Problem{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "found a profile sim/network rejects (" + err.Error() + "); expected a valid link profile"})
		return network.Profile{}, false
	}
	for _, dir := range []*network.Direction{&prof.Up, &prof.Down} {
		if dir.Trace != "" {
			if abs, err := filepath.Abs(dir.Trace); err == nil {
				dir.Trace = abs
			}
		}
	}
	p := prof
	d.netCache[name] = &p
	return prof, true
}

func (d *decoder) knownNetworkFiles() []string {
	var names []string
	for _, dir := range d.netDirs {
		m, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, f := range m {
			if n := strings.TrimSuffix(filepath.Base(f), ".yaml"); !contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}

var indexRE = regexp.MustCompile(`\[(\d+)\]`)

// checkProfile runs network.Profile.Validate and places each of its
// problems (which name a field path) at that field's node; it also checks
// that trace files exist.
func (d *decoder) checkProfile(p *network.Profile, path string) {
	if err := p.Validate(); err != nil {
		var errs []error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		} else {
			errs = []error{err}
		}
		for _, e := range errs {
			field, msg, ok := strings.Cut(e.Error(), ": ")
			if !ok {
				field, msg = "", e.Error()
			}
			field = indexRE.ReplaceAllString(field, ".$1")
			p := join(path, field)
			d.errorf(d.at(p), p, "%s; expected a link profile sim/network accepts", msg)
		}
	}
	for _, dir := range []struct {
		name  string
		trace string
	}{{"up", p.Up.Trace}, {"down", p.Down.Trace}} {
		if dir.trace == "" {
			continue
		}
		tp := join(path, dir.name+".trace")
		file := dir.trace
		if !filepath.IsAbs(file) {
			file = filepath.Join(d.baseDir, file)
		}
		if st, err := os.Stat(file); err != nil || st.IsDir() {
			d.errorf(d.at(tp), tp, "found %q, which is not a readable file; expected the path of a Mahimahi trace (relative to the scenario file)", dir.trace)
		}
	}
}
