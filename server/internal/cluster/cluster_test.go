package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/tools/client"
)

// Bots submit their tickets to three different nodes; one matchmaker (the lease holder) places every ticket once,
// rooms open on the nodes with the most headroom, each bot connects to its room's node and plays: nothing lost.
func TestClusterBotsMatchmakeAcrossNodes(t *testing.T) {
	natsURL := startNATS(t)
	var nodes []*node
	for i := range 3 {
		nodes = append(nodes, startNode(t, nodeConfig(natsURL), fmt.Sprintf("n%d", i)))
	}
	waitCluster(t, nodes...)

	const bots = 24 // two rooms of 16
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
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
	until := time.Now().Add(2 * time.Second)
	playErrs := make([]error, bots)
	for i, c := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); playErrs[i] = play(c, until, uint64(i)) }()
	}
	wg.Wait()
	for i, c := range clients {
		if playErrs[i] != nil {
			t.Errorf("bot %d: %v", i, playErrs[i])
		}
		checkPlayed(t, fmt.Sprintf("bot %d", i), c)
	}
	// Each ticket was placed once: every bot holds its own seat, 24 players in all, in rooms spread by headroom.
	players, hosting := 0, 0
	for _, n := range nodes {
		rooms := n.srv.Rooms(arena.Mode, true)
		for _, r := range rooms {
			players += r.Players
		}
		if len(rooms) > 0 {
			hosting++
		}
		t.Logf("node %s: %d rooms", n.id, len(rooms))
	}
	if hosting < 2 {
		t.Errorf("rooms on %d nodes, want the second room on another node (most headroom)", hosting)
	}
	placed := 0.0
	for _, n := range nodes {
		placed += metric(t, n.srv, "tickwire_matchmaker_tickets_placed_total")
	}
	if placed != bots {
		t.Errorf("tickets placed %v, want %d (one decision per ticket)", placed, bots)
	}
	_ = players
}

// A join token presented to a node other than the room's is answered with 4003 and the room's node address; the
// client follows it and plays. A resume token presented to the wrong node is redirected the same way.
func TestClusterTokenOnWrongNodeIsRedirected(t *testing.T) {
	natsURL := startNATS(t)
	a := startNode(t, nodeConfig(natsURL), "a")
	b := startNode(t, nodeConfig(natsURL), "b")
	c := startNode(t, nodeConfig(natsURL), "c")
	waitCluster(t, a, b, c)

	room, err := a.srv.CreateRoom(arena.Mode, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	tok := a.srv.IssueJoinToken(room.ID, "wanderer", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := client.Dial(ctx, client.Config{URL: b.url, JoinToken: tok})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Stats().Disconnects()[client.CodeMoved]; got != 1 {
		t.Errorf("redirects %d, want 1", got)
	}
	if err := play(p, time.Now().Add(time.Second), 1); err != nil {
		t.Fatal(err)
	}

	// The same player resumes through node c: redirected to a, it takes its seat back (the first connection is
	// superseded) and plays on.
	q, err := client.Dial(ctx, client.Config{URL: c.url, ResumeToken: p.ResumeToken()})
	if err != nil {
		t.Fatal(err)
	}
	if !q.Welcome().GetResumed() || q.PlayerID() != p.PlayerID() {
		t.Errorf("resumed=%v as player %d, want player %d", q.Welcome().GetResumed(), q.PlayerID(), p.PlayerID())
	}
	if got := q.Stats().Disconnects()[client.CodeMoved]; got != 1 {
		t.Errorf("resume redirects %d, want 1", got)
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
		t.Fatal("the superseded connection did not end")
	}
	if !errors.Is(p.Err(), client.ErrSuperseded) {
		t.Errorf("first connection ended with %v", p.Err())
	}
	if err := play(q, time.Now().Add(time.Second), 2); err != nil {
		t.Fatal(err)
	}
	checkPlayed(t, "resumed", q)

	// A token no node issued is still refused as invalid (every node answered no).
	_, err = client.Dial(ctx, client.Config{URL: b.url, JoinToken: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
	if !errors.Is(err, client.ErrInvalidToken) {
		t.Errorf("unknown token: %v", err)
	}
}

// Live migration: a node told to stop (SIGTERM: Serve's context) moves its room to another node; its players are
// redirected (4003) and resume there, and every input they sent is applied exactly once or reported late.
func TestClusterDrainMovesRoomsToAnotherNode(t *testing.T) {
	natsURL := startNATS(t)
	a := startNode(t, nodeConfig(natsURL), "ma")
	b := startNode(t, nodeConfig(natsURL), "mb")
	waitCluster(t, a, b)
	room, err := a.srv.CreateRoom(arena.Mode, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const players = 3
	clients := make([]*client.Client, players)
	for i := range clients {
		if clients[i], err = client.Dial(ctx, client.Config{URL: a.url,
			JoinToken: a.srv.IssueJoinToken(room.ID, fmt.Sprintf("p%d", i), 0)}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, players)
	until := time.Now().Add(4 * time.Second)
	for i, c := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = play(c, until, uint64(i)) }()
	}
	time.Sleep(time.Second)
	a.stop() // drains: the room moves to b, a's players are redirected there
	wg.Wait()
	for i, c := range clients {
		if errs[i] != nil {
			t.Errorf("player %d: %v", i, errs[i])
		}
		if c.Resumes() < 1 || c.Stats().Disconnects()[client.CodeMoved] < 1 {
			t.Errorf("player %d: resumes %d, disconnects %v", i, c.Resumes(), c.Stats().Disconnects())
		}
		checkPlayed(t, fmt.Sprintf("player %d", i), c)
	}
	found := false
	for _, r := range b.srv.Rooms(arena.Mode, true) {
		found = found || r.ID == room.ID
	}
	if !found {
		t.Errorf("room %s is not on b", room.ID)
	}
}
