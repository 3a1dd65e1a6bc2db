// Package attack is the open-internet attack suite: each case starts a real Tickwire server on loopback, lets a few
// well-behaved bots play on it, attacks it from other loopback source addresses, and then checks that the bots never
// noticed: still connected, a snapshot for (nearly) every tick the server ran, every input applied or reported late,
// and memory and goroutines back within bounds. The package has test files only.
//
// The harness (this file): Start, Env.Finish, Env.Counter, Env.Mem, SourceIP and DialFrom. Each feature's cases live in
// their own file, <feature>_test.go.
package attack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// Options shape one attack environment. Zero values get the defaults in brackets.
type Options struct {
	// Bots is how many well-behaved bots play during the attack [8]. They join one arena room by quick play, each
	// from its own source address (127.0.1.x), so that per-source limits aimed at the attacker never touch them.
	Bots int
	// MinTicks is the fewest server ticks the measured window must span; Finish waits (bounded) for them [60].
	MinTicks uint32
	// HeapBudget is how far the live heap (after GC) may grow from just before the attack to Finish [64 MiB].
	HeapBudget uint64
	// GoroutineSlack is how many goroutines more than before the attack may remain at Finish [32].
	GoroutineSlack int
	// SnapshotShare is the least share of the window's ticks each bot must receive a snapshot for [0.9]. The server
	// replaces a snapshot its writer has not sent yet with the next, so a starved writer skips some; more than a
	// tenth of them means the attack took the game's bandwidth or CPU.
	SnapshotShare float64
}

func (o *Options) defaults() {
	if o.Bots == 0 {
		o.Bots = 8
	}
	if o.MinTicks == 0 {
		o.MinTicks = 60
	}
	if o.HeapBudget == 0 {
		o.HeapBudget = 64 << 20
	}
	if o.GoroutineSlack == 0 {
		o.GoroutineSlack = 32
	}
	if o.SnapshotShare == 0 {
		o.SnapshotShare = 0.9
	}
}

// Env is one running attack environment.
type Env struct {
	T    *testing.T
	Srv  *server.Server
	Cfg  server.Config
	Addr string // host:port of the server
	URL  string // ws://Addr/ws
	HTTP string // http://Addr

	// Static after Start.
	opts  Options
	bots  []*bot
	base  MemFigures
	stop  func() // cancels Serve and waits for it
	ctx   context.Context
	endCh chan struct{} // closed by Finish: the bots' drivers stop

	mu   sync.Mutex
	peak MemFigures // the highest figures Mem saw
}

// bot is one well-behaved player: a tools/client Client driven by its own goroutine at its input clock's pace.
type bot struct {
	idx   int
	c     *client.Client
	stats *client.Stats
	done  chan struct{} // closed when the driver returns

	// Set by Start before the attack.
	snaps0 int64
	tick0  uint32
}

// SourceIP returns loopback source address i of a block: block 0 is the attackers' (127.0.0.x, x from 2), block 1
// the bots' (127.0.1.x). Linux routes all of 127.0.0.0/8 to the loopback interface.
func SourceIP(block, i int) net.IP {
	i += 2 // 127.x.y.0 is unusual and 127.0.0.1 is everyone's default
	return net.IPv4(127, byte(block>>8), byte(block)+byte(i>>8), byte(i))
}

// DialFrom returns a net.Dialer whose connections come from source address ip (client.DialerFrom: the port is
// picked at connect time, so thousands of connections in TIME_WAIT do not slow it down).
func DialFrom(ip net.IP) *net.Dialer {
	d := client.DialerFrom(ip)
	d.Timeout = 5 * time.Second
	return d
}

// Start runs a tickwire server with cfg (Addr is replaced by a loopback port of its own) and the arena mode, and
// opts.Bots bots playing on it; it returns once every bot has received snapshots, with the memory baseline taken.
func Start(t *testing.T, cfg server.Config, opts Options) *Env {
	t.Helper()
	opts.defaults()
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RegisterGame(arena.Mode, arena.Factory, server.GameOptions{MaxPlayers: max(16, opts.Bots)}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	e := &Env{T: t, Srv: srv, Cfg: cfg, Addr: ln.Addr().String(), opts: opts, ctx: ctx,
		endCh: make(chan struct{})}
	e.URL, e.HTTP = "ws://"+e.Addr+"/ws", "http://"+e.Addr
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(cfg.ShutdownTimeout + 10*time.Second):
				t.Errorf("Serve did not return within the shutdown timeout")
			}
		})
	}
	t.Cleanup(func() {
		e.endBots()
		e.stop()
	})

	dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer dcancel()
	for i := 0; i < opts.Bots; i++ {
		st := client.NewStats()
		c, err := client.Dial(dctx, client.Config{URL: e.URL, Mode: arena.Mode, Name: fmt.Sprintf("bot%d", i),
			ClientName: "attack-bot", Stats: st, PingInterval: time.Second, LocalAddr: SourceIP(1, i),
			Logger: logger})
		if err != nil {
			t.Fatalf("bot %d: %v", i, err)
		}
		b := &bot{idx: i, c: c, stats: st, done: make(chan struct{})}
		e.bots = append(e.bots, b)
		go e.drive(b)
	}
	// The window starts once every bot holds a world.
	for _, b := range e.bots {
		for i := 0; b.c.Tick() == 0; i++ {
			if i == 2000 {
				t.Fatalf("bot %d received no snapshot", b.idx)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for _, b := range e.bots {
		b.mark()
	}
	e.base = readMem()
	e.peak = e.base
	t.Logf("baseline: %v", e.base)
	return e
}

// mark records the bot's snapshot count and world tick at the start of the window.
func (b *bot) mark() {
	b.snaps0 = b.stats.Snapshots.Load()
	b.tick0 = b.c.Tick()
}

// drive sends the bot's inputs, one per tick at its input clock's pace, until Finish: the arena's standard
// wandering input, fire on every fifth.
func (e *Env) drive(b *bot) {
	defer close(b.done)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	vals := []int32{1, 0, 0, 0}
	for n := 0; ; n++ {
		wait := 5 * time.Millisecond // not joined (resuming): look again soon
		if at := b.c.NextInputAt(); !at.IsZero() {
			wait = time.Until(at)
		}
		if wait > 0 {
			t.Reset(wait)
			select {
			case <-e.endCh:
				return
			case <-t.C:
			}
		} else {
			select {
			case <-e.endCh:
				return
			default:
			}
		}
		if n%30 == 0 { // a new direction about once a second, never standing still
			vals[0], vals[1] = int32(n/30%3)-1, int32(n/90%2)*2-1
		}
		vals[2] = int32(uint16(n * 200))
		vals[3] = int32(n % 5 / 4)
		_, _ = b.c.SendInput(vals)
	}
}

// endBots stops the drivers (once).
func (e *Env) endBots() {
	select {
	case <-e.endCh:
	default:
		close(e.endCh)
	}
	for _, b := range e.bots {
		<-b.done
	}
}

// Finish ends the window and checks the bots and the process: every bot still connected and never dropped, a
// snapshot for at least SnapshotShare of the ticks the window spanned, every input sent acknowledged or reported
// late (none lost), and the live heap and the goroutines back within their budgets once the attack's connections
// are gone. Call it after the attack, once.
func (e *Env) Finish() {
	t := e.T
	t.Helper()
	// The window spans at least MinTicks (bounded wait: a server that stopped ticking fails below).
	for _, b := range e.bots {
		for i := 0; i < 1000 && b.c.Tick()-b.tick0 < e.opts.MinTicks; i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	rooms := e.Srv.Rooms(arena.Mode, true)
	for _, b := range e.bots {
		snaps, ticks := b.stats.Snapshots.Load()-b.snaps0, int64(b.c.Tick()-b.tick0)
		sent, acked := b.c.Inputs()
		t.Logf("bot %d: %d snapshots over %d ticks, inputs sent %d acked %d late %d, resumes %d, rtt p99 %.1f ms",
			b.idx, snaps, ticks, sent, acked, b.stats.InputsLate.Load(), b.c.Resumes(),
			rttP99(b.stats))
		if !b.c.Connected() || b.c.Resumes() != 0 {
			t.Errorf("bot %d: connected %v, resumes %d, closes %v, err %v", b.idx, b.c.Connected(), b.c.Resumes(),
				b.stats.Disconnects(), b.c.Err())
		}
		if ticks < int64(e.opts.MinTicks) {
			t.Errorf("bot %d: the window spans %d ticks, want at least %d (the room stopped ticking?)", b.idx,
				ticks, e.opts.MinTicks)
		}
		if float64(snaps) < e.opts.SnapshotShare*float64(ticks) {
			t.Errorf("bot %d: %d snapshots over %d ticks, want at least %.0f%%", b.idx, snaps, ticks,
				100*e.opts.SnapshotShare)
		}
	}
	t.Logf("rooms at the end: %+v", rooms)
	t.Logf("server: snapshots replaced unsent %.0f, sessions cut as slow %.0f", e.Counter("tickwire_outbound_drops_total",
		"reason", "replaced"), e.Counter("tickwire_outbound_drops_total", "reason", "skip_limit"))
	e.endBots()
	for _, b := range e.bots {
		_ = b.c.Close() // waits for the inputs in flight to be acknowledged
		s := b.stats
		sent, acked, late := s.InputsSent.Load(), s.InputsAcked.Load(), s.InputsLate.Load()
		lost, after := s.InputsLost.Load(), s.InputsAfterEnd.Load()
		if lost != 0 || s.AckRegress.Load() != 0 || s.AckBeyondSent.Load() != 0 || acked+late+after != sent ||
			acked == 0 {
			t.Errorf("bot %d: inputs sent %d = acked %d + late %d + after end %d? lost %d, ack regressions %d, "+
				"acks beyond sent %d", b.idx, sent, acked, late, after, lost, s.AckRegress.Load(),
				s.AckBeyondSent.Load())
		}
	}
	// The attack's connections end (closed by the server, or by the test's cleanups) within a bounded wait.
	var m MemFigures
	for i := 0; i < 200; i++ {
		m = readMem()
		if m.Goroutines <= e.base.Goroutines+e.opts.GoroutineSlack && m.HeapAlloc <= e.base.HeapAlloc+e.opts.HeapBudget {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	e.mu.Lock()
	peak := e.peak
	e.mu.Unlock()
	t.Logf("memory: baseline %v; peak seen %v; end %v", e.base, peak, m)
	if m.Goroutines > e.base.Goroutines+e.opts.GoroutineSlack {
		t.Errorf("%d goroutines at the end, baseline %d (+%d allowed)", m.Goroutines, e.base.Goroutines,
			e.opts.GoroutineSlack)
	}
	if m.HeapAlloc > e.base.HeapAlloc+e.opts.HeapBudget {
		t.Errorf("live heap %d MiB at the end, baseline %d MiB (+%d MiB allowed)", m.HeapAlloc>>20,
			e.base.HeapAlloc>>20, e.opts.HeapBudget>>20)
	}
}

// MemFigures are the process's memory figures after a GC. The server, the bots and the attackers share the process.
type MemFigures struct {
	HeapAlloc  uint64 // live heap bytes
	Sys        uint64 // bytes obtained from the OS
	Goroutines int
}

func (m MemFigures) String() string {
	return fmt.Sprintf("heap %.1f MiB, sys %.1f MiB, %d goroutines", float64(m.HeapAlloc)/(1<<20),
		float64(m.Sys)/(1<<20), m.Goroutines)
}

func readMem() MemFigures {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return MemFigures{HeapAlloc: ms.HeapAlloc, Sys: ms.Sys, Goroutines: runtime.NumGoroutine()}
}

// Mem takes the memory figures now (typically at the height of the attack), logs them under label and keeps the
// highest for Finish's report.
func (e *Env) Mem(label string) MemFigures {
	m := readMem()
	e.mu.Lock()
	e.peak.HeapAlloc = max(e.peak.HeapAlloc, m.HeapAlloc)
	e.peak.Sys = max(e.peak.Sys, m.Sys)
	e.peak.Goroutines = max(e.peak.Goroutines, m.Goroutines)
	e.mu.Unlock()
	e.T.Logf("memory %s: %v", label, m)
	return m
}

// Counter sums the samples of the server's metric name (a counter or gauge) whose labels include every
// name=value pair of labels ("reason", "per_source_connections", ...).
func (e *Env) Counter(name string, labels ...string) float64 {
	e.T.Helper()
	if len(labels)%2 != 0 {
		e.T.Fatalf("Counter %s: labels come in name, value pairs", name)
	}
	mfs, err := e.Srv.Registry().Gather()
	if err != nil {
		e.T.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for i := 0; i < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metric
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// RawWS is a bare WebSocket from a chosen source address, for attacks that speak the protocol wrongly. It records
// the close code the server sent (0: the connection ended without one).
type RawWS struct {
	*gws.Conn
	Resp   *http.Response
	done   chan struct{}
	code   uint16
	reason string
}

// Closed is closed when the connection has ended.
func (r *RawWS) Closed() <-chan struct{} { return r.done }

// Code is the close code the server sent; valid once Closed.
func (r *RawWS) Code() uint16 { return r.code }

type rawHandler struct {
	gws.BuiltinEventHandler
	r *RawWS
}

func (h rawHandler) OnClose(_ *gws.Conn, err error) {
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		h.r.code, h.r.reason = ce.Code, string(ce.Reason)
	}
	close(h.r.done)
}

// DialRaw opens a WebSocket to the server from source address src and starts its read loop. A refused upgrade
// returns the error and the HTTP response (its status says why).
func (e *Env) DialRaw(src net.IP) (*RawWS, error) {
	r := &RawWS{done: make(chan struct{})}
	d := DialFrom(src)
	ws, resp, err := gws.NewClient(rawHandler{r: r}, &gws.ClientOption{Addr: e.URL,
		NewDialer: func() (gws.Dialer, error) { return d, nil }})
	r.Resp = resp
	if err != nil {
		return r, err
	}
	r.Conn = ws
	go ws.ReadLoop()
	return r, nil
}

// WaitClosed waits (bounded) for the connection to end and returns the server's close code.
func (r *RawWS) WaitClosed(t testing.TB, within time.Duration) uint16 {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(within):
		_ = r.NetConn().Close()
		<-r.done
		t.Errorf("connection not closed by the server within %v", within)
	}
	return r.code
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func rttP99(s *client.Stats) float64 {
	h := s.RTT.Snapshot()
	return h.Quantile(0.99)
}
