package scenarios

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const schemaGolden = "../../testdata/scenarios/scenario.schema.json"

// The schema is generated from the Go types; the committed copy (for
// editors, refreshed with -update) must match it.
func TestSchemaGolden(t *testing.T) {
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile(schemaGolden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaGolden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(b) {
		t.Errorf("%s is stale: run go test ./sim/scenarios -run TestSchemaGolden -update", schemaGolden)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema %v", root["$schema"])
	}
}

// schemaCheck is a small JSON Schema evaluator for the keywords the
// generator emits (type, properties, additionalProperties, required, enum,
// pattern, propertyNames, items, oneOf, allOf, $ref), applied to YAML
// nodes, so that editors given the schema accept every library scenario and
// flag the catalogue's unknown keys.
type schemaCheck struct {
	defs map[string]any
	errs []string
}

func (c *schemaCheck) check(s map[string]any, n *yaml.Node, path string) bool {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if ref, ok := s["$ref"].(string); ok {
		return c.check(c.defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any), n, path)
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			if !c.check(sub.(map[string]any), n, path) {
				return false
			}
		}
	}
	if one, ok := s["oneOf"].([]any); ok {
		matched := 0
		for _, sub := range one {
			trial := &schemaCheck{defs: c.defs}
			if trial.check(sub.(map[string]any), n, path) {
				matched++
			}
		}
		if matched != 1 {
			c.errs = append(c.errs, path+": matches "+itoa(matched)+" of oneOf")
			return false
		}
	}
	if !typeOK(s["type"], n) {
		c.errs = append(c.errs, path+": wrong type")
		return false
	}
	if enum, ok := s["enum"].([]any); ok && n.Kind == yaml.ScalarNode {
		found := false
		for _, e := range enum {
			found = found || e == n.Value
		}
		if !found {
			c.errs = append(c.errs, path+": not in enum")
			return false
		}
	}
	if pat, ok := s["pattern"].(string); ok && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if !regexp.MustCompile(pat).MatchString(n.Value) {
			c.errs = append(c.errs, path+": "+n.Value+" does not match "+pat)
			return false
		}
	}
	ok := true
	if n.Kind == yaml.MappingNode {
		props, _ := s["properties"].(map[string]any)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if k == "<<" {
				continue
			}
			if names, ok2 := s["propertyNames"].(map[string]any); ok2 {
				kn := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}
				ok = c.check(names, kn, path+"."+k) && ok
			}
			if p, has := props[k]; has {
				ok = c.check(p.(map[string]any), v, path+"."+k) && ok
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					c.errs = append(c.errs, path+": unknown key "+k)
					ok = false
				}
			case map[string]any:
				ok = c.check(ap, v, path+"."+k) && ok
			}
		}
	}
	if items, has := s["items"].(map[string]any); has && n.Kind == yaml.SequenceNode {
		for i, it := range n.Content {
			ok = c.check(items, it, path+"."+itoa(i)) && ok
		}
	}
	return ok
}

func typeOK(t any, n *yaml.Node) bool {
	var types []string
	switch x := t.(type) {
	case nil:
		return true
	case string:
		types = []string{x}
	case []any:
		for _, e := range x {
			types = append(types, e.(string))
		}
	}
	for _, ty := range types {
		switch {
		case ty == "object" && n.Kind == yaml.MappingNode,
			ty == "array" && n.Kind == yaml.SequenceNode,
			ty == "string" && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str",
			ty == "integer" && n.ShortTag() == "!!int",
			ty == "number" && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float"),
			ty == "boolean" && n.ShortTag() == "!!bool":
			return true
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }

func loadSchema(t *testing.T) *schemaCheck {
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	c := &schemaCheck{defs: root["$defs"].(map[string]any)}
	delete(root, "$defs")
	c.defs["__root"] = root
	return c
}

func TestSchemaAcceptsLibrary(t *testing.T) {
	c := loadSchema(t)
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		c.errs = nil
		if !c.check(c.defs["__root"].(map[string]any), doc.Content[0], "") {
			t.Errorf("%s: the schema rejects it: %v", f, c.errs)
		}
	}
	for _, bad := range []string{"unknown-key", "wrong-type", "plan-mix", "wrong-units"} {
		data, _ := os.ReadFile("../../testdata/scenarios/bad/" + bad + ".yaml")
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		c.errs = nil
		if c.check(c.defs["__root"].(map[string]any), doc.Content[0], "") {
			t.Errorf("bad/%s.yaml: the schema accepts it", bad)
		}
	}
}
