// Command updatedocs rewrites the generated parts of jstrace's Markdown
// documentation from their sources (see package docgen). Run it with make
// updatedocs, or go generate ./internal/docgen.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/jstrace-go/jstrace/internal/docgen"
)

func main() {
	root, err := moduleRoot()
	if err == nil {
		var changed []string
		changed, err = docgen.Update(root)
		for _, name := range changed {
			fmt.Println("updated", name)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "updatedocs:", err)
		os.Exit(1)
	}
}

// moduleRoot is the nearest directory above the working one with a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
