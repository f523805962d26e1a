package scenarios

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// applySet applies one --set PATH=VALUE to the scenario's YAML tree before
// it is decoded, so that every check sees the override and problems with
// the value point at the flag. PATH is dotted: mapping keys, list indices,
// or, in a list of mappings, the value of an element's `group` key
// (fleet.living-rooms.count). Under thresholds the rest of the path is one
// report key. Missing mapping keys are created. VALUE is YAML: 200ms,
// 10, true, "{event: 50%, none: 50%}".
func (d *decoder) applySet(root *yaml.Node, spec string) *yaml.Node {
	flag := "--set " + spec
	path, value, ok := strings.Cut(spec, "=")
	path = strings.TrimSpace(path)
	if !ok || path == "" {
		d.probs = append(d.probs, Problem{Pos: Pos{Override: flag}, Msg: "found no PATH=VALUE; expected e.g. --set networks.home-wifi.up.delay=200ms"})
		return root
	}
	val := parseValue(value)
	mark(val, flag, d.origin)
	if root == nil {
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		d.origin[root] = flag
	}
	if err := setPath(root, strings.Split(path, "."), val, flag, d.origin); err != nil {
		d.probs = append(d.probs, Problem{Pos: Pos{Override: flag}, Path: path, Msg: err.Error()})
	}
	return root
}

// parseValue reads VALUE as a YAML value; text that is not valid YAML is
// taken as a plain string.
func parseValue(v string) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(v), &doc); err == nil && doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		n := doc.Content[0]
		if n.Kind != yaml.AliasNode && !hasAlias(n) {
			return n
		}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

func mark(n *yaml.Node, flag string, origin map[*yaml.Node]string) {
	origin[n] = flag
	for _, c := range n.Content {
		mark(c, flag, origin)
	}
}

func setPath(n *yaml.Node, segs []string, val *yaml.Node, flag string, origin map[*yaml.Node]string) error {
	for i := 0; i < len(segs); i++ {
		n = resolve(n)
		seg := segs[i]
		last := i == len(segs)-1
		switch n.Kind {
		case yaml.MappingNode:
			if isThresholds(segs[:i]) {
				seg, i, last = strings.Join(segs[i:], "."), len(segs)-1, true
			} else if key, j := lookupKey(n, segs[i:]); j > 0 {
				seg, i = key, i+j-1
				last = i == len(segs)-1
			}
			idx := -1
			for k := 0; k+1 < len(n.Content); k += 2 {
				if n.Content[k].Value == seg {
					idx = k + 1
				}
			}
			if last {
				if idx < 0 {
					k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg}
					origin[k] = flag
					n.Content = append(n.Content, k, val)
				} else {
					n.Content[idx] = val
				}
				return nil
			}
			if idx < 0 || isNull(resolve(n.Content[idx])) {
				child := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				if next := segs[i+1]; isIndex(next) {
					return fmt.Errorf("found no list at %q; expected an existing list to index", strings.Join(segs[:i+1], "."))
				}
				origin[child] = flag
				if idx < 0 {
					k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg}
					origin[k] = flag
					n.Content = append(n.Content, k, child)
				} else {
					n.Content[idx] = child
				}
				n = child
				continue
			}
			n = unalias(n, idx)
		case yaml.SequenceNode:
			k := -1
			if isIndex(seg) {
				k, _ = strconv.Atoi(seg)
				if k >= len(n.Content) {
					return fmt.Errorf("found index %d; expected an index below %d", k, len(n.Content))
				}
			} else {
				var names []string
				for e, item := range n.Content {
					if name := itemName(resolve(item)); name != "" {
						names = append(names, name)
						if name == seg {
							k = e
						}
					}
				}
				if k < 0 {
					return fmt.Errorf("found %q; expected a list index or one of %s%s", seg, oneOf(names), didYouMean(seg, names))
				}
			}
			if last {
				n.Content[k] = val
				return nil
			}
			n = unalias(n, k)
		default:
			return fmt.Errorf("found %s at %q; expected a mapping or list to descend into", found(n), strings.Join(segs[:i], "."))
		}
	}
	return nil
}

// lookupKey finds the longest run of segments that, joined with dots, is a
// key of mapping n (keys such as report metric names contain dots).
func lookupKey(n *yaml.Node, segs []string) (string, int) {
	for j := len(segs); j >= 1; j-- {
		k := strings.Join(segs[:j], ".")
		for c := 0; c+1 < len(n.Content); c += 2 {
			if n.Content[c].Value == k {
				return k, j
			}
		}
	}
	return "", 0
}

func isThresholds(prefix []string) bool { return len(prefix) == 1 && prefix[0] == "thresholds" }

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(s) < 10
}

// itemName is the `group` (or `name`) of a mapping list item.
func itemName(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if key := n.Content[k].Value; key == "group" || key == "name" {
			if v := resolve(n.Content[k+1]); v != nil && v.Kind == yaml.ScalarNode {
				return v.Value
			}
		}
	}
	return ""
}

// unalias makes parent.Content[i] a private copy when it is an alias, so an
// override through it changes this place only, not every use of the anchor.
func unalias(parent *yaml.Node, i int) *yaml.Node {
	c := parent.Content[i]
	if c.Kind != yaml.AliasNode {
		return c
	}
	cp := deepCopy(resolve(c), 0)
	parent.Content[i] = cp
	return cp
}

func deepCopy(n *yaml.Node, depth int) *yaml.Node {
	if n == nil || depth > 100 {
		return n
	}
	cp := *n
	cp.Anchor = ""
	cp.Content = make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		cp.Content[i] = deepCopy(c, depth+1)
	}
	return &cp
}
