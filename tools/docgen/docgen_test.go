package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReferenceIsFresh regenerates docs/reference in memory and compares it byte for byte with the committed files:
// a doc comment changed in proto/tickwire.proto, a public Go package or the SDK's declarations without `make docs`
// fails here.
func TestReferenceIsFresh(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(root)
	if errors.Is(err, ErrNoBuf) {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "docs", "reference")
	committed, _ := filepath.Glob(filepath.Join(dir, "*"))
	var names []string
	for _, f := range committed {
		names = append(names, filepath.Base(f))
	}
	if want := sortedKeys(files); !slices.Equal(names, want) {
		t.Errorf("docs/reference holds %v, the generator writes %v: run make docs", names, want)
	}
	for _, name := range sortedKeys(files) {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, files[name]) {
			t.Errorf("docs/reference/%s is stale: run make docs and commit it", name)
		}
	}
}

// The protocol reference names every message and enum of the .proto, and the TypeScript one every declaration file
// an entry point re-exports.
func TestReferenceCoversTheAPI(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	proto, err := protocolDoc(root)
	if errors.Is(err, ErrNoBuf) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"#### ClientFrame", "#### ServerFrame", "#### Welcome", "#### CloseCode",
		"| `max_message_bytes` | 40 | uint32 |", "| `params` | 15 | map<string, sint32> |", "`CLOSE_RATE_LIMITED` | 4508"} {
		if !bytes.Contains(proto, []byte(s)) {
			t.Errorf("protocol.md lacks %q", s)
		}
	}
	ts, err := tsAPIDoc(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"## lib/sdk/client.d.ts", "export declare class TickwireClient", "## lib/arena/arena.d.ts"} {
		if !bytes.Contains(ts, []byte(s)) {
			t.Errorf("typescript.md lacks %q", s)
		}
	}
	if bytes.Contains(ts, []byte("## lib/gen/")) {
		t.Error("typescript.md carries the generated protocol code")
	}
}
