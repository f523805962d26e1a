package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/fleetsim/fleetsim/sim/network"
	"gopkg.in/yaml.v3"
)

// maxNodeVisits bounds the work of walking one document, aliases included
// (a "billion laughs" file stops with a problem instead of exhausting memory).
const maxNodeVisits = 200_000

// decoder walks a yaml.v3 node tree into Go values by their yaml tags,
// recording every problem with its position instead of stopping at the
// first, and remembering the node behind every dotted path so that later
// checks (validate.go) can point at the value they complain about.
//
// Struct tags it reads besides yaml: required:"true", enum:"a,b",
// min:"N", max:"N" (numbers), default:"TEXT" (applied later, defaults.go),
// doc:"…" (schema and README).
type decoder struct {
	file   string
	probs  []Problem
	values map[string]*yaml.Node // path → value node
	keys   map[string]*yaml.Node // path → key node
	origin map[*yaml.Node]string // nodes made by --set → the flag text
	failed map[string]bool       // paths with a problem
	visits int
	halted bool

	baseDir  string                      // directory of the scenario file (trace paths)
	netDirs  []string                    // where named network profiles live
	netCache map[string]*network.Profile // named profiles loaded so far (nil: failed)
}

func newDecoder(file string) *decoder {
	return &decoder{
		file:     file,
		values:   map[string]*yaml.Node{},
		keys:     map[string]*yaml.Node{},
		origin:   map[*yaml.Node]string{},
		failed:   map[string]bool{},
		netCache: map[string]*network.Profile{},
	}
}

// nodeDecoder is implemented by scenario types whose YAML form is not a
// plain struct, map, list or scalar (a mix, a distribution, a condition…).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file, Line: 1, Col: 1}
	}
	if o, ok := d.origin[n]; ok {
		return Pos{Override: o}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	if path != "" {
		d.failed[path] = true
	}
	d.probs = append(d.probs, Problem{Pos: d.pos(n), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// at returns the value node of path, or the nearest recorded ancestor, so a
// check about a missing or derived value still points somewhere useful.
func (d *decoder) at(path string) *yaml.Node {
	for {
		if n, ok := d.values[path]; ok {
			return n
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			return d.values[""]
		}
		path = path[:i]
	}
}

// has reports whether path was written in the file (or by --set).
func (d *decoder) has(path string) bool { _, ok := d.values[path]; return ok }

// ok reports whether path was decoded without a problem (so checks that
// depend on its value are meaningful).
func (d *decoder) ok(path string) bool { return !d.failed[path] }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// found describes a node for "found …" messages.
func found(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	if n.ShortTag() == "!!null" {
		return "nothing"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	return strconv.Quote(v)
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	nodeDecoderType = reflect.TypeFor[nodeDecoder]()
)

// decode fills v (addressable) from n.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if d.halted {
		return
	}
	d.visits++
	if d.visits > maxNodeVisits {
		d.halted = true
		d.errorf(n, "", "document too large or too deeply aliased (more than %d values); expected a scenario file", maxNodeVisits)
		return
	}
	n = resolve(n)
	if n == nil {
		return
	}
	d.values[path] = n
	if v.Kind() == reflect.Pointer {
		if isNull(n) {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if v.Addr().Type().Implements(nodeDecoderType) {
		v.Addr().Interface().(nodeDecoder).decodeNode(d, n, path)
		return
	}
	if v.Addr().Type().Implements(unmarshalerType) {
		d.decodeUnmarshaler(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	default:
		d.decodeScalar(n, v, path, reflect.StructTag(""))
	}
}

func (d *decoder) decodeUnmarshaler(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, path, "found %s; expected %s", found(n), expectation(v.Type()))
		return
	}
	if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
		d.errorf(n, path, "found %s; expected %s (%v)", found(n), expectation(v.Type()), err)
	}
}

// field is one YAML key of a struct, inline embeddings flattened.
type field struct {
	name  string
	index []int
	tag   reflect.StructTag
	typ   reflect.Type
}

// fieldsOf lists the YAML keys of struct type t.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if opts == "inline" && f.Type.Kind() == reflect.Struct {
			for _, sub := range fieldsOf(f.Type) {
				sub.index = append([]int{i}, sub.index...)
				out = append(out, sub)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, field{name: name, index: []int{i}, tag: f.Tag, typ: f.Type})
	}
	return out
}

func fieldNames(fs []field) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	fs := fieldsOf(v.Type())
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "found %s; expected a mapping with keys %s", found(n), oneOf(fieldNames(fs)))
		return
	}
	byName := make(map[string]field, len(fs))
	for _, f := range fs {
		byName[f.name] = f
	}
	seen := map[string]*yaml.Node{}
	d.eachPair(n, path, func(k, val *yaml.Node) {
		seen[k.Value] = k
		f, ok := byName[k.Value]
		if !ok {
			d.errorf(k, path, "unknown key %q; expected one of %s%s", k.Value, oneOf(fieldNames(fs)), didYouMean(k.Value, fieldNames(fs)))
			return
		}
		p := join(path, f.name)
		d.keys[p] = k
		fv := v.FieldByIndex(f.index)
		if fv.Kind() != reflect.Pointer && fv.Kind() != reflect.Struct && fv.Kind() != reflect.Map && fv.Kind() != reflect.Slice &&
			!fv.Addr().Type().Implements(nodeDecoderType) && !fv.Addr().Type().Implements(unmarshalerType) {
			d.visits++
			rv := resolve(val)
			if rv == nil {
				return
			}
			d.values[p] = rv
			d.decodeScalar(rv, fv, p, f.tag)
			return
		}
		d.decode(val, fv, p)
		if s := f.tag.Get("enum"); s != "" && fv.Kind() == reflect.String {
			d.checkEnum(resolve(val), p, fv.String(), strings.Split(s, ","))
		}
	})
	if d.halted {
		return
	}
	for _, f := range fs {
		if f.tag.Get("required") == "true" && seen[f.name] == nil {
			d.errorf(n, path, "missing key %q; expected %s", f.name, describeField(f))
		}
	}
}

// eachPair visits the key/value pairs of mapping n, merge keys (<<) first
// so that explicit keys override merged ones. Keys must be scalars.
//
// YAML merge semantics: an explicit key overrides a merged one, and among
// merged mappings the first to give a key wins. fn sees each key once, the
// winning occurrence; duplicates among explicit keys are reported.
func (d *decoder) eachPair(n *yaml.Node, path string, fn func(k, v *yaml.Node)) {
	own := map[string]*yaml.Node{}
	var order [][2]*yaml.Node
	var merged [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "found %s as a key; expected a plain name", found(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			d.collectMerge(val, path, &merged, 0)
			continue
		}
		if prev, dup := own[k.Value]; dup {
			d.errorf(k, join(path, k.Value), "duplicate key %q (first at line %d); expected each key once", k.Value, prev.Line)
			continue
		}
		own[k.Value] = k
		order = append(order, [2]*yaml.Node{k, val})
	}
	given := map[string]bool{}
	for _, kv := range merged {
		if own[kv[0].Value] != nil || given[kv[0].Value] {
			continue
		}
		given[kv[0].Value] = true
		if d.halted {
			return
		}
		fn(kv[0], kv[1])
	}
	for _, kv := range order {
		if d.halted {
			return
		}
		fn(kv[0], kv[1])
	}
}

// collectMerge gathers the pairs a << value brings, in precedence order.
func (d *decoder) collectMerge(val *yaml.Node, path string, out *[][2]*yaml.Node, depth int) {
	val = resolve(val)
	d.visits++
	if d.visits > maxNodeVisits || depth > 64 {
		if !d.halted {
			d.halted = true
			d.errorf(val, "", "document too large or too deeply aliased (more than %d values); expected a scenario file", maxNodeVisits)
		}
		return
	}
	if val == nil {
		return
	}
	switch val.Kind {
	case yaml.MappingNode:
		// own keys first, then those of nested merges: that is precedence order
		for i := 0; i+1 < len(val.Content); i += 2 {
			if k := val.Content[i]; k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge" {
				*out = append(*out, [2]*yaml.Node{k, val.Content[i+1]})
				d.visits++
			}
		}
		for i := 0; i+1 < len(val.Content) && !d.halted; i += 2 {
			if val.Content[i].ShortTag() == "!!merge" {
				d.collectMerge(val.Content[i+1], path, out, depth+1)
			}
		}
	case yaml.SequenceNode:
		for _, m := range val.Content {
			if d.halted {
				return
			}
			d.collectMerge(m, path, out, depth+1)
		}
	default:
		d.errorf(val, path, "found %s after <<; expected a mapping or an alias of one", found(val))
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "found %s; expected a mapping of names to %s", found(n), expectation(v.Type().Elem()))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	d.eachPair(n, path, func(k, val *yaml.Node) {
		if !validName(k.Value) {
			d.errorf(k, path, "found name %q; expected letters, digits, '-' or '_' (starting with a letter or digit, at most 64)", k.Value)
		}
		p := join(path, k.Value)
		d.keys[p] = k
		ev := reflect.New(v.Type().Elem()).Elem()
		if old := v.MapIndex(reflect.ValueOf(k.Value)); old.IsValid() {
			ev.Set(old)
		}
		d.decode(val, ev, p)
		v.SetMapIndex(reflect.ValueOf(k.Value), ev)
	})
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "found %s; expected a list, each item %s", found(n), expectation(v.Type().Elem()))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, out.Index(i), join(path, strconv.Itoa(i)))
	}
	v.Set(out)
}

// decodeScalar decodes strings, bools, integers and floats, checking the
// enum/min/max tags of the field.
func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string, tag reflect.StructTag) {
	want := expectation(v.Type())
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, path, "found %s; expected %s", found(n), want)
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
		if s := tag.Get("enum"); s != "" {
			d.checkEnum(n, path, n.Value, strings.Split(s, ","))
		}
		return
	case reflect.Bool:
		var b bool
		if n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.errorf(n, path, "found %s; expected true or false", found(n))
			return
		}
		v.SetBool(b)
		return
	case reflect.Int, reflect.Int64, reflect.Int32:
		var i int64
		if n.ShortTag() != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
			d.errorf(n, path, "found %s; expected %s", found(n), want)
			return
		}
		if !d.checkRange(n, path, float64(i), tag) {
			return
		}
		v.SetInt(i)
		return
	case reflect.Uint64, reflect.Uint, reflect.Uint32:
		var u uint64
		if n.ShortTag() != "!!int" || n.Decode(&u) != nil || v.OverflowUint(u) {
			d.errorf(n, path, "found %s; expected %s", found(n), want)
			return
		}
		v.SetUint(u)
		return
	case reflect.Float64:
		var f float64
		t := n.ShortTag()
		if (t != "!!int" && t != "!!float") || n.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(n, path, "found %s; expected %s", found(n), want)
			return
		}
		if !d.checkRange(n, path, f, tag) {
			return
		}
		v.SetFloat(f)
		return
	}
	d.errorf(n, path, "found %s; expected %s", found(n), want)
}

func (d *decoder) checkEnum(n *yaml.Node, path, got string, allowed []string) {
	for _, a := range allowed {
		if got == a {
			return
		}
	}
	d.errorf(n, path, "found %q; expected %s%s", got, oneOf(allowed), didYouMean(got, allowed))
}

func (d *decoder) checkRange(n *yaml.Node, path string, x float64, tag reflect.StructTag) bool {
	if s := tag.Get("min"); s != "" {
		if lo, _ := strconv.ParseFloat(s, 64); x < lo {
			d.errorf(n, path, "found %s; expected %s", n.Value, rangeText(tag))
			return false
		}
	}
	if s := tag.Get("max"); s != "" {
		if hi, _ := strconv.ParseFloat(s, 64); x > hi {
			d.errorf(n, path, "found %s; expected %s", n.Value, rangeText(tag))
			return false
		}
	}
	return true
}

func rangeText(tag reflect.StructTag) string {
	lo, hi := tag.Get("min"), tag.Get("max")
	switch {
	case lo != "" && hi != "":
		return "a number from " + lo + " to " + hi
	case lo != "":
		return "a number ≥ " + lo
	case hi != "":
		return "a number ≤ " + hi
	}
	return "a number"
}

func describeField(f field) string {
	if doc := f.tag.Get("doc"); doc != "" {
		return doc
	}
	return expectation(f.typ)
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || i > 0 && (c == '-' || c == '_')
		if !ok {
			return false
		}
	}
	return true
}
