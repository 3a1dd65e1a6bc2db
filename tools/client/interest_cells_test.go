package client_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tools/client"
)

// cellWatcher checks every world a client decodes in an arena whose players share views by cell: each entity it holds
// lies within the radius of the cell its own player is in, and the enter and exit calls build exactly that world.
// Read goroutine only, but for the counters.
type cellWatcher struct {
	client.NopHandler
	cell, radius int64 // sub-units

	seen       map[uint32]bool
	snapshots  atomic.Int64
	outside    atomic.Int64 // entities held beyond the radius of the player's cell
	noSelf     atomic.Int64 // snapshots without the player's own entity
	viewErrors atomic.Int64 // worlds that differ from what the enter and exit calls built
	crossings  atomic.Int64 // snapshots whose cell differs from the previous one's
	lastCell   int64
}

var _ client.ViewHandler = (*cellWatcher)(nil)

func (h *cellWatcher) OnEnter(_ *client.Client, e *game.Entity) {
	if h.seen[e.ID] {
		h.viewErrors.Add(1)
	}
	h.seen[e.ID] = true
}

func (h *cellWatcher) OnExit(_ *client.Client, e *game.Entity) {
	if !h.seen[e.ID] {
		h.viewErrors.Add(1)
	}
	delete(h.seen, e.ID)
}

func (h *cellWatcher) OnSnapshot(c *client.Client, w *snapcodec.World, _ uint32) {
	h.snapshots.Add(1)
	if len(h.seen) != len(w.Entities) {
		h.viewErrors.Add(1)
	}
	var me *game.Entity
	for i := range w.Entities {
		if !h.seen[w.Entities[i].ID] {
			h.viewErrors.Add(1)
		}
		if w.Entities[i].ID == c.PlayerID() {
			me = &w.Entities[i]
		}
	}
	if me == nil {
		h.noSelf.Add(1)
		return
	}
	cx, cy := int64(me.Fields[arena.PlayerX])/h.cell, int64(me.Fields[arena.PlayerY])/h.cell
	if cell := cy<<32 | cx; cell != h.lastCell {
		if h.lastCell != -1 {
			h.crossings.Add(1)
		}
		h.lastCell = cell
	}
	x0, y0 := cx*h.cell, cy*h.cell
	x1, y1 := x0+h.cell-1, y0+h.cell-1
	for _, e := range w.Entities {
		x, y := int64(e.Fields[arena.PlayerX]), int64(e.Fields[arena.PlayerY])
		dx, dy := max(x0-x, 0, x-x1), max(y0-y, 0, y-y1)
		if dx*dx+dy*dy > h.radius*h.radius {
			h.outside.Add(1)
		}
	}
}

// The arena with views shared by cell over real WebSockets: no client ever holds an entity beyond the radius of its
// own cell (a frame can only add an entity by sending it whole, so none was sent), players crossing cells get what
// enters and exits their views as enter and exit calls, hashes match, and a player resuming on a new connection gets
// its cell's view again and keeps its deltas right.
func TestArenaViewsSharedByCell(t *testing.T) {
	const world, radius, cell = 1000, 150, 200 // world units: 25 cells, so 10 players cross cells often
	addr, _ := startGameServer(t, arena.LargeMode, arena.Factory, server.GameOptions{MaxPlayers: 10, HashInterval: 3,
		Settings: map[string]string{"world_size": fmt.Sprint(world), "interest_radius": fmt.Sprint(radius),
			"interest_cell": fmt.Sprint(cell)}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 10
	clients := make([]*client.Client, n)
	watchers := make([]*cellWatcher, n)
	for i := range clients {
		watchers[i] = &cellWatcher{cell: cell * arena.Scale, radius: radius * arena.Scale, seen: map[uint32]bool{}, lastCell: -1}
		c, err := client.Dial(ctx, client.Config{URL: "ws://" + addr, Mode: arena.LargeMode, Name: fmt.Sprint("p", i),
			Handler: watchers[i]})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	// Everyone runs along changing diagonals, firing: players and projectiles cross cells and views.
	for step := 0; step < 240; step++ {
		if step == 90 {
			clients[1].Drop() // resumes on a new connection: a full view of its cell, then deltas again
		}
		for i, c := range clients {
			dx, dy := int32(1-2*((step/45+i)%2)), int32(1-2*((step/60+i/2)%2))
			if _, err := c.SendInput([]int32{dx, dy, int32(step * 700 % 65536), int32(step % 3 / 2)}); err != nil && ctx.Err() != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(time.Second / 30):
		}
	}
	for clients[1].Resumes() < 1 {
		select {
		case <-ctx.Done():
			t.Fatal("client 1 did not resume")
		case <-time.After(10 * time.Millisecond):
		}
	}
	var crossings, entered, exited int64
	for i, c := range clients {
		w, st := watchers[i], c.Stats()
		t.Logf("player %d: %d snapshots (%d full), %d cell crossings, %d entered, %d exited, %d hash checks", c.PlayerID(),
			w.snapshots.Load(), st.FullSnapshots.Load(), w.crossings.Load(), st.EntitiesEntered.Load(),
			st.EntitiesExited.Load(), st.HashChecks.Load())
		if st.DecodeErrors.Load() != 0 || st.WorldMismatches.Load() != 0 || st.HashChecks.Load() == 0 {
			t.Errorf("player %d: %d decode errors, %d hash mismatches of %d checks", c.PlayerID(),
				st.DecodeErrors.Load(), st.WorldMismatches.Load(), st.HashChecks.Load())
		}
		if w.outside.Load() != 0 {
			t.Errorf("player %d held %d entities beyond the radius of its cell", c.PlayerID(), w.outside.Load())
		}
		if w.noSelf.Load() != 0 {
			t.Errorf("player %d's world lacked its own player %d times", c.PlayerID(), w.noSelf.Load())
		}
		if w.viewErrors.Load() != 0 {
			t.Errorf("player %d: enter and exit calls disagree with the world %d times", c.PlayerID(), w.viewErrors.Load())
		}
		crossings += w.crossings.Load()
		entered += st.EntitiesEntered.Load()
		exited += st.EntitiesExited.Load()
	}
	if st := clients[1].Stats(); st.FullSnapshots.Load() < 2 {
		t.Errorf("the resumed player got %d full snapshots, want its first and one after resuming", st.FullSnapshots.Load())
	}
	if crossings == 0 || exited == 0 || entered <= exited {
		t.Errorf("views did not change: %d cell crossings, %d entered, %d exited", crossings, entered, exited)
	}
}
