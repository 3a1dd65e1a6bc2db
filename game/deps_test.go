package game_test

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// gamePath is the import path of the game packages: they may import each other and the standard library, nothing
// else, so that a game stays a pure simulation (no server, protocol, transport or third-party code).
const gamePath = "github.com/tickwire/tickwire/game"

// TestDependencies lists every package the game packages and their tests import, directly or not, and fails on any
// outside the standard library and the game tree.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	cmd := exec.Command(goTool, "list", "-deps", "-test",
		"-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	lines := strings.Fields(strings.ReplaceAll(string(out), " [", "\x00["))
	if !slices.Contains(lines, gamePath) {
		t.Fatalf("go list did not report %s itself: the check ran on nothing\n%s", gamePath, out)
	}
	for _, bad := range forbidden(lines) {
		t.Errorf("game packages depend on %s: only the standard library and %s/... are allowed", bad, gamePath)
	}
}

// forbidden returns the lines of go list output (non-standard import paths, test variants included) naming a package
// outside the game tree.
func forbidden(lines []string) []string {
	var bad []string
	for _, line := range lines {
		// Test variants read "path [path.test]", test mains "path.test", external test packages "path_test".
		path, _, _ := strings.Cut(line, "\x00")
		path = strings.TrimSuffix(strings.TrimSuffix(path, ".test"), "_test")
		if path != gamePath && !strings.HasPrefix(path, gamePath+"/") {
			bad = append(bad, strings.ReplaceAll(line, "\x00", " "))
		}
	}
	return bad
}

func TestForbidden(t *testing.T) {
	tests := []struct {
		line string
		bad  bool
	}{
		{gamePath, false},
		{gamePath + "/arena", false},
		{gamePath + "/arena\x00[" + gamePath + "/arena.test]", false},
		{gamePath + "/arena.test", false},
		{gamePath + "_test\x00[" + gamePath + ".test]", false},
		{"github.com/tickwire/tickwire/proto", true},
		{"github.com/tickwire/tickwire/server/internal/room", true},
		{"github.com/tickwire/tickwire/gameserver", true},
		{"github.com/lxzan/gws", true},
		{"google.golang.org/protobuf/proto\x00[" + gamePath + "/arena.test]", true},
	}
	for _, tt := range tests {
		if got := len(forbidden([]string{tt.line})) == 1; got != tt.bad {
			t.Errorf("forbidden(%q) = %v, want %v", tt.line, got, tt.bad)
		}
	}
}
