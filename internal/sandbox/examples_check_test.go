package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// The example scripts pass the checker and load.
func TestExamplesLoad(t *testing.T) {
	files, err := filepath.Glob("../../examples/scripts/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(file, src); err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if _, err := Load(file, src, Options{LocalOnly: true}); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}
