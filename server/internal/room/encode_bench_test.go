package room

import (
	"fmt"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// BenchmarkEncodeFixedViewSize isolates the encoding from everything else a tick does: BenchmarkViewEncodeFixedViews'
// world (400 walkers in 4000 × 4000 units, views shared by 800-unit cell with a 300-unit radius, the large mode's) with
// rooms of 50 to 3,200 spectators. Each tick the walkers move and each player's view key is read (the per-player part,
// not timed); then, timed, every distinct view is built (AppendView), packed and delta-encoded against the same view's
// previous tick with the room's codec: the room's encoding work for that tick. encode-ns/tick stays flat as the room
// grows 64-fold, because it follows the number of distinct views (encodes/tick), which the cells bound, and their
// size, which the density fixes; player-ns/tick is what grows with the room.
func BenchmarkEncodeFixedViewSize(b *testing.B) {
	for _, n := range []int{50, 200, 800, 3200} {
		b.Run(fmt.Sprintf("players=%d", n), func(b *testing.B) {
			sim := newCrowdSim(4000, 300)
			sim.observers = true
			sim.addNPCs(400)
			sim.shareByCell(800)
			for i := range n {
				if err := sim.Join(game.Player{ID: game.PlayerID(i + 1)}); err != nil {
					b.Fatal(err)
				}
			}
			codec, err := snapcodec.New(sim.Schema())
			if err != nil {
				b.Fatal(err)
			}
			type cellView struct {
				prev, cur snapcodec.Packed
				seen      bool
			}
			views := map[uint64]*cellView{}
			keys := map[uint64]game.PlayerID{} // a player of each distinct view this tick
			var world, buf []game.Entity
			var out []byte
			var tick game.Tick
			var encodeNs, playerNs time.Duration
			encodes, bytes := 0, 0
			step := func(timed bool) {
				tick++
				sim.Step(tick, nil)
				world = sim.AppendEntities(world[:0])
				t0 := time.Now()
				clear(keys)
				for i := range n {
					p := game.PlayerID(i + 1)
					k := sim.ViewKey(p)
					if _, ok := keys[k]; !ok {
						keys[k] = p
					}
				}
				t1 := time.Now()
				for k, p := range keys {
					v := views[k]
					if v == nil {
						v = &cellView{}
						views[k] = v
					}
					buf = sim.AppendView(buf[:0], world, p, k)
					v.prev, v.cur = v.cur, v.prev
					codec.Pack(&v.cur, uint32(tick), buf)
					var base *snapcodec.Packed
					if v.seen {
						base = &v.prev
					}
					out = codec.AppendDeltaPacked(out[:0], base, &v.cur)
					v.seen = true
					if timed {
						encodes++
						bytes += len(out)
					}
				}
				if timed {
					encodeNs += time.Since(t1)
					playerNs += t1.Sub(t0)
				}
			}
			for range 300 {
				step(false)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				step(true)
			}
			b.ReportMetric(float64(encodeNs.Nanoseconds())/float64(b.N), "encode-ns/tick")
			b.ReportMetric(float64(playerNs.Nanoseconds())/float64(b.N), "player-ns/tick")
			b.ReportMetric(float64(encodes)/float64(b.N), "encodes/tick")
			b.ReportMetric(float64(bytes)/float64(encodes), "bytes/encode")
		})
	}
}
