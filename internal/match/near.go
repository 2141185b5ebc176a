package match

import (
	"cmp"
	"slices"
	"strings"
)

// Bounds of Near: it runs when a session reports its mistakes, once per
// pattern, but its names come from the traced process and its patterns
// from the script, so its cost is bounded whatever they are.
const (
	// MaxNearCandidates bounds the names Near looks at; further names
	// are not considered.
	MaxNearCandidates = 16384
	// maxNearSteps bounds the steps of the edit distances Near computes,
	// a few nanoseconds each: past it, the remaining names are only
	// compared by prefix. Some milliseconds, enough for thousands of
	// names of some twenty bytes.
	maxNearSteps = 1 << 20
	// maxNearDistance bounds the edit distance of a near miss: a
	// comparison gives up past it, so that it costs at most the length of
	// the name times 2*maxNearDistance+1 steps.
	maxNearDistance = 3
)

// Near returns at most n of names that pattern (a glob of On, or a plain
// word such as a field name) nearly matches, closest first: those within a
// few edits of it (a typo: "request:ned" for "request:end"), or else those
// sharing a long prefix with its text before any wildcard ("request:"
// for "requests:*"). Names longer than [MaxNameLen] are skipped, and only
// the first [MaxNearCandidates] names are looked at. It takes some
// microseconds for a few dozen names, and at most some ten milliseconds
// whatever the names: past a budget of steps, names are only compared by
// prefix.
func Near(pattern string, names []string, n int) []string {
	if n <= 0 || len(pattern) > MaxPatternLen {
		return nil
	}
	head, tail, glob := literalEnds(pattern)
	if head == "" && tail == "" {
		return nil // all wildcards: nothing to be near
	}
	k := allowedEdits(len(head) + len(tail))
	type near struct {
		name   string
		dist   int
		common int
	}
	rank := func(found []near) []near {
		slices.SortFunc(found, func(a, b near) int {
			return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(b.common, a.common), strings.Compare(a.name, b.name))
		})
		found = slices.CompactFunc(found, func(a, b near) bool { return a.name == b.name })
		return found[:min(len(found), n)]
	}
	var found []near
	d := distancer{k: k, budget: maxNearSteps}
	for i, name := range names {
		if i == MaxNearCandidates {
			break
		}
		if len(name) > MaxNameLen || name == pattern {
			continue
		}
		common := commonPrefix(head, name)
		dist := k + 1
		switch {
		case d.budget <= 0:
		case glob:
			dist = d.prefix(head, name, k)
			if dist <= k && tail != "" {
				dist += d.suffix(tail, name, k-dist)
			}
		default:
			dist = d.distance(head, name, k, false)
		}
		switch {
		case dist <= k:
		case common >= 3 && 2*common >= len(head):
			dist = k + 1 // ranked after the typos
		default:
			continue
		}
		found = append(found, near{name, dist, common})
		if len(found) >= 64+4*n {
			found = rank(found) // keeping the best n
		}
	}
	found = rank(found)
	if len(found) > 0 && found[0].dist <= k { // typos: the names sharing a prefix only are noise
		found = slices.DeleteFunc(found, func(f near) bool { return f.dist > k })
	}
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.name
	}
	return out
}

// allowedEdits is how many edits a near miss of a text of n bytes may be
// away from it: one for short words, up to maxNearDistance.
func allowedEdits(n int) int {
	switch {
	case n <= 4:
		return 1
	case n <= 10:
		return 2
	}
	return maxNearDistance
}

// literalEnds returns the text of pattern before its first wildcard (head)
// and after its last (tail); glob is false for a pattern without any,
// head then being the whole pattern.
func literalEnds(pattern string) (head, tail string, glob bool) {
	i := strings.IndexAny(pattern, `*?[{\`)
	if i < 0 {
		return pattern, "", false
	}
	j := strings.LastIndexAny(pattern, `*?]}`)
	return pattern[:i], pattern[j+1:], true
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// A distancer computes edit distances within a budget of steps, reusing
// its rows.
type distancer struct {
	k      int
	budget int
	rows   []int
}

// prefix is the edit distance between a and the closest prefix of name,
// or more than k.
func (d *distancer) prefix(a, name string, k int) int {
	if len(name) > len(a)+k {
		name = name[:len(a)+k]
	}
	return d.distance(a, name, k, true)
}

// suffix is prefix of the reversed strings.
func (d *distancer) suffix(a, name string, k int) int {
	if k < 0 {
		return 1
	}
	if len(name) > len(a)+k {
		name = name[len(name)-len(a)-k:]
	}
	return d.prefix(reverse(a), reverse(name), k)
}

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

// distance returns the optimal string alignment distance between a and b
// (insertions, deletions, substitutions and transpositions of adjacent
// bytes), or k+1 if it is more than k. With prefix, it is the distance
// between a and the closest prefix of b. Only the cells within k of the
// diagonal are computed: it takes at most len(a)*(2k+1) steps.
func (d *distancer) distance(a, b string, k int, prefix bool) int {
	inf := k + 1
	if len(b) < len(a)-k || !prefix && len(b) > len(a)+k {
		return inf
	}
	n := len(b)
	d.budget -= n + len(a)*(2*k+1)
	if cap(d.rows) < 3*(n+1) {
		d.rows = make([]int, 3*(n+1))
	}
	rows := d.rows[:3*(n+1)]
	pp, prev, cur := rows[:n+1], rows[n+1:2*(n+1)], rows[2*(n+1):]
	for j := range prev {
		prev[j] = inf
		pp[j] = inf
		if j <= k {
			prev[j] = j
		}
	}
	for i := 1; i <= len(a); i++ {
		// cur holds row i-3: only the cells this row reads before
		// writing them are reset, so that a row costs its band.
		lo, hi := max(1, i-k), min(n, i+k)
		cur[lo-1] = inf
		if i <= k {
			cur[0] = i
		}
		best := cur[lo-1]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j-1]+cost, prev[j]+1, cur[j-1]+1)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, pp[j-2]+1)
			}
			cur[j] = min(d, inf)
			best = min(best, cur[j])
		}
		if hi < n {
			cur[hi+1] = inf // read by the next row
		}
		if best > k {
			return inf
		}
		pp, prev, cur = prev, cur, pp
	}
	m := len(a)
	if !prefix {
		return prev[n]
	}
	return min(slices.Min(prev[max(0, m-k):min(n, m+k)+1]), inf)
}
