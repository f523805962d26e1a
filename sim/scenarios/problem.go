package scenarios

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is where a value came from: a place in a file, or a --set override.
type Pos struct {
	File      string
	Line, Col int
	// Override is the command-line flag that produced the value
	// ("--set fleet.0.count=10"); when set, it replaces File:Line:Col.
	Override string
}

func (p Pos) String() string {
	if p.Override != "" {
		return p.Override
	}
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Problem is one thing wrong with a scenario: where, which value (as a
// dotted path, the same syntax --set takes), what was found and what was
// expected.
type Problem struct {
	Pos  Pos
	Path string
	Msg  string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Pos.String() + ": " + p.Msg
	}
	return p.Pos.String() + ": " + p.Path + ": " + p.Msg
}

// Error is every problem found in one scenario, in file order. Loading
// never stops at the first problem.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by file position (overrides first, in flag
// order) and removes exact duplicates.
func sortProblems(ps []Problem) []Problem {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if (a.Override != "") != (b.Override != "") {
			return a.Override != ""
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := ps[:0]
	for i, p := range ps {
		if i > 0 && p == ps[i-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}
