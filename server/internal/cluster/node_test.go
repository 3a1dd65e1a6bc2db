package cluster

import (
	"context"
	"log/slog"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/session"
)

func runNATS(t *testing.T) string {
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

// newTestNode starts a node over its own directory (with the arena) and token table.
func newTestNode(t *testing.T, url, id string, cores float64) *Node {
	t.Helper()
	load := NewLoadObserver(nil)
	dir := directory.New(directory.Config{Logger: slog.New(slog.DiscardHandler), Observer: load})
	if err := dir.Register(directory.Mode{Name: arena.Mode, Factory: arena.Factory,
		Room: room.Config{MaxPlayers: 16}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = dir.Close(ctx, "test_over")
	})
	n, err := New(Config{URL: url, NodeID: id, NodeAddr: "127.0.0.1:1", Heartbeat: 100 * time.Millisecond,
		Expiry: 500 * time.Millisecond, Cores: cores, Logger: slog.New(slog.DiscardHandler)},
		Local{Dir: dir, Tokens: session.NewTokens(64, time.Minute, time.Minute), JoinTTL: time.Minute, Load: load})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Start(ctx, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A node that stops heartbeating leaves the others' view within the expiry, and its rooms leave the room directory
// (the lease holder also deletes them from the bucket); the matchmaking lease stays with (or moves to) a live node.
func TestNodeThatStopsHeartbeatingLeaves(t *testing.T) {
	url := runNATS(t)
	a := newTestNode(t, url, "a", 2)
	b := newTestNode(t, url, "b", 2)
	waitUntil(t, "both nodes to see each other", func() bool { return len(a.Nodes()) == 2 && len(b.Nodes()) == 2 })

	// A room created through b on b itself (a room made directly in b's directory, published by b's heartbeat).
	r, err := b.local.Dir.Create(arena.Mode, directory.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a to list b's room", func() bool { _, ok := a.Rooms().Get(r.ID()); return ok })
	if info, _ := a.Rooms().Get(r.ID()); info.Address != b.Addr() {
		t.Errorf("room address %q, want b's %q", info.Address, b.Addr())
	}

	b.PauseHeartbeat()
	waitUntil(t, "a to forget b", func() bool { _, ok := a.Nodes()["b"]; return !ok })
	if _, ok := a.Rooms().Get(r.ID()); ok {
		t.Error("b's room is still listed after b stopped heartbeating")
	}
	for _, info := range a.Rooms().List() {
		if info.ID == r.ID() {
			t.Error("b's room is still in a's list")
		}
	}
	waitUntil(t, "a to hold the matchmaking lease", a.IsLeader)
	waitUntil(t, "b's room to leave the bucket", func() bool {
		_, err := a.roomsKV.Get(context.Background(), r.ID())
		return err != nil
	})
	// New rooms go to the live node only.
	for range 3 {
		info, err := a.Rooms().Create(arena.Mode, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := a.local.Dir.Get(info.ID); !ok {
			t.Errorf("room %s was not created on the only live node", info.ID)
		}
	}
}

// Rooms go to the node with the most headroom (cores − measured tick cost), counting the rooms placed since its last
// heartbeat: b, with less headroom, gets rooms only once a's is used up by those.
func TestCreateGoesToMostHeadroom(t *testing.T) {
	url := runNATS(t)
	a := newTestNode(t, url, "a", 1)
	b := newTestNode(t, url, "b", 0.5)
	waitUntil(t, "both nodes to see each other", func() bool { return len(a.Nodes()) == 2 && len(b.Nodes()) == 2 })
	for range 3 {
		info, err := a.Rooms().Create(arena.Mode, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if info.Address != a.Addr() {
			t.Errorf("room on %s, want a (b is busy)", info.Address)
		}
	}
}
