package netem

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Command is one program invocation.
type Command struct {
	Args []string
	// MayFail marks cleanup steps whose failure is expected when there is
	// nothing to clean.
	MayFail bool
}

func cmd(args ...string) Command { return Command{Args: args} }

// String is the command as a shell line.
func (c Command) String() string {
	s := strings.Join(c.Args, " ")
	if c.MayFail {
		s += " || true"
	}
	return s
}

// Script renders commands one per line.
func Script(cs []Command) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Runner runs commands.
type Runner interface {
	Run(ctx context.Context, c Command) (output []byte, err error)
}

// ExecRunner runs commands as processes.
type ExecRunner struct{}

// Run executes c and returns its combined output.
func (ExecRunner) Run(ctx context.Context, c Command) ([]byte, error) {
	if len(c.Args) == 0 {
		return nil, fmt.Errorf("netem: empty command")
	}
	out, err := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", c, err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// RunAll runs cs in order and stops at the first failure that is not
// MayFail.
func RunAll(ctx context.Context, r Runner, cs []Command) error {
	for _, c := range cs {
		if _, err := r.Run(ctx, c); err != nil && !c.MayFail {
			return err
		}
	}
	return nil
}
