package docgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Files are the Markdown files, relative to the repository's root, whose
// generated parts Update rewrites.
var Files = []string{
	"README.md",
	"docs/scripts.md",
	"docs/operating.md",
	"SECURITY.md",
}

// Required names the generated parts each file must hold, so that a part
// deleted with its markers is noticed too.
var Required = map[string][]string{
	"README.md": {
		"file:examples/quickstart/probe.go",
		"file:examples/quickstart/main.go",
		"file:examples/scripts/quickstart.go",
	},
	"docs/scripts.md":   {"allowlist"},
	"docs/operating.md": {"exit-codes"},
	"SECURITY.md":       {"options:Limits", "options:Totals"},
}

const endMarker = "<!-- /docgen -->"

var beginMarker = regexp.MustCompile(`<!-- docgen:(\S+) -->\n`)

// Render returns doc, a Markdown file's text, with every generated part
// replaced by what its source says now, and the names of those parts.
// root is the repository's root.
func Render(root string, doc []byte) ([]byte, []string, error) {
	var out bytes.Buffer
	var names []string
	for {
		loc := beginMarker.FindSubmatchIndex(doc)
		if loc == nil {
			out.Write(doc)
			return out.Bytes(), names, nil
		}
		name := string(doc[loc[2]:loc[3]])
		rest := doc[loc[1]:]
		end := bytes.Index(rest, []byte(endMarker))
		if end < 0 {
			return nil, nil, fmt.Errorf("docgen:%s has no %s", name, endMarker)
		}
		body, err := generate(root, name)
		if err != nil {
			return nil, nil, fmt.Errorf("docgen:%s: %w", name, err)
		}
		out.Write(doc[:loc[1]])
		out.WriteString(body)
		out.WriteString(endMarker)
		names = append(names, name)
		doc = rest[end+len(endMarker):]
	}
}

// generate returns the Markdown of one generated part, ending in a newline.
func generate(root, name string) (string, error) {
	switch {
	case name == "allowlist":
		return allowlist(), nil
	case name == "exit-codes":
		return exitCodes(filepath.Join(root, "internal", "cli", "exit.go"))
	case strings.HasPrefix(name, "options:"):
		return options(root, strings.TrimPrefix(name, "options:"))
	case strings.HasPrefix(name, "file:"):
		return codeBlock(filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(name, "file:"))))
	}
	return "", fmt.Errorf("unknown part")
}

// codeBlock shows a source file as a fenced code block.
func codeBlock(path string) (string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	lang := strings.TrimPrefix(filepath.Ext(path), ".")
	return "```" + lang + "\n" + strings.TrimRight(string(src), "\n") + "\n```\n", nil
}

// Update rewrites the generated parts of Files under root, and reports
// the files it changed.
func Update(root string) ([]string, error) {
	var changed []string
	for _, name := range Files {
		path := filepath.Join(root, filepath.FromSlash(name))
		doc, err := os.ReadFile(path)
		if err != nil {
			return changed, err
		}
		out, _, err := Render(root, doc)
		if err != nil {
			return changed, fmt.Errorf("%s: %w", name, err)
		}
		if bytes.Equal(out, doc) {
			continue
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			return changed, err
		}
		changed = append(changed, name)
	}
	return changed, nil
}
