package report

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
)

// Files written by WriteDir.
const (
	FileResults  = "results.jsonl"
	FileJSON     = "report.json"
	FileMarkdown = "report.md"
	FileHTML     = "report.html"
	FileJUnit    = "junit.xml"
)

// WriteDir writes report.json, report.md, report.html and junit.xml into
// dir (created if missing). Each file is written to a temporary name and
// renamed, so a reader never sees half a report.
func WriteDir(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var errs []error
	for _, f := range []struct {
		name  string
		write func(io.Writer, *Report) error
	}{
		{FileJSON, WriteJSON},
		{FileMarkdown, WriteMarkdown},
		{FileHTML, WriteHTML},
		{FileJUnit, WriteJUnit},
	} {
		var buf bytes.Buffer
		if err := f.write(&buf, r); err != nil {
			errs = append(errs, err)
			continue
		}
		path := filepath.Join(dir, f.name)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, os.Rename(tmp, path))
	}
	return errors.Join(errs...)
}
