package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// inUse returns the bytes of heap and goroutine stacks in use after a full collection.
func inUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// TestMemoryPerIdleConnection opens upgraded WebSocket connections that have not sent anything yet (idle, waiting
// for Hello) and reports the memory each costs the process. The figure includes the test's own client socket (a
// net.Conn per connection, a few hundred bytes), so it is an upper bound of the server's cost.
func TestMemoryPerIdleConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("opens many connections")
	}
	const n = 500
	cfg := testConfig()
	cfg.HandshakeTimeout = time.Minute
	cfg.SourceConnections, cfg.SourceUpgradeRate = 0, 0 // one source opens them all
	ts := startServer(t, cfg)
	req := "GET /ws HTTP/1.1\r\nHost: " + ts.addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReaderSize(c, 512), nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade: %v", err)
		}
		return c
	}
	// Warm up pools and the server's first-connection costs.
	for i := 0; i < 20; i++ {
		dial().Close()
	}
	time.Sleep(100 * time.Millisecond)
	before := inUse()
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		conns = append(conns, dial())
	}
	time.Sleep(200 * time.Millisecond) // every read loop parked in its first read
	after := inUse()
	per := float64(after-before) / n
	t.Logf("memory per idle connection: %.0f bytes (%.1f KiB), %d connections", per, per/1024, n)
	if per > 20*1024 {
		t.Errorf("%.1f KiB per idle connection, want under 20 KiB", per/1024)
	}
	for _, c := range conns {
		c.Close()
	}
}
