package match

import "testing"

func TestSet(t *testing.T) {
	s, err := Compile("request:*", "*:error", "{db,cache}:*", "exact")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want bool
	}{
		{"request:start", true},
		{"request:body:read", true},
		{"http:error", true},
		{"db:query", true},
		{"cache:miss", true},
		{"exact", true},
		{"exactly", false},
		{"queue:push", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := s.Match(tt.name); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
	var empty *Set
	if empty.Match("x") || empty.Len() != 0 {
		t.Error("nil set matches")
	}
	if _, err := Compile("{unclosed"); err == nil {
		t.Error("bad pattern compiled")
	}
	if got := s.Patterns(); len(got) != 4 || got[0] != "request:*" {
		t.Errorf("Patterns = %v", got)
	}
}
