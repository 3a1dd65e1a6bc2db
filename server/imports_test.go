package server_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyTransportImportsGws keeps the WebSocket library of the game path behind one package (test files may use it
// as a client).
func TestOnlyTransportImportsGws(t *testing.T) {
	const m = "github.com/tickwire/tickwire/server"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, m, m+"/cmd/...",
		m+"/internal/session", m+"/internal/directory", m+"/internal/metrics", m+"/internal/room").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, "github.com/lxzan/gws") && fields[0] != "github.com/tickwire/tickwire/server/internal/transport" {
				t.Errorf("%s imports %s; only server/internal/transport may", fields[0], imp)
			}
		}
	}
}
