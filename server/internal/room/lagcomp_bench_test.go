package room

import (
	"testing"

	"github.com/tickwire/tickwire/game"
)

// BenchmarkRoomTickLagComp is BenchmarkRoomTick with every client drawing 5 to 7 ticks behind, as over a 150 ms round
// trip: each input carries a View and acknowledges the snapshot before it, so every projectile's hit test rewinds
// through the room's history.
func BenchmarkRoomTickLagComp(b *testing.B) {
	const players = 16
	r, ids, sinks, bots := benchRoom(b, players)
	tick := func() {
		t := r.tick + 1
		for i, bt := range bots {
			in := bt.next()
			in.Tick = game.Tick(t)
			ack := uint32(0)
			if t > 8 {
				ack = t - 5
				in.View, in.ViewFrac = game.Tick(t-6-uint32(i%2)), uint8(i*37)
			}
			it := inboxItem{kind: itemInput, player: ids[i], sink: sinks[i], tick: ack, in: in, arrival: r.stamp(r.cfg.Clock.Now())}
			r.handleItem(&it)
		}
		r.step()
	}
	benchTicks(b, players, tick)
}
