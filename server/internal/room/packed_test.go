package room

import (
	"testing"
	"unsafe"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// worldAt returns the world at tick t from the history, unpacked (a copy), or nil when the history does not hold it.
func (r *Room) worldAt(t uint32) *snapcodec.World {
	p := r.packedAt(t)
	if p == nil {
		return nil
	}
	w := &snapcodec.World{}
	r.codec.Unpack(w, p)
	return w
}

// TestHistoryIsPacked: a full arena room's history holds each tick's world packed (its kinds' fields only), a
// fraction of the []game.Entity it would take, and every tick in it unpacks to what the Sim reported.
func TestHistoryIsPacked(t *testing.T) {
	h := startRoom(t, Config{Mode: arena.Mode}, newArena(t, 42, nil))
	type client struct {
		sink *fakeSink
		id   game.PlayerID
		bot  *bot
	}
	var clients []client
	for range 16 {
		s, id := h.join("p")
		clients = append(clients, client{s, id, newBot(uint64(id))})
	}
	for range 90 {
		for _, c := range clients {
			h.input(c.id, c.sink, c.bot.next())
		}
		h.ticks(1)
	}
	var packed, entities int
	for k := range h.r.hist {
		w := &h.r.hist[k].world
		packed += w.Footprint()
		entities += w.Len()
	}
	full := entities * int(unsafe.Sizeof(game.Entity{}))
	t.Logf("history of %d ticks: %d entities, %d bytes packed (capacity), %d bytes as []game.Entity",
		len(h.r.hist), entities, packed, full)
	if entities == 0 || 3*packed > full {
		t.Errorf("history takes %d bytes for %d entities; want under a third of %d", packed, entities, full)
	}
	w := h.r.worldAt(h.r.tick)
	if w.Tick != h.r.tick || len(w.Entities) != len(h.r.world.Entities) {
		t.Fatalf("newest history world: tick %d, %d entities; want %d, %d", w.Tick, len(w.Entities), h.r.tick,
			len(h.r.world.Entities))
	}
	for i := range w.Entities {
		if w.Entities[i] != h.r.world.Entities[i] {
			t.Fatalf("entity %d: history %+v, Sim %+v", i, w.Entities[i], h.r.world.Entities[i])
		}
	}
}
