package scenarios

import (
	"reflect"
	"strconv"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
	"gopkg.in/yaml.v3"
)

// applyDefaults fills every value the file did not give: first the
// default:"…" struct tags (decoded like file text, so they are checked by
// TestDefaultsDecode), then the defaults that depend on other values.
// They are documented in scenarios/README.md and in `fleetsim schema`.
func (d *decoder) applyDefaults(s *Scenario) {
	d.defaultsIn(reflectValue(s), "")
	for _, p := range s.Profiles {
		if p.Video.GOP == 0 {
			p.Video.GOP = 2 * p.Video.FPS // an IDR every 2 s
		}
		switch p.Audio.Codec {
		case "aac":
			if p.Audio.SampleRate == 0 {
				p.Audio.SampleRate = 16000
			}
			if p.Audio.Bitrate == 0 {
				p.Audio.Bitrate = 32 * units.Kbps
			}
		case "g711a", "g711u":
			p.Audio.SampleRate = 8000
			p.Audio.Bitrate = 64 * units.Kbps
		}
	}
}

func (d *decoder) defaultsIn(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			d.defaultsIn(v.Elem(), path)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			if e.Kind() == reflect.Pointer {
				d.defaultsIn(e, join(path, k.String()))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Pointer || v.Type().Elem().Kind() == reflect.Struct {
			for i := 0; i < v.Len(); i++ {
				d.defaultsIn(v.Index(i), join(path, strconv.Itoa(i)))
			}
		}
	case reflect.Struct:
		if v.Addr().Type().Implements(nodeDecoderType) {
			return
		}
		for _, f := range fieldsOf(v.Type()) {
			fv := v.FieldByIndex(f.index)
			p := join(path, f.name)
			if def, ok := f.tag.Lookup("default"); ok && !d.has(p) {
				setDefault(fv, def, p)
			}
			d.defaultsIn(fv, p)
		}
	}
}

// setDefault decodes a default tag's text into v. A default that does not
// decode is a programming error (TestDefaultsDecode guards it).
func setDefault(v reflect.Value, text, path string) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil || len(doc.Content) != 1 {
		panic("scenarios: bad default for " + path + ": " + text)
	}
	sub := newDecoder("default")
	if v.Kind() == reflect.Pointer || v.Kind() == reflect.Struct || v.Kind() == reflect.Map || v.Kind() == reflect.Slice ||
		v.Addr().Type().Implements(nodeDecoderType) || v.Addr().Type().Implements(unmarshalerType) {
		sub.decode(doc.Content[0], v, path)
	} else {
		sub.decodeScalar(doc.Content[0], v, path, "")
	}
	if len(sub.probs) > 0 {
		panic("scenarios: bad default for " + path + ": " + sub.probs[0].String())
	}
}

func unitsDuration(d time.Duration) units.Duration { return units.Duration(d) }
