package proto

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeIsFresh regenerates the Go and TypeScript bindings into a temporary directory with the same route
// that produced the committed files (buf from client-web's node_modules, local plugins) and compares byte for byte.
func TestGeneratedCodeIsFresh(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	buf := filepath.Join(root, "client-web", "node_modules", ".bin", "buf")
	if _, err := os.Stat(buf); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("buf is missing (%v): run npm ci in client-web", err)
		}
		t.Skip("buf not installed; run npm ci in client-web")
	}
	out := t.TempDir()
	cmd := exec.Command(buf, "generate", "-o", out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buf generate: %v\n%s", err, b)
	}
	for _, dir := range []string{"proto", filepath.Join("client-web", "src", "gen")} {
		fresh, _ := filepath.Glob(filepath.Join(out, dir, "*"))
		committed, _ := filepath.Glob(filepath.Join(root, dir, "*"))
		var gen []string
		for _, f := range committed {
			if n := filepath.Base(f); filepath.Ext(n) == ".ts" || (len(n) > 6 && n[len(n)-6:] == ".pb.go") {
				gen = append(gen, f)
			}
		}
		if len(fresh) != len(gen) {
			t.Errorf("%s: %d generated files, %d committed", dir, len(fresh), len(gen))
		}
		for _, f := range fresh {
			want, _ := os.ReadFile(f)
			got, err := os.ReadFile(filepath.Join(root, dir, filepath.Base(f)))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s/%s is stale: run go generate ./proto", dir, filepath.Base(f))
			}
		}
	}
}
