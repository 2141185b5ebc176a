package sandbox

import (
	"fmt"
	"go/ast"
)

// A load's cost (parse, check, compile) is bounded by its input, so that a
// check goes on for a bounded time after the client that sent the script
// has left: the source size is capped (MaxSourceSize), then its syntax tree
// before the type checker and the interpreter see it.
const (
	// MaxSourceSize bounds a script's source, in bytes.
	MaxSourceSize = 1 << 20
	// MaxNesting bounds how deep a script's syntax tree nests (types in
	// types, expressions in expressions, blocks in blocks).
	MaxNesting = 256
	// MaxNodes bounds the nodes of a script's syntax tree.
	MaxNodes = 200_000
)

// bounded reports a syntax tree that nests deeper than MaxNesting or has
// more than MaxNodes nodes, at the first node past the limit. It visits at
// most MaxNodes nodes.
func (c *checker) bounded(f *ast.File) bool {
	depth, nodes, ok := 0, 0, true
	ast.Inspect(f, func(n ast.Node) bool {
		if !ok {
			return false
		}
		if n == nil {
			depth--
			return true
		}
		depth++
		nodes++
		switch {
		case depth > MaxNesting:
			c.errorf(n.Pos(), "the script nests more than %d levels deep here", MaxNesting)
		case nodes > MaxNodes:
			c.errorf(n.Pos(), "the script has more than %d syntax nodes", MaxNodes)
		default:
			return true
		}
		ok = false
		return false
	})
	return ok
}

// tooBig is the error for a source above MaxSourceSize.
func tooBig(n int) string {
	return fmt.Sprintf("script is %d bytes, more than the %d allowed", n, MaxSourceSize)
}
