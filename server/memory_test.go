package server_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game/arena"
	pb "github.com/tickwire/tickwire/proto"
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

// TestMemoryPerPlayer joins players over real loopback WebSockets into full arena rooms (16 players), plays the
// standard workload for a few seconds (one input per tick each, fire on a fifth of them; every snapshot read) and
// reports the heap and goroutine stacks in use per player: connection, session, room share. The clients are raw
// sockets driven by the test's one goroutine (no client goroutine or buffer per player), so what is measured is the
// server's cost plus a net.Conn per player. MEMORY_PROFILE=file writes the heap profile (go tool pprof
// -sample_index=inuse_space); MEMORY_PLAYERS=n plays n players instead of 256 (a multiple of 16).
func TestMemoryPerPlayer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 256 players")
	}
	n, ticks := 256, 150 // 16 rooms; past the history (32 ticks)
	if v, err := strconv.Atoi(os.Getenv("MEMORY_PLAYERS")); err == nil && v > 0 {
		n = v
	}
	if os.Getenv("MEMORY_PROFILE") != "" {
		runtime.MemProfileRate = 512
	}
	cfg := testConfig()
	cfg.OpenJoin = true
	cfg.HandshakeTimeout = time.Minute
	cfg.HeartbeatTimeout = time.Minute                  // the first players send nothing until the last one has joined
	cfg.SourceConnections, cfg.SourceUpgradeRate = 0, 0 // one source opens them all
	ts := startServer(t, cfg)
	time.Sleep(50 * time.Millisecond)
	before := inUse()
	type player struct {
		c        net.Conn
		raw      syscall.RawConn
		tick     uint32 // the Welcome's tick
		at       time.Time
		seq      uint32
		lastTick uint32
	}
	buf := make([]byte, 64<<10)
	ps := make([]*player, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		req := "GET /ws HTTP/1.1\r\nHost: " + ts.addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReaderSize(c, 512), nil) // the server sends nothing more before Join
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade: %v", err)
		}
		for _, f := range []*pb.ClientFrame{hello(), joinMode(arena.Mode, fmt.Sprintf("p%d", i))} {
			b, _ := proto.Marshal(f)
			if _, err := c.Write(maskedFrame(fin|opBinary, b)); err != nil {
				t.Fatal(err)
			}
		}
		// Read frames up to the Welcome (the first frame the server sends after a Join).
		w, r := 0, 0
		var welcome *pb.Welcome
		for welcome == nil {
			m, err := c.Read(buf[w:])
			if err != nil {
				t.Fatalf("player %d: waiting for the welcome: %v", i, err)
			}
			w += m
			for w-r >= 2 && welcome == nil {
				size, hdr := int(buf[r+1]&0x7f), 2
				switch size {
				case 126:
					if w-r < 4 {
						break
					}
					size, hdr = int(binary.BigEndian.Uint16(buf[r+2:])), 4
				case 127:
					t.Fatal("unexpected 64-bit frame")
				}
				if w-r < hdr+size {
					break
				}
				var f pb.ServerFrame
				if err := proto.Unmarshal(buf[r+hdr:r+hdr+size], &f); err != nil {
					t.Fatal(err)
				}
				welcome = f.GetWelcome()
				r += hdr + size
			}
		}
		_ = c.SetDeadline(time.Time{})
		raw, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, &player{c: c, raw: raw, tick: welcome.GetTick(), at: time.Now()})
	}
	// drain reads whatever the socket holds without waiting (the callback never asks to wait).
	drain := func(p *player) {
		_ = p.raw.Read(func(fd uintptr) bool {
			for {
				if m, err := syscall.Read(int(fd), buf); m <= 0 || err != nil {
					return true
				}
			}
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tk := time.NewTicker(time.Second / 30)
	defer tk.Stop()
	for k := 0; k < ticks; k++ {
		<-tk.C
		for i, p := range ps {
			if k%30 == i%30 {
				p.seq++ // a new direction about once a second: the input's values change
			}
			at := p.tick + uint32(time.Since(p.at)*30/time.Second) + 3
			p.lastTick = max(at, p.lastTick+1)
			fire := int32(0)
			if rng.IntN(5) == 0 {
				fire = 1
			}
			b, _ := proto.Marshal(&pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: uint32(k + 1),
				Tick: p.lastTick, Values: []int32{int32(p.seq%3) - 1, int32(p.seq/3%3) - 1, int32(k * 6 % 360), fire}}}})
			if _, err := p.c.Write(maskedFrame(fin|opBinary, b)); err != nil {
				t.Fatalf("player %d: %v", i, err)
			}
			drain(p)
		}
	}
	for _, p := range ps {
		drain(p)
	}
	after := inUse()
	if f := os.Getenv("MEMORY_PROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		_ = pprof.WriteHeapProfile(out)
		_ = out.Close()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// The stack bytes the last collection scanned (the part in use), and the size new goroutines start with (the
	// runtime's average of those).
	scanned := []metrics.Sample{{Name: "/gc/scan/stack:bytes"}, {Name: "/gc/stack/starting-size:bytes"}}
	metrics.Read(scanned)
	per := float64(after-before) / float64(n)
	t.Logf("heap and stacks in use per player: %.1f KiB (%d players in rooms of 16, %d goroutines; stacks %.1f KiB per "+
		"player, of which %.1f used; new goroutines start with %d bytes)", per/1024, n, runtime.NumGoroutine(),
		float64(ms.StackInuse)/float64(n)/1024, float64(scanned[0].Value.Uint64())/float64(n)/1024, scanned[1].Value.Uint64())
	if per > 150*1024 {
		t.Errorf("%.1f KiB per player, want at most 150 KiB", per/1024)
	}
}
