package report

import (
	"encoding/json"
	"io"
)

// WriteJSON writes report.json (indented, keys in a stable order).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// ReadJSON reads a report.json.
func ReadJSON(rd io.Reader) (*Report, error) {
	var r Report
	dec := json.NewDecoder(io.LimitReader(rd, 1<<30))
	if err := dec.Decode(&r); err != nil {
		return nil, err
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, &SchemaError{Got: r.SchemaVersion}
	}
	return &r, nil
}

// SchemaError says a report.json has another schema version.
type SchemaError struct{ Got int }

func (e *SchemaError) Error() string {
	return "report.json schema_version " + itoa(e.Got) + ", this fleetsim reads " + itoa(SchemaVersion)
}

func itoa(n int) string { return fmtInt(int64(n)) }
