package sandbox

import (
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
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
	MaxNodes = 100_000
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

// nests reports, before parsing, a source whose tokens nest more than
// 2*MaxNesting deep: the parser recurses once per level (up to 100,000
// levels, with a goroutine stack of 128 MB and a second of CPU), so deep
// nesting is refused from the tokens, in time linear in the source. Each
// bracket opens a level; within one, the operators and keywords that nest
// without a bracket (*T, -x, [N]T, map[K]V, func() T, a label, else if)
// count since the level's last ; or , and the levels' counts add up. It
// counts high (a*b*c counts each *), which the factor two absorbs: the
// syntax tree's own limit, MaxNesting, is exact.
func (c *checker) nests(file *token.File, src []byte) bool {
	var s scanner.Scanner
	s.Init(file, src, nil, 0)
	var outer []int // the enclosing levels' counts
	sum, run := 0, 0
	for {
		pos, tok, _ := s.Scan()
		switch tok {
		case token.EOF:
			return false
		case token.LBRACK:
			run++
			fallthrough
		case token.LPAREN, token.LBRACE:
			outer = append(outer, run)
			sum += run
			run = 0
		case token.RPAREN, token.RBRACE, token.RBRACK:
			if len(outer) > 0 {
				run = outer[len(outer)-1]
				outer = outer[:len(outer)-1]
				sum -= run
			}
		case token.SEMICOLON, token.COMMA:
			run = 0
		case token.MUL, token.AND, token.NOT, token.XOR, token.SUB, token.ADD, token.ARROW, token.COLON,
			token.MAP, token.CHAN, token.FUNC, token.STRUCT, token.INTERFACE, token.ELSE:
			run++
		}
		if len(outer)+sum+run > 2*MaxNesting {
			c.errorf(pos, "the script nests more than %d levels deep here", MaxNesting)
			return true
		}
	}
}

// tooBig is the error for a source above MaxSourceSize.
func tooBig(n int) string {
	return fmt.Sprintf("script is %d bytes, more than the %d allowed", n, MaxSourceSize)
}
