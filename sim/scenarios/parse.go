package scenarios

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds a scenario or network profile file.
const MaxFileSize = 1 << 20

// parseYAML parses one YAML document into its root node (nil when the
// document is empty). A second document in the stream is an error.
func parseYAML(data []byte) (*yaml.Node, error) {
	if len(data) > MaxFileSize {
		return nil, errors.New("file larger than 1 MiB; expected a scenario file")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			return nil, err
		}
		return nil, errors.New("more than one YAML document; expected one scenario per file")
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return nil, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError records a YAML syntax error at its line (yaml.v3 does not
// give the column).
func (d *decoder) syntaxError(err error) {
	msg := err.Error()
	line := 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	d.probs = append(d.probs, Problem{Pos: Pos{File: d.file, Line: line, Col: 1}, Msg: "found invalid YAML (" + msg + "); expected a YAML mapping"})
}
