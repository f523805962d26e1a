package scenarios

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/fleetsim/fleetsim/sim/network"
	"github.com/fleetsim/fleetsim/sim/units"
)

// SchemaID is the $id of the generated JSON Schema.
const SchemaID = "https://github.com/fleetsim/fleetsim/scenario.schema.json"

// JSONSchema returns the JSON Schema (draft 2020-12) of scenario files,
// generated from the Go types: keys from yaml tags, descriptions from doc
// tags, enum/min/max/default/required from their tags, units as patterns.
// Editors use it for completion and inline checks; the loader remains the
// authority (cross-references and combinations are not expressible here).
func JSONSchema() ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	root := g.structSchema(reflect.TypeFor[Scenario]())
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "fleetsim scenario"
	root["$defs"] = g.defs
	return json.MarshalIndent(root, "", "  ")
}

type schemaGen struct {
	defs map[string]any
}

const namePattern = `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`

var offsetPattern = `^[+-]?` + strings.TrimPrefix(units.DurationPattern, "^")

func unitSchema(t reflect.Type) map[string]any {
	switch t {
	case reflect.TypeFor[units.Bitrate]():
		return map[string]any{"type": []string{"string", "integer"}, "pattern": units.BitratePattern, "minimum": 0}
	case reflect.TypeFor[units.ByteSize]():
		return map[string]any{"type": []string{"string", "integer"}, "pattern": units.ByteSizePattern, "minimum": 0}
	case reflect.TypeFor[units.Ratio]():
		return map[string]any{"type": []string{"string", "number"}, "pattern": units.RatioPattern, "minimum": 0, "maximum": 1}
	case reflect.TypeFor[units.Duration]():
		return map[string]any{"type": "string", "pattern": units.DurationPattern}
	case reflect.TypeFor[units.Frequency]():
		return map[string]any{"type": "string", "pattern": units.FrequencyPattern}
	case reflect.TypeFor[Offset]():
		return map[string]any{"type": "string", "pattern": offsetPattern}
	case reflect.TypeFor[Resolution]():
		return map[string]any{"type": "string", "pattern": `^[0-9]+x[0-9]+$`}
	case reflect.TypeFor[network.Distribution]():
		return map[string]any{"type": "string", "enum": []string{string(network.Uniform), string(network.Normal), string(network.Pareto), string(network.ParetoNormal)}}
	}
	return nil
}

func (g *schemaGen) schemaOf(t reflect.Type) map[string]any {
	if s := unitSchema(t); s != nil {
		return s
	}
	switch t {
	case reflect.TypeFor[DurationDist]():
		return g.ref("DurationDist", func() map[string]any {
			obj := g.structSchema(reflect.TypeFor[distForm]())
			obj["required"] = []string{"dist"}
			return map[string]any{
				"description": (&DurationDist{}).expected(),
				"oneOf":       []any{unitSchema(reflect.TypeFor[Offset]()), obj},
			}
		})
	case reflect.TypeFor[PlanMix]():
		return map[string]any{
			"type":                 "object",
			"description":          (&PlanMix{}).expected(),
			"propertyNames":        map[string]any{"enum": planKinds},
			"additionalProperties": unitSchema(reflect.TypeFor[units.Ratio]()),
			"minProperties":        1,
		}
	case reflect.TypeFor[Thresholds]():
		cond := map[string]any{"type": "string", "pattern": `^\s*(<=|>=|==|!=|<|>)\s*-?[0-9]+(\.[0-9]+)?\s*[A-Za-z%µ]*\s*$`}
		obj := g.structSchema(reflect.TypeFor[thresholdForm]())
		obj["properties"].(map[string]any)["condition"] = cond
		return map[string]any{
			"type":                 "object",
			"description":          "report key → condition such as \"< 1500ms\", or {condition, abort_on_fail}",
			"additionalProperties": map[string]any{"oneOf": []any{cond, obj}},
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.schemaOf(t.Elem())
	case reflect.Struct:
		return g.ref(t.Name(), func() map[string]any { return g.structSchema(t) })
	case reflect.Map:
		return map[string]any{"type": "object", "propertyNames": map[string]any{"pattern": namePattern}, "additionalProperties": g.schemaOf(t.Elem())}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schemaOf(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}

// ref puts a named schema in $defs once and returns a reference to it.
func (g *schemaGen) ref(name string, build func() map[string]any) map[string]any {
	if name == "" {
		return build()
	}
	if _, ok := g.defs[name]; !ok {
		g.defs[name] = map[string]any{} // break cycles
		g.defs[name] = build()
	}
	return map[string]any{"$ref": "#/$defs/" + name}
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range fieldsOf(t) {
		p := map[string]any{}
		for k, v := range g.schemaOf(f.typ) {
			p[k] = v
		}
		if _, isRef := p["$ref"]; isRef && (f.tag.Get("doc") != "" || f.tag.Get("default") != "") {
			p = map[string]any{"allOf": []any{map[string]any{"$ref": p["$ref"]}}}
		}
		if doc := f.tag.Get("doc"); doc != "" {
			p["description"] = doc
		}
		if def, ok := f.tag.Lookup("default"); ok {
			p["default"] = defaultJSON(f.typ, def)
		}
		if e := f.tag.Get("enum"); e != "" {
			p["enum"] = strings.Split(e, ",")
		}
		if s := f.tag.Get("min"); s != "" {
			p["minimum"], _ = strconv.ParseFloat(s, 64)
		}
		if s := f.tag.Get("max"); s != "" {
			p["maximum"], _ = strconv.ParseFloat(s, 64)
		}
		props[f.name] = p
		if f.tag.Get("required") == "true" {
			required = append(required, f.name)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// defaultJSON renders a default tag as the JSON value an editor inserts.
func defaultJSON(t reflect.Type, def string) any {
	if unitSchema(t) == nil {
		switch t.Kind() {
		case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Float64:
			if f, err := strconv.ParseFloat(def, 64); err == nil {
				return f
			}
		case reflect.Bool:
			return def == "true"
		}
	}
	if t == reflect.TypeFor[PlanMix]() {
		return map[string]string{"full-time": "100%"}
	}
	return def
}
