package attack

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/tickwire/tickwire/server"
)

// attackConfig is DefaultConfig with short timeouts, for the attack cases.
func attackConfig() server.Config {
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Grace = 2 * time.Second
	cfg.HandshakeTimeout = 2 * time.Second
	cfg.HeartbeatTimeout = 5 * time.Second
	cfg.ShutdownTimeout = 3 * time.Second
	return cfg
}

// parallel runs f(i) for i in [0, n) on at most conc goroutines.
func parallel(n, conc int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < conc; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// upgradeRequest is a WebSocket upgrade request for /ws.
func upgradeRequest(host string) string {
	return "GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
}

// Garbage frames from 200 connections of one source are each refused with 4500 (bad frame), while the bots play on.
func TestAttackGarbageFrames(t *testing.T) {
	e := Start(t, attackConfig(), Options{})
	src := SourceIP(0, 0)
	const n = 200
	codes := make(chan uint16, n)
	parallel(n, 16, func(int) {
		ws, err := e.DialRaw(src)
		if err != nil {
			t.Errorf("dial: %v", err)
			codes <- 0
			return
		}
		_ = ws.WriteMessage(gws.OpcodeBinary, []byte{0xff, 0xff, 0xff, 0xff, 0x0f})
		codes <- ws.WaitClosed(t, 10*time.Second)
	})
	close(codes)
	e.Mem("after the garbage")
	got := map[uint16]int{}
	for c := range codes {
		got[c]++
	}
	if got[4500] != n {
		t.Errorf("close codes %v, want %d × 4500", got, n)
	}
	e.Finish()
}

// upgradeAll sends n WebSocket upgrade requests (conc at a time) from source src(i), holds the connections the
// server upgraded (returned) and closes the others; it returns the count of each HTTP status.
func upgradeAll(t *testing.T, e *Env, n, conc int, src func(i int) net.IP) (map[int]int, []net.Conn) {
	var mu sync.Mutex
	var held []net.Conn
	statuses := make([]int, n)
	parallel(n, conc, func(i int) {
		c, err := DialFrom(src(i)).Dial("tcp", e.Addr)
		if err != nil {
			t.Errorf("dial %d: %v", i, err)
			return
		}
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.WriteString(c, upgradeRequest(e.Addr)); err != nil {
			t.Errorf("write %d: %v", i, err)
			c.Close()
			return
		}
		resp, err := http.ReadResponse(bufio.NewReaderSize(c, 512), nil)
		if err != nil {
			t.Errorf("response %d: %v", i, err)
			c.Close()
			return
		}
		statuses[i] = resp.StatusCode
		if resp.StatusCode == http.StatusSwitchingProtocols {
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			return
		}
		c.Close()
	})
	got := map[int]int{}
	for _, s := range statuses {
		got[s]++
	}
	return got, held
}

// One source opens 10,000 WebSockets (64 at a time) and holds every one the server upgrades: it gets exactly
// SourceConnections of them, and every other attempt is refused before the upgrade with 429, counted by reason.
func TestAttackTenThousandSockets(t *testing.T) {
	cfg := attackConfig()
	cfg.HandshakeTimeout = time.Minute // the held sockets stay until the test closes them
	e := Start(t, cfg, Options{})
	const n = 10000
	got, held := upgradeAll(t, e, n, 64, func(int) net.IP { return SourceIP(0, 0) })
	e.Mem("10,000 attempts done, upgraded ones held")
	t.Logf("statuses %v; refusals: source_connections %.0f, source_upgrade_rate %.0f, handshakes %.0f", got,
		e.Counter("tickwire_limit_refusals_total", "reason", "source_connections"),
		e.Counter("tickwire_limit_refusals_total", "reason", "source_upgrade_rate"),
		e.Counter("tickwire_limit_refusals_total", "reason", "handshakes"))
	if got[101] != cfg.SourceConnections || got[429] != n-cfg.SourceConnections {
		t.Errorf("statuses %v, want %d × 101 and the rest 429", got, cfg.SourceConnections)
	}
	refused := e.Counter("tickwire_limit_refusals_total", "reason", "source_connections") +
		e.Counter("tickwire_limit_refusals_total", "reason", "source_upgrade_rate")
	if int(refused) != got[429] {
		t.Errorf("refusals counted %.0f, 429s seen %d", refused, got[429])
	}
	for _, c := range held {
		c.Close()
	}
	e.Finish()
}

// Eight sources each open 100 WebSockets and never send Hello: the server holds at most MaxHandshakes of them and
// refuses the rest with 503; the bots, past their handshake, are not affected, and once the idle sockets are gone a
// new client gets in.
func TestAttackHandshakeCap(t *testing.T) {
	cfg := attackConfig()
	cfg.HandshakeTimeout = time.Minute
	cfg.MaxHandshakes = 300
	e := Start(t, cfg, Options{})
	const n = 800
	got, held := upgradeAll(t, e, n, 32, func(i int) net.IP { return SourceIP(0, i%8) })
	e.Mem("idle sockets held")
	t.Logf("statuses %v; refusals: handshakes %.0f", got, e.Counter("tickwire_limit_refusals_total", "reason", "handshakes"))
	if got[101] != cfg.MaxHandshakes || got[503] != n-cfg.MaxHandshakes ||
		int(e.Counter("tickwire_limit_refusals_total", "reason", "handshakes")) != got[503] {
		t.Errorf("statuses %v, want %d × 101 and the rest 503, each counted", got, cfg.MaxHandshakes)
	}
	for _, c := range held {
		c.Close()
	}
	for i := 0; e.Counter("tickwire_handshakes_open") > 0; i++ {
		if i == 500 {
			t.Fatalf("%.0f handshake places still taken after the sockets closed", e.Counter("tickwire_handshakes_open"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	ws, err := e.DialRaw(SourceIP(0, 9))
	if err != nil {
		t.Fatalf("a new client after the attack: %v", err)
	}
	_ = ws.NetConn().Close()
	e.Finish()
}

// Slow HTTP clients (slowloris): one source opens more connections than its cap and trickles header bytes. Those
// over the cap are answered 429 at once; the rest are closed at the header timeout. Meanwhile another source still
// gets its requests through.
func TestAttackSlowloris(t *testing.T) {
	cfg := attackConfig()
	cfg.ReadHeaderTimeout = time.Second
	cfg.SourceHTTPConns = 100
	e := Start(t, cfg, Options{})
	src := SourceIP(0, 0)
	const n = 150
	conns := make([]net.Conn, n)
	parallel(n, 16, func(i int) {
		c, err := DialFrom(src).Dial("tcp", e.Addr)
		if err != nil {
			t.Errorf("dial %d: %v", i, err)
			return
		}
		_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
		conns[i] = c
	})
	// Another source's request goes through while the slow ones are held.
	hc := &http.Client{Transport: &http.Transport{DialContext: DialFrom(SourceIP(0, 1)).DialContext}}
	resp, err := hc.Get(e.HTTP + "/healthz")
	if err != nil {
		t.Fatalf("another source: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("another source: status %d", resp.StatusCode)
	}
	e.Mem("slow connections held")
	// Each slow connection trickles a byte of a header every 100 ms until the server ends it: at once (429, over the
	// cap) or at the header timeout (no response, or 408).
	var refused, timedOut atomic.Int64
	parallel(n, n, func(i int) {
		c := conns[i]
		if c == nil {
			return
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
		done := make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(c)
			done <- b
		}()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for j := 0; ; j++ {
			select {
			case b := <-done:
				if bytes.HasPrefix(b, []byte("HTTP/1.1 429")) {
					refused.Add(1)
				} else if !bytes.HasPrefix(b, []byte("HTTP/1.1 200")) {
					timedOut.Add(1)
				}
				return
			case <-tk.C:
				_, _ = io.WriteString(c, "X"[:1])
			}
		}
	})
	t.Logf("slow connections: %d refused at once (429), %d ended by the header timeout; refusals counted %.0f",
		refused.Load(), timedOut.Load(), e.Counter("tickwire_limit_refusals_total", "reason", "source_http_conns"))
	if refused.Load() != int64(n-cfg.SourceHTTPConns) || timedOut.Load() != int64(cfg.SourceHTTPConns) {
		t.Errorf("%d refused and %d timed out, want %d and %d", refused.Load(), timedOut.Load(),
			n-cfg.SourceHTTPConns, cfg.SourceHTTPConns)
	}
	e.Finish()
}

// A client that sends a 4 MiB frame gets the close code 1009 (message too big), not a reset: the server reads and
// discards the rest of the frame (bounded) before closing, so that its close frame arrives. The clients are raw
// sockets, as an attacker's would be: the frame's payload is one shared zero buffer (mask key zero), so the test's
// own clients cost no CPU to speak of and the bots' figures measure the server.
func TestAttackOversizedFrame(t *testing.T) {
	e := Start(t, attackConfig(), Options{})
	const n = 20
	big := make([]byte, 4<<20)
	header := []byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0} // FIN binary, masked, 4 MiB, key 0
	codes := make(chan uint16, n)
	parallel(n, 4, func(i int) {
		c, err := DialFrom(SourceIP(0, i%4)).Dial("tcp", e.Addr)
		if err != nil {
			t.Errorf("dial: %v", err)
			codes <- 0
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(15 * time.Second))
		br := bufio.NewReader(c)
		if _, err := io.WriteString(c, upgradeRequest(e.Addr)); err != nil {
			t.Errorf("write: %v", err)
			codes <- 0
			return
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Errorf("upgrade: %v %v", resp, err)
			codes <- 0
			return
		}
		go func() {
			if _, err := c.Write(header); err == nil {
				_, _ = c.Write(big)
			}
		}()
		codes <- readCloseCode(br)
	})
	close(codes)
	e.Mem("after the oversized frames")
	got := map[uint16]int{}
	for c := range codes {
		got[c]++
	}
	if got[1009] != n {
		t.Errorf("close codes %v, want %d × 1009 (0: the connection was reset or ended without a close frame)", got, n)
	}
	e.Finish()
}

// readCloseCode reads server frames until a close frame and returns its code (0: the stream ended or failed first).
func readCloseCode(br *bufio.Reader) uint16 {
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return 0
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return 0
			}
			n = uint64(b[0])<<8 | uint64(b[1])
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return 0
			}
			n = 0
			for _, x := range b {
				n = n<<8 | uint64(x)
			}
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return 0
		}
		if h[0]&0x0f == 0x8 {
			if len(payload) < 2 {
				return 0
			}
			return uint16(payload[0])<<8 | uint16(payload[1])
		}
	}
}

// One source submits 500 room-creating tickets (create_private) per second for two seconds: its queued tickets are
// capped (429), and the rooms made for the ones admitted are capped by the room creation rate (the rest fail).
func TestAttackRoomCreatingTickets(t *testing.T) {
	cfg := attackConfig()
	cfg.RoomRate = 0.001 // about none refill during the test: the burst is what the attack can create
	cfg.RoomBurst = 20
	// The private rooms the attack could open stay until their empty timeout: a goroutine each, bounded by the burst.
	e := Start(t, cfg, Options{GoroutineSlack: 32 + cfg.RoomBurst})
	hc := &http.Client{Transport: &http.Transport{DialContext: DialFrom(SourceIP(0, 0)).DialContext,
		MaxIdleConnsPerHost: 64}}
	const perSecond, seconds = 500, 2
	statuses := make([]int, perSecond*seconds)
	body := []byte(`{"mode":"arena","create_private":true}`)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	tk := time.NewTicker(time.Second / perSecond)
	for i := range statuses {
		<-tk.C
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			resp, err := hc.Post(e.HTTP+"/v1/matchmaking/tickets", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Errorf("ticket %d: %v", i, err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	tk.Stop()
	wg.Wait()
	e.Mem("after the tickets")
	got := map[int]int{}
	for _, s := range statuses {
		got[s]++
	}
	rooms := len(e.Srv.Rooms("", true))
	t.Logf("statuses %v, rooms running %d; refusals: source_tickets %.0f, room_rate %.0f", got, rooms,
		e.Counter("tickwire_limit_refusals_total", "reason", "source_tickets"),
		e.Counter("tickwire_limit_refusals_total", "reason", "room_rate"))
	if got[201]+got[429] != len(statuses) || got[429] == 0 {
		t.Errorf("statuses %v, want only 201 and 429, some 429", got)
	}
	if rooms > cfg.RoomBurst {
		t.Errorf("%d rooms running, want at most %d (the bots' and the burst's)", rooms, cfg.RoomBurst)
	}
	if e.Counter("tickwire_limit_refusals_total", "reason", "room_rate") == 0 {
		t.Errorf("no room creation was refused by the rate")
	}
	// An oversized ticket is refused with 413.
	resp, err := hc.Post(e.HTTP+"/v1/matchmaking/tickets", "application/json",
		bytes.NewReader([]byte(fmt.Sprintf(`{"mode":"arena","players":[%q]}`, bytes.Repeat([]byte("x"), 8000)))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("8 KB ticket: status %d, want 413", resp.StatusCode)
	}
	hc.CloseIdleConnections()
	e.Finish()
}
