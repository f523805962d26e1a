package scenarios

import (
	"sort"
	"strings"
)

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to
// got by edit distance, or "" when none is close enough.
func didYouMean(got string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := editDistance(strings.ToLower(got), strings.ToLower(c))
		if d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	limit := len(got) / 3
	if limit < 2 {
		limit = 2
	}
	if best == "" || bestD > limit || bestD == 0 && best == got {
		// a prefix of a longer name ("max_gop" for "max_gop_size")
		for _, c := range candidates {
			if len(got) >= 3 && c != got && strings.HasPrefix(c, got) {
				return ` (did you mean "` + c + `"?)`
			}
		}
		return ""
	}
	return ` (did you mean "` + best + `"?)`
}

// editDistance is the Damerau–Levenshtein (optimal string alignment)
// distance between a and b, on bytes; inputs are short identifiers.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// oneOf lists candidates for a message: "a, b or c".
func oneOf(cs []string) string {
	s := append([]string(nil), cs...)
	sort.Strings(s)
	switch len(s) {
	case 0:
		return "nothing"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
