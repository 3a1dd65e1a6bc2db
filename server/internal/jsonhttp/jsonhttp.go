// Package jsonhttp holds what the tests of Tickwire's JSON HTTP APIs share: one call that sends a request, insists on
// a JSON answer and decodes it. It is imported by tests only.
package jsonhttp

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Call sends method path (relative to base) with body and, when key is not empty, the X-API-Key header; it fails the
// test unless the answer is JSON, decodes it into out (when not nil), and returns the status code.
func Call(t testing.TB, base, method, path, key, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: content type %q, body %s", method, path, ct, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}
