package sandbox

import (
	"sync"
	"testing"
)

// Checkers in several sessions at once share the allowlist's types, which
// are built on first use: run under the race detector.
func TestConcurrentChecks(t *testing.T) {
	src := scriptOf("import \"slices\"\nimport \"strings\"\nimport \"time\"\nimport \"regexp\"\nimport \"encoding/json\"\nimport \"bytes\"",
		"var re = regexp.MustCompile(\"a+\")\ntype S struct{ b bytes.Buffer; d time.Duration }",
		"s := []string{\"b\", \"a\"}\n_ = slices.Index(s, \"a\")\n_ = strings.ToUpper(s[0])\n_ = re.MatchString(s[1])\nb, _ := json.Marshal(S{})\n_ = b\nvar x S\n_ = x.b.Len() + int(x.d.Seconds())")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = Check("c.go", []byte(src)) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
