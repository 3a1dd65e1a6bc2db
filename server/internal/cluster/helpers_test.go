package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// startNATS runs an in-process NATS server with JetStream, its store in a temporary directory, on loopback.
func startNATS(t testing.TB) string {
	t.Helper()
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT,
		JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	t.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	return s.ClientURL()
}

type node struct {
	srv  *server.Server
	id   string
	addr string // host:port
	url  string // ws://host:port/ws
	stop func()
}

// nodeConfig is a node's configuration for tests: loopback, per-source limits off (every bot comes from 127.0.0.1,
// and tickets forwarded to the matchmaking node come from the forwarding node).
func nodeConfig(natsURL string) server.Config {
	cfg := server.DefaultConfig()
	cfg.NATS = natsURL
	cfg.Grace = 3 * time.Second
	cfg.HandshakeTimeout = 5 * time.Second
	cfg.HeartbeatTimeout = 10 * time.Second
	cfg.ShutdownTimeout = 3 * time.Second
	cfg.SourceTickets, cfg.SourceConnections, cfg.SourceUpgradeRate, cfg.SourceHTTPConns = 0, 0, 0, 0
	cfg.MatchMinPlayers = 1
	return cfg
}

// startNode runs one tickwire node with the arena on a loopback port until the test ends (or stop).
func startNode(t testing.TB, cfg server.Config, id string) *node {
	t.Helper()
	return startNodeWith(t, cfg, id, server.GameOptions{MaxPlayers: 16})
}

// startNodeWith is startNode with the arena's room options.
func startNodeWith(t testing.TB, cfg server.Config, id string, arenaOpts server.GameOptions) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = ln.Addr().String()
	cfg.NodeID = id
	cfg.NodeAddr = ln.Addr().String()
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RegisterGame(arena.Mode, arena.Factory, arenaOpts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	n := &node{srv: srv, id: id, addr: ln.Addr().String(), url: "ws://" + ln.Addr().String() + "/ws"}
	n.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("node %s: Serve: %v", id, err)
				}
			case <-time.After(cfg.DrainTimeout + 2*cfg.ShutdownTimeout + 10*time.Second):
				t.Errorf("node %s: Serve did not return", id)
			}
		})
	}
	t.Cleanup(n.stop)
	return n
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// metric is the sum of a metric's series (counter or gauge) in srv's registry.
func metric(t testing.TB, srv *server.Server, name string) float64 {
	t.Helper()
	mfs, err := srv.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

// waitFor polls cond every 20 ms until it holds, failing the test after limit.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitCluster waits until every node sees all of them.
func waitCluster(t testing.TB, nodes ...*node) {
	t.Helper()
	waitFor(t, 15*time.Second, "every node to see the others", func() bool {
		for _, n := range nodes {
			if int(metric(t, n.srv, "tickwire_cluster_nodes")) != len(nodes) {
				return false
			}
		}
		return true
	})
}

// play sends one arena input per tick (the input clock's pace) until until, wandering: direction changes about once
// a second, fire on one input in five.
func play(c *client.Client, until time.Time, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, 7))
	dx, dy := int32(1), int32(0)
	angle := int32(0)
	for time.Now().Before(until) {
		select {
		case <-c.Done():
			return c.Err()
		default:
		}
		if wait := time.Until(c.NextInputAt()); wait > 0 {
			time.Sleep(wait)
		}
		if r.IntN(30) == 0 {
			dx, dy = int32(r.IntN(3)-1), int32(r.IntN(3)-1)
		}
		angle = (angle + 3) % 360
		fire := int32(0)
		if r.IntN(5) == 0 {
			fire = 1
		}
		_, err := c.SendInput([]int32{dx, dy, angle, fire})
		switch {
		case err == nil, errors.Is(err, client.ErrInputEarly), errors.Is(err, client.ErrNotConnected),
			errors.Is(err, client.ErrInputBacklog):
		default:
			return fmt.Errorf("send input: %w", err)
		}
	}
	return nil
}

// checkPlayed closes c and checks that it played: inputs acknowledged, none lost.
func checkPlayed(t testing.TB, name string, c *client.Client) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Errorf("%s: close: %v", name, err)
	}
	s := c.Stats()
	if s.InputsAcked.Load() == 0 || s.InputsLost.Load() != 0 || s.Snapshots.Load() == 0 {
		t.Errorf("%s: inputs sent %d acked %d late %d lost %d, snapshots %d", name, s.InputsSent.Load(),
			s.InputsAcked.Load(), s.InputsLate.Load(), s.InputsLost.Load(), s.Snapshots.Load())
	}
}
