package limits

import (
	"net/netip"
	"runtime"
	"testing"
	"time"
)

func addr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

func TestSourceConnectionsAndRate(t *testing.T) {
	var refused []Reason
	l := New(Config{SourceConnections: 3, SourceUpgradeRate: 1, SourceUpgradeBurst: 4,
		OnRefuse: func(r Reason) { refused = append(refused, r) }})
	now := time.Unix(1000, 0)
	a := addr(1)
	var holds []*Hold
	for i := 0; i < 3; i++ {
		h, r := l.Upgrade(a, now)
		if r != "" {
			t.Fatalf("upgrade %d refused: %s", i, r)
		}
		holds = append(holds, h)
	}
	if _, r := l.Upgrade(a, now); r != SourceConnections {
		t.Fatalf("4th connection: %q, want %s", r, SourceConnections)
	}
	if _, r := l.Upgrade(addr(2), now); r != "" {
		t.Fatalf("another source refused: %s", r)
	}
	holds[0].Release()
	holds[0].Release() // idempotent
	if _, r := l.Upgrade(a, now); r != "" {
		t.Fatalf("after a release: %s", r)
	}
	holds[1].Release()
	holds[2].Release()
	// 4 tokens of burst, all taken: the next needs a second.
	if _, r := l.Upgrade(a, now); r != SourceUpgradeRate {
		t.Fatalf("5th upgrade at once: %q, want %s", r, SourceUpgradeRate)
	}
	if _, r := l.Upgrade(a, now.Add(time.Second)); r != "" {
		t.Fatalf("a second later: %s", r)
	}
	if len(refused) != 2 {
		t.Errorf("refusals reported: %v", refused)
	}
}

// 100,000 sources go through a table of 1,000: it stays at 1,000, and the ones holding something keep their counts.
func TestTableBounded(t *testing.T) {
	l := New(Config{Sources: 1000, SourceConnections: 1})
	now := time.Unix(1000, 0)
	held, _ := l.Upgrade(addr(0), now)
	for i := 1; i < 100000; i++ {
		h, r := l.Upgrade(addr(i), now)
		if r != "" {
			t.Fatalf("source %d refused: %s", i, r)
		}
		h.Release()
	}
	if tab, hold := l.Len(); tab != 1000 || hold != 1 {
		t.Fatalf("table %d, holding %d; want 1000, 1", tab, hold)
	}
	if _, r := l.Upgrade(addr(0), now); r != SourceConnections {
		t.Fatalf("source 0 pushed out of the table lost its count: %q", r)
	}
	held.Release()
	if _, hold := l.Len(); hold != 0 {
		t.Fatalf("holding %d after the release", hold)
	}
}

func TestIPv6Slash64IsOneSource(t *testing.T) {
	l := New(Config{SourceConnections: 1})
	now := time.Unix(1000, 0)
	if _, r := l.Upgrade(netip.MustParseAddr("2001:db8:1:2::1"), now); r != "" {
		t.Fatal(r)
	}
	if _, r := l.Upgrade(netip.MustParseAddr("2001:db8:1:2:ffff::9"), now); r != SourceConnections {
		t.Fatalf("same /64: %q", r)
	}
	if _, r := l.Upgrade(netip.MustParseAddr("2001:db8:1:3::1"), now); r != "" {
		t.Fatalf("another /64: %q", r)
	}
}

func TestTicketsAndCodeMisses(t *testing.T) {
	l := New(Config{SourceTickets: 2, SourceCodeMisses: 3, CodeMissRefill: 10 * time.Second})
	now := time.Unix(1000, 0)
	a := addr(1)
	h1, _ := l.Ticket(a, false, now)
	h2, _ := l.Ticket(a, true, now)
	if _, r := l.Ticket(a, false, now); r != SourceTickets {
		t.Fatalf("3rd ticket: %q", r)
	}
	h1.Release()
	for i := 0; i < 3; i++ {
		l.CodeMissed(h2, now)
	}
	if _, r := l.Ticket(a, true, now); r != SourceCodeGuesses {
		t.Fatalf("code lookup after 3 misses: %q", r)
	}
	if _, r := l.Ticket(a, false, now); r != "" {
		t.Fatalf("a ticket without a code: %q", r)
	}
	if _, r := l.Ticket(addr(2), true, now.Add(10*time.Second)); r != "" {
		t.Fatalf("another source: %q", r)
	}
}

func TestAuthFailures(t *testing.T) {
	l := New(Config{SourceAuthFailures: 2, AuthFailRefill: time.Minute})
	now := time.Unix(1000, 0)
	a := addr(1)
	for i := 0; i < 2; i++ {
		if r := l.AuthAllowed(a, now); r != "" {
			t.Fatal(r)
		}
		l.AuthFailed(a, now)
	}
	if r := l.AuthAllowed(a, now); r != SourceAuthFailures {
		t.Fatalf("after 2 failures: %q", r)
	}
	if r := l.AuthAllowed(a, now.Add(time.Minute)); r != "" {
		t.Fatalf("a minute later: %q", r)
	}
}

func TestGlobalCaps(t *testing.T) {
	l := New(Config{Handshakes: 2, LongPolls: 1, HTTPConns: 2, SourceHTTPConns: 1, Rooms: 3, ModeRooms: 2,
		RoomRate: 1, RoomBurst: 2})
	now := time.Unix(1000, 0)
	if l.Handshake() != "" || l.Handshake() != "" || l.Handshake() != Handshakes {
		t.Fatal("handshake cap")
	}
	l.HandshakeDone()
	if l.Handshake() != "" {
		t.Fatal("handshake after done")
	}
	done, r := l.LongPoll()
	if r != "" {
		t.Fatal(r)
	}
	if _, r := l.LongPoll(); r != LongPolls {
		t.Fatalf("long-poll: %q", r)
	}
	done()
	done()
	if _, r := l.LongPoll(); r != "" {
		t.Fatalf("long-poll after done: %q", r)
	}
	h1, _ := l.HTTPConn(addr(1), true)
	if _, r := l.HTTPConn(addr(1), true); r != SourceHTTPConns {
		t.Fatalf("source http conns: %q", r)
	}
	h2, _ := l.HTTPConn(addr(1), false) // a trusted proxy: counted server-wide only
	if _, r := l.HTTPConn(addr(3), true); r != HTTPConns {
		t.Fatalf("http conns: %q", r)
	}
	l.HTTPConnDone(h1)
	l.HTTPConnDone(h2)
	if n := l.HTTPConnsOpen(); n != 0 {
		t.Fatalf("%d http conns open", n)
	}
	if r := l.Room(3, 0, now); r != Rooms {
		t.Fatalf("rooms: %q", r)
	}
	if r := l.Room(2, 2, now); r != ModeRooms {
		t.Fatalf("mode rooms: %q", r)
	}
	if l.Room(0, 0, now) != "" || l.Room(0, 0, now) != "" || l.Room(0, 0, now) != RoomRate {
		t.Fatal("room rate")
	}
}

// The table's memory per source, for the README's figure.
func TestMemoryPerSource(t *testing.T) {
	const n = 16384
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l := New(Config{Sources: n, SourceConnections: 10, SourceUpgradeRate: 10, SourceUpgradeBurst: 10})
	now := time.Unix(1000, 0)
	for i := 0; i < n; i++ {
		h, _ := l.Upgrade(addr(i), now)
		h.Release()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if tab, _ := l.Len(); tab != n {
		t.Fatalf("table %d", tab)
	}
	t.Logf("%d sources: %.1f MiB, %d bytes each", n, float64(after.HeapAlloc-before.HeapAlloc)/(1<<20),
		(after.HeapAlloc-before.HeapAlloc)/n)
	runtime.KeepAlive(l)
}
