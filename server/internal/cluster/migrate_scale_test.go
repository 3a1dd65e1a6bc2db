package cluster_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/tools/client"
)

// migrationNode runs a light node for the migration tests: the drain's migration deadline (ShutdownTimeout) and the
// players' grace period leave room for a loaded machine.
func migrationNode(t testing.TB, natsURL, id string, maxRooms int) *node {
	cfg := nodeConfig(natsURL)
	cfg.ShutdownTimeout = 15 * time.Second
	cfg.Grace = 10 * time.Second
	cfg.ServiceAPIKey, cfg.ServiceAPIOn = serviceKey, "public"
	cfg.MaxRooms = maxRooms
	return startLightNode(t, cfg, id)
}

// 200 bots matchmake across three nodes and play; mid-match one node takes the path SIGTERM takes (Serve's context
// ends: Leave, Migrate, WaitRedirects, close). Every room of it moves to another node under its own id, with the
// world hash its importer replayed to equal to the hash at the export and its tick continuing from there; every bot
// of those rooms resumes there, and every input of every bot is acknowledged exactly once (none lost, none twice).
func TestClusterDrainMovesEveryRoomWith200Bots(t *testing.T) {
	natsURL := startNATS(t)
	var nodes []*node
	for i := range 3 {
		nodes = append(nodes, migrationNode(t, natsURL, fmt.Sprintf("s%d", i), 0))
	}
	waitCluster(t, nodes...)

	const n = 200
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bots := dialBots(t, ctx, nodes, n, 32)

	// The node to stop: the one with the most rooms.
	victim := nodes[0]
	for _, nd := range nodes {
		if len(nd.srv.Rooms(arena.Mode, true)) > len(victim.srv.Rooms(arena.Mode, true)) {
			victim = nd
		}
	}
	var others []*node
	for _, nd := range nodes {
		if nd != victim {
			others = append(others, nd)
		}
	}
	victimRooms := map[string]bool{}
	for _, r := range victim.srv.Rooms(arena.Mode, true) {
		victimRooms[r.ID] = true
	}
	if len(victimRooms) == 0 {
		t.Fatal("the node to stop has no room")
	}
	onVictim := 0
	for _, b := range bots {
		if victimRooms[b.room] {
			onVictim++
		}
	}
	t.Logf("%d bots in %d rooms on node %s", onVictim, len(victimRooms), victim.id)

	// Play; the victim is stopped after a second of it, and the bots play on for two seconds after it stopped.
	stopped := make(chan time.Duration, 1)
	go func() {
		time.Sleep(time.Second)
		start := time.Now()
		victim.stop()
		stopped <- time.Since(start)
	}()
	var wg sync.WaitGroup
	playDone := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			driveAll(bots, 4, time.Now().Add(500*time.Millisecond), 300*time.Millisecond)
			select {
			case <-playDone:
				return
			default:
			}
		}
	}()
	var took time.Duration
	select {
	case took = <-stopped:
	case <-ctx.Done():
		t.Fatal("the node did not stop")
	}
	time.Sleep(2 * time.Second)
	close(playDone)
	wg.Wait()
	t.Logf("node %s drained in %v", victim.id, took.Round(time.Millisecond))

	// Every room of the victim moved, kept its id, and continued from the world it was exported with.
	moves := victim.srv.RoomMoves()
	byRoom := map[string]int{}
	var pauses []time.Duration
	for i, m := range moves {
		byRoom[m.Room] = i
		pauses = append(pauses, m.Pause)
		if m.Err != "" || m.To == "" || m.To == victim.id {
			t.Errorf("room %s: moved to %q (%s)", m.Room, m.To, m.Err)
			continue
		}
		if m.ImportTick != m.Tick || m.ImportHash != m.Hash {
			t.Errorf("room %s: exported at tick %d hash %016x, imported at tick %d hash %016x", m.Room, m.Tick, m.Hash,
				m.ImportTick, m.ImportHash)
		}
		nd := whereIs(others, m.Room)
		if nd == nil || nd.id != m.To {
			t.Errorf("room %s: not running on %s", m.Room, m.To)
			continue
		}
		if info, _ := roomOn(nd, m.Room); info.Tick <= m.Tick {
			t.Errorf("room %s: at tick %d on %s, exported at %d", m.Room, info.Tick, nd.id, m.Tick)
		}
	}
	if got := histCount(t, victim, "tickwire_cluster_migration_pause_seconds"); got != uint64(len(moves)) {
		t.Errorf("migration pause histogram: %d observations, want %d", got, len(moves))
	}
	for id := range victimRooms {
		if _, ok := byRoom[id]; !ok {
			t.Errorf("room %s of the stopped node did not move", id)
		}
	}

	// Every bot resumed in its own room on the new node, its ticks continuing from the export's; every input
	// acknowledged exactly once.
	var gaps []time.Duration
	var sent, acked, late, lateElsewhere int64
	for i, b := range bots {
		name := fmt.Sprintf("bot %d", i)
		if b.err != nil {
			t.Errorf("%s: %v", name, b.err)
		}
		if err := b.c.Close(); err != nil {
			t.Errorf("%s: close: %v", name, err)
		}
		s := b.c.Stats()
		if got := b.c.Welcome().GetRoomId(); got != b.room {
			t.Errorf("%s: in room %s, joined %s", name, got, b.room)
		}
		sent += s.InputsSent.Load()
		acked += s.InputsAcked.Load()
		late += s.InputsLate.Load()
		if s.InputsLost.Load() != 0 || s.AckRegress.Load() != 0 || s.AckBeyondSent.Load() != 0 ||
			s.TicksMulti.Load() != 0 ||
			s.InputsSent.Load() != s.InputsAcked.Load()+s.InputsLate.Load()+s.InputsAfterEnd.Load() {
			t.Errorf("%s: inputs sent %d acked %d late %d after end %d lost %d; ack regressions %d beyond sent %d, "+
				"ticks with two inputs %d", name, s.InputsSent.Load(), s.InputsAcked.Load(), s.InputsLate.Load(),
				s.InputsAfterEnd.Load(), s.InputsLost.Load(), s.AckRegress.Load(), s.AckBeyondSent.Load(),
				s.TicksMulti.Load())
		}
		if !victimRooms[b.room] {
			lateElsewhere += s.InputsLate.Load()
			continue
		}
		if s.Disconnects()[client.CodeMoved] < 1 {
			t.Errorf("%s: resumes %d, disconnects %v", name, b.c.Resumes(), s.Disconnects())
			continue
		}
		// The connection change across the export: the last snapshot before it at or before the export's tick, the
		// first after it later (the room went on from the exported tick). No change of connection goes back in time.
		m := moves[byRoom[b.room]]
		found := false
		for _, ch := range b.w.changes() {
			if !ch.resumed || ch.after <= ch.before {
				t.Errorf("%s: a new connection (resumed %v) went from tick %d to %d", name, ch.resumed, ch.before,
					ch.after)
			}
			if ch.before <= m.Tick && ch.after > m.Tick && !found {
				found = true
				gaps = append(gaps, ch.gap)
			}
		}
		if !found {
			t.Errorf("%s: no resume across the export at tick %d: %+v", name, m.Tick, b.w.changes())
		}
	}
	for _, m := range moves {
		t.Logf("room %s to %s: pause %v (export %v, import %v, of which replay to first tick %v), %d players, "+
			"%d bytes", m.Room, m.To, m.Pause.Round(time.Millisecond), m.Export.Round(time.Millisecond),
			m.Import.Round(time.Millisecond), m.Replay.Round(time.Millisecond), m.Players, m.Bytes)
	}
	t.Logf("%d rooms moved: pause (export to first tick on the new node) p50 %v p99 %v max %v", len(moves),
		quantile(pauses, 0.5), quantile(pauses, 0.99), quantile(pauses, 1))
	t.Logf("%d bots moved: last snapshot before to first after p50 %v p99 %v max %v", len(gaps),
		quantile(gaps, 0.5), quantile(gaps, 0.99), quantile(gaps, 1))
	// Late inputs reached their room after it had run their tick (dropped, reported to the bot, never applied): on a
	// starved machine a bot's input clock can be late for all of its few inputs, so only the whole is checked here.
	if acked == 0 {
		t.Errorf("no input acknowledged")
	}
	t.Logf("inputs sent %d acked %d late %d (%d of them in the rooms that did not move)", sent, acked, late,
		lateElsewhere)
}
