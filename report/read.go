package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxLineBytes bounds one results.jsonl line.
const MaxLineBytes = 64 << 20

// Input is one results file to read.
type Input struct {
	Name string // for error messages
	R    io.Reader
}

// LoadResults reads results.jsonl files (one per shard of one run, or a
// single file) and builds their merged report. Histograms merge exactly.
func LoadResults(paths ...string) (*Report, error) {
	var ins []Input
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		ins = append(ins, Input{Name: p, R: f})
	}
	return ReadResults(ins...)
}

// ReadResults is LoadResults over readers.
func ReadResults(ins ...Input) (*Report, error) {
	if len(ins) == 0 {
		return nil, errors.New("report: no results given")
	}
	st := newState(len(ins) > 1)
	for _, in := range ins {
		if err := st.read(in); err != nil {
			return nil, err
		}
	}
	return st.build(), nil
}

// read applies one file's lines. A last line cut short (a killed run) is a
// warning; any other malformed line is an error naming file and line.
func (s *state) read(in Input) error {
	br := bufio.NewReaderSize(in.R, 256<<10)
	var line []byte
	sawRun := false
	ended := false
	for n := 1; ; n++ {
		var err error
		line, err = readLine(br, line[:0])
		if err == io.EOF && len(line) == 0 {
			break
		}
		last := err == io.EOF
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", in.Name, n, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if last {
				break
			}
			continue
		}
		typ, perr := s.applyLine(line, sawRun, ended)
		if perr != nil {
			var se *json.SyntaxError
			if last && (errors.As(perr, &se) || errors.Is(perr, io.ErrUnexpectedEOF)) {
				s.warnings = append(s.warnings, fmt.Sprintf("%s:%d: last line cut short, ignored", in.Name, n))
				break
			}
			return fmt.Errorf("%s:%d: %w", in.Name, n, perr)
		}
		sawRun = true
		ended = ended || typ == lineTypeEnd
		if last {
			break
		}
	}
	if !sawRun {
		return fmt.Errorf("%s: empty results (no run line)", in.Name)
	}
	return nil
}

// readLine reads one line without its newline, at most MaxLineBytes.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxLineBytes {
			return buf, fmt.Errorf("line longer than %d bytes", MaxLineBytes)
		}
		buf = append(buf, chunk...)
		switch err {
		case nil:
			return buf[:len(buf)-1], nil
		case bufio.ErrBufferFull:
			continue
		default:
			return buf, err
		}
	}
}

func (s *state) applyLine(line []byte, sawRun, ended bool) (string, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		return "", err
	}
	return head.Type, s.applyTyped(head.Type, line, sawRun, ended)
}

func (s *state) applyTyped(typ string, line []byte, sawRun, ended bool) error {
	head := struct{ Type string }{typ}
	if !sawRun && head.Type != lineTypeRun {
		return fmt.Errorf("first line is %q, want the run line", head.Type)
	}
	if ended {
		return fmt.Errorf("%q line after the end line", head.Type)
	}
	switch head.Type {
	case lineTypeRun:
		if sawRun {
			return errors.New("second run line in one file")
		}
		var lr lineRun
		if err := json.Unmarshal(line, &lr); err != nil {
			return err
		}
		return s.applyRun(&lr)
	case lineTypeWindow:
		var lw lineWindow
		if err := json.Unmarshal(line, &lw); err != nil {
			return err
		}
		return s.applyWindow(&lw)
	case lineTypeDevice:
		var ld lineDevice
		if err := json.Unmarshal(line, &ld); err != nil {
			return err
		}
		return s.applyDevice(&ld.DeviceRow)
	case lineTypeEnd:
		var le lineEnd
		if err := json.Unmarshal(line, &le); err != nil {
			return err
		}
		return s.applyEnd(&le)
	}
	return fmt.Errorf("unknown line type %q", head.Type)
}
