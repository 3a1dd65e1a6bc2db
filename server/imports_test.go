package server_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyTransportImportsGws keeps the WebSocket library behind one package: no package under server/ but
// server/internal/transport imports gws (test files may use it as a client).
func TestOnlyTransportImportsGws(t *testing.T) {
	const m = "github.com/tickwire/tickwire/server"
	const transport = m + "/internal/transport"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, m+"/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		seen[fields[0]] = true
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, "github.com/lxzan/gws") && fields[0] != transport {
				t.Errorf("%s imports %s; only server/internal/transport may", fields[0], imp)
			}
		}
	}
	for _, p := range []string{m, transport, m + "/internal/service", m + "/internal/room", m + "/internal/session"} {
		if !seen[p] {
			t.Errorf("go list did not report %s", p)
		}
	}
}
