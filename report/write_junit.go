package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes junit.xml: one testsuite for the run, one testcase per
// threshold (failed thresholds carry a failure with the measured value).
func WriteJUnit(w io.Writer, r *Report) error {
	s := junitSuite{
		Name:      "fleetsim." + r.Scenario,
		Time:      strconv.FormatFloat(float64(r.DurationMs)/1000, 'f', 3, 64),
		Timestamp: r.Started.Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"seed", strconv.FormatUint(r.Seed, 10)},
			{"pass", strconv.FormatBool(r.Pass)},
			{"interrupted", strconv.FormatBool(r.Interrupted)},
			{"accounting_ok", strconv.FormatBool(r.Accounting.OK)},
			{"generator_trustworthy", strconv.FormatBool(r.Generator.Trustworthy)},
		},
	}
	for _, t := range r.Thresholds {
		c := junitCase{Name: t.Name + " " + t.Condition, Classname: "fleetsim." + r.Scenario + ".thresholds", Time: "0"}
		if !t.OK {
			msg := fmt.Sprintf("%s is %s, want %s", t.Name, thresholdValue(t), t.Condition)
			if t.Note != "" && t.Value != nil {
				msg += " (" + t.Note + ")"
			}
			c.Failure = &junitFailure{Message: msg, Type: "threshold", Text: msg}
			s.Failures++
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
	}
	for _, reason := range r.FailReasons {
		s.SystemOut += reason + "\n"
	}
	suites := junitSuites{Name: "fleetsim", Tests: s.Tests, Failures: s.Failures, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suites); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
