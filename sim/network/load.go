package network

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxProfileBytes bounds a profile file.
const maxProfileBytes = 1 << 20

// ParseProfile decodes one profile document strictly (unknown keys are
// errors, with their line) and validates it. name is used in messages.
func ParseProfile(r io.Reader, name string) (Profile, error) {
	var p Profile
	data, err := io.ReadAll(io.LimitReader(r, maxProfileBytes+1))
	if err != nil {
		return p, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxProfileBytes {
		return p, fmt.Errorf("%s: larger than %d bytes", name, maxProfileBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return p, fmt.Errorf("%s: empty profile", name)
		}
		return p, fmt.Errorf("%s: %w", name, err)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// LoadProfile reads a profile file. Relative trace paths in it are taken
// relative to the file's directory and returned absolute.
func LoadProfile(path string) (Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return Profile{}, err
	}
	defer f.Close()
	p, err := ParseProfile(f, path)
	if err != nil {
		return p, err
	}
	dir := filepath.Dir(path)
	for _, d := range []*Direction{&p.Up, &p.Down} {
		if d.Trace != "" && !filepath.IsAbs(d.Trace) {
			d.Trace = filepath.Join(dir, d.Trace)
			if abs, err := filepath.Abs(d.Trace); err == nil {
				d.Trace = abs
			}
		}
	}
	return p, nil
}

// LoadProfiles reads every *.yaml in dir; a profile's name is its file name
// without the extension. All problems are reported together.
func LoadProfiles(dir string) (map[string]Profile, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	out := map[string]Profile{}
	var errs []error
	for _, f := range files {
		p, err := LoadProfile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = p
	}
	return out, errors.Join(errs...)
}
