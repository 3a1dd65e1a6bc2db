package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// proxy forwards TCP connections to a target until kill, which closes its listener and every connection at once
// (with a reset): what a process killed without a goodbye looks like from the other end of its sockets.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]bool
	dead   bool
	wg     sync.WaitGroup
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.kill)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c, u) {
			return
		}
		p.wg.Add(2)
		go p.pipe(c, u)
		go p.pipe(u, c)
	}
}

func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead {
		for _, c := range cs {
			_ = c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

func (p *proxy) kill() {
	p.mu.Lock()
	if p.dead {
		p.mu.Unlock()
		return
	}
	p.dead = true
	_ = p.ln.Close()
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// recoveredArena is the arena with game.Recoverer: it records what each rebuilt room was told.
type recoveredArena struct{ *arena.Arena }

var (
	recoveredMu   sync.Mutex
	recoveredLost []int // the lostTicks each rebuilt room's Sim was told
)

func (a *recoveredArena) Recovered(lostTicks int) {
	recoveredMu.Lock()
	recoveredLost = append(recoveredLost, lostTicks)
	recoveredMu.Unlock()
}

var _ game.Recoverer = (*recoveredArena)(nil)

// crashNode is a node whose players and NATS server reach it only through proxies: kill cuts both at once, and the
// node, alone with its rooms, is never heard of again.
type crashNode struct {
	*node
	ws, nats *proxy
}

// startCrashNode runs a node behind proxies: its public address is its proxy's, and it reaches NATS through another.
func startCrashNode(t *testing.T, natsURL string, cfg server.Config, id string) *crashNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	np := startProxy(t, natsURL[len("nats://"):])
	wp := startProxy(t, ln.Addr().String())
	cfg.Addr = ln.Addr().String()
	cfg.NodeID = id
	cfg.NodeAddr = wp.addr()
	cfg.NATS = "nats://" + np.addr()
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	factory := func(gc game.Config) (game.Sim, error) {
		a, err := arena.New(gc)
		if err != nil {
			return nil, err
		}
		return &recoveredArena{Arena: a}, nil
	}
	if err := srv.RegisterGame(arena.Mode, factory, server.GameOptions{MaxPlayers: 4}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	n := &crashNode{node: &node{srv: srv, id: id, addr: wp.addr(), url: "ws://" + wp.addr() + "/ws"}, ws: wp, nats: np}
	var once sync.Once
	n.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done: // a killed node's shutdown fails to reach NATS: its error says nothing
			case <-time.After(cfg.DrainTimeout + cfg.ShutdownTimeout + 30*time.Second):
				t.Errorf("node %s: Serve did not return", id)
			}
		})
	}
	t.Cleanup(n.stop)
	return n
}

// kill cuts the node off: its players' connections and its NATS connection reset, its address refuses connections.
func (n *crashNode) kill() {
	n.ws.kill()
	n.nats.kill()
}

// playUntilStopped sends one arena input per tick until stop is closed (as play).
func playUntilStopped(c *client.Client, stop <-chan struct{}, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 11))
	dx, dy := int32(1), int32(0)
	for {
		select {
		case <-stop:
			return nil
		case <-c.Done():
			return c.Err()
		default:
		}
		if wait := time.Until(c.NextInputAt()); wait > 0 {
			time.Sleep(min(wait, 50*time.Millisecond))
		}
		if r.IntN(30) == 0 {
			dx, dy = int32(r.IntN(3)-1), int32(r.IntN(3)-1)
		}
		_, err := c.SendInput([]int32{dx, dy, int32(r.IntN(360)), int32(r.IntN(5) / 4)})
		switch {
		case err == nil, errors.Is(err, client.ErrInputEarly), errors.Is(err, client.ErrNotConnected),
			errors.Is(err, client.ErrInputBacklog):
		default:
			return fmt.Errorf("send input: %w", err)
		}
	}
}

// A node dies without a goodbye (its sockets reset, its NATS connection cut, its rooms never heard of again) while
// bots play in rooms on all three nodes: every room it held is rebuilt on a survivor from its streamed snapshot and
// journal, each of its bots resumes there (through the other nodes Welcome named: 4004 while the room is rebuilt,
// then 4003 to its new node), no input is applied twice, the ticks lost are within what the rebuild reports (and
// runs again), and the game hook and the metrics report it.
func TestRecoveryAfterNodeDies(t *testing.T) {
	natsURL := startNATS(t)
	cfg := nodeConfig(natsURL)
	cfg.Grace = 15 * time.Second // the resume must outlast the expiry (3 s), the claim and the rebuild
	cfg.CheckpointInterval = time.Second
	cfg.StreamFlush = 100 * time.Millisecond
	var nodes []*crashNode
	var plain []*node
	for i := range 3 {
		n := startCrashNode(t, natsURL, cfg, fmt.Sprintf("r%d", i))
		nodes = append(nodes, n)
		plain = append(plain, n.node)
	}
	waitCluster(t, plain...)

	const bots = 12 // rooms of 4: spread over the nodes by headroom
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	clients := make([]*client.Client, bots)
	errs := make([]error, bots)
	var wg sync.WaitGroup
	for i := range bots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mm := &client.HTTPMatchmaker{BaseURL: "http://" + nodes[i%3].addr}
			clients[i], errs[i] = client.Dial(ctx, client.Config{Matchmaker: mm, Mode: arena.Mode,
				Name: fmt.Sprintf("bot%d", i)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("bot %d: %v", i, err)
		}
	}
	stop := make(chan struct{})
	playErrs := make([]error, bots)
	for i, c := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); playErrs[i] = playUntilStopped(c, stop, uint64(i)) }()
	}
	stopped := false
	defer func() {
		if !stopped {
			close(stop)
			wg.Wait()
		}
	}()
	time.Sleep(2500 * time.Millisecond) // a snapshot of every room (1 s) and entries after it

	// The victim: the node holding the most bots.
	where := map[string]string{} // room id → its node's address
	for _, r := range nodes[0].srv.ClusterNode().Rooms().List() {
		where[r.ID] = r.Address
	}
	count := map[string]int{}
	for _, c := range clients {
		count[where[c.Welcome().GetRoomId()]]++
	}
	victim := nodes[0]
	for _, n := range nodes {
		if count[n.url] > count[victim.url] {
			victim = n
		}
	}
	rooms := map[string]bool{}
	var hit []int // the bots in the victim's rooms
	for i, c := range clients {
		if id := c.Welcome().GetRoomId(); where[id] == victim.url {
			rooms[id] = true
			hit = append(hit, i)
		}
	}
	if len(hit) == 0 {
		t.Fatalf("no bot plays on any node: rooms %v", where)
	}
	var survivors []*crashNode
	for _, n := range nodes {
		if n != victim {
			survivors = append(survivors, n)
		}
	}
	dups := func() float64 {
		sum := 0.0
		for _, n := range survivors {
			sum += metricLabeled(t, n.srv, "tickwire_inputs_dropped_total", "reason", "duplicate")
		}
		return sum
	}
	dupsBefore := dups()
	recoveredMu.Lock()
	hooksBefore := len(recoveredLost)
	recoveredMu.Unlock()

	victim.kill()
	killedAt := time.Now()
	lastSeen := map[string]uint32{} // room → the newest tick its bots saw before the node died
	for _, i := range hit {
		id := clients[i].Welcome().GetRoomId()
		lastSeen[id] = max(lastSeen[id], clients[i].Tick())
	}
	t.Logf("killed %s: %d rooms, %d bots", victim.id, len(rooms), len(hit))

	recovered := func() int {
		n := 0
		for _, s := range survivors {
			n += len(s.srv.ClusterNode().Recoveries())
		}
		return n
	}
	waitFor(t, 30*time.Second, "the dead node's rooms to be rebuilt", func() bool { return recovered() >= len(rooms) })
	roomsBack := time.Since(killedAt)
	waitFor(t, 30*time.Second, "every bot of the dead node to resume", func() bool {
		for _, i := range hit {
			if clients[i].Resumes() == 0 || !clients[i].Connected() {
				return false
			}
		}
		return true
	})
	botsBack := time.Since(killedAt)
	t.Logf("rooms rebuilt after %v, every bot resumed after %v", roomsBack.Round(time.Millisecond),
		botsBack.Round(time.Millisecond))
	time.Sleep(1500 * time.Millisecond) // play on in the rebuilt rooms
	close(stop)
	wg.Wait()
	stopped = true

	if got := recovered(); got != len(rooms) {
		t.Errorf("%d rooms rebuilt, want %d (each once)", got, len(rooms))
	}
	sumMetric := 0.0
	for _, s := range survivors {
		sumMetric += metric(t, s.srv, "tickwire_cluster_rooms_recovered_total")
		for _, r := range s.srv.ClusterNode().Recoveries() {
			if !rooms[r.Room] || r.From != victim.id {
				t.Errorf("rebuilt room %s from %s: not one of %s's rooms", r.Room, r.From, victim.id)
				continue
			}
			lost := int(lastSeen[r.Room]) - int(r.Tick)
			t.Logf("room %s: rebuilt on %s at tick %d, its bots had seen tick %d: %d ticks lost, reported %d, %d players, in %v",
				r.Room, s.id, r.Tick, lastSeen[r.Room], lost, r.LostTicks, r.Players, r.Took.Round(time.Millisecond))
			if lost > r.LostTicks {
				t.Errorf("room %s: %d ticks lost, more than the %d reported (and run again)", r.Room, lost, r.LostTicks)
			}
			if r.LostTicks > 30 {
				t.Errorf("room %s: %d ticks reported lost: the stream was more than a second behind", r.Room, r.LostTicks)
			}
		}
	}
	if int(sumMetric) != len(rooms) {
		t.Errorf("tickwire_cluster_rooms_recovered_total %v, want %d", sumMetric, len(rooms))
	}
	recoveredMu.Lock()
	hooks := len(recoveredLost) - hooksBefore
	recoveredMu.Unlock()
	if hooks != len(rooms) {
		t.Errorf("game.Recoverer called %d times, want %d", hooks, len(rooms))
	}
	if d := dups() - dupsBefore; d != 0 {
		t.Errorf("%v inputs refused as duplicates by the survivors: an input was sent again after it was applied", d)
	}
	for _, i := range hit {
		c := clients[i]
		if w := c.Welcome(); !w.GetResumed() || !rooms[w.GetRoomId()] {
			t.Errorf("bot %d: Welcome resumed %v room %s", i, w.GetResumed(), w.GetRoomId())
		}
		if sent, _ := c.Inputs(); c.Welcome().GetLastInputSeq() > sent {
			t.Errorf("bot %d: the rebuilt room applied seq %d, the bot sent %d", i, c.Welcome().GetLastInputSeq(), sent)
		}
	}
	for i, c := range clients {
		if playErrs[i] != nil {
			t.Errorf("bot %d: %v", i, playErrs[i])
		}
		checkPlayed(t, fmt.Sprintf("bot %d", i), c)
	}
}

// metricLabeled is the value of the series of a counter whose label has value.
func metricLabeled(t testing.TB, srv *server.Server, name, label, value string) float64 {
	t.Helper()
	mfs, err := srv.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
