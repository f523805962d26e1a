package units

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// scalar returns the text of a YAML scalar node, or an error naming what
// was found instead.
func scalar(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("expected a %s, found a %s", what, kindName(n.Kind))
	}
	return n.Value, nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	return "scalar"
}

func (r *Bitrate) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "bit rate")
	if err == nil {
		*r, err = ParseBitrate(s)
	}
	return err
}

func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "byte size")
	if err == nil {
		*b, err = ParseByteSize(s)
	}
	return err
}

func (r *Ratio) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "ratio")
	if err == nil {
		*r, err = ParseRatio(s)
	}
	return err
}

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "duration")
	if err == nil {
		*d, err = ParseDuration(s)
	}
	return err
}

func (f *Frequency) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "frequency")
	if err == nil {
		*f, err = ParseFrequency(s)
	}
	return err
}

func (r Bitrate) MarshalText() ([]byte, error)   { return []byte(r.String()), nil }
func (b ByteSize) MarshalText() ([]byte, error)  { return []byte(b.String()), nil }
func (r Ratio) MarshalText() ([]byte, error)     { return []byte(r.String()), nil }
func (d Duration) MarshalText() ([]byte, error)  { return []byte(d.String()), nil }
func (f Frequency) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

func (r *Bitrate) UnmarshalText(b []byte) (err error)   { *r, err = ParseBitrate(string(b)); return }
func (s *ByteSize) UnmarshalText(b []byte) (err error)  { *s, err = ParseByteSize(string(b)); return }
func (r *Ratio) UnmarshalText(b []byte) (err error)     { *r, err = ParseRatio(string(b)); return }
func (d *Duration) UnmarshalText(b []byte) (err error)  { *d, err = ParseDuration(string(b)); return }
func (f *Frequency) UnmarshalText(b []byte) (err error) { *f, err = ParseFrequency(string(b)); return }

// Patterns for JSON Schema ("pattern") of each written form.
const (
	BitratePattern   = `^[0-9]+(\.[0-9]+)?\s*([kKmMgG]?(bit|bps|b|bit/s)?|[kKmMgG])$`
	ByteSizePattern  = `^[0-9]+(\.[0-9]+)?\s*([KMG]i?B|B)?$`
	RatioPattern     = `^[0-9]+(\.[0-9]+)?%?$`
	DurationPattern  = `^([0-9]+(\.[0-9]+)?d)?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))*$`
	FrequencyPattern = `^[0-9]+(\.[0-9]+)?/(s|sec|min|m|h|hour|d|day)$`
)
