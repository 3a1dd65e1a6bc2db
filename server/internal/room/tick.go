package room

import (
	"fmt"

	"github.com/tickwire/tickwire/proto/snapcodec"
)

// step runs one tick: inputs, Step, history, events, grace, snapshots, the game's result and the empty timeout.
func (r *Room) step() {
	t0 := r.cfg.Clock.Now()
	r.tick++
	t := r.tick
	r.beginTick(t)

	r.events.Reset()
	if len(r.msgs) > 0 {
		r.handleMessages(t) // before the tick's inputs: a "ready" or "buy" counts for this tick's input
	}

	r.applyInputs(t, t0)
	r.reportInputs()

	r.stepSim(t, t0)

	r.world.Tick = t
	r.world.Entities = r.sim.AppendEntities(r.world.Entities[:0])
	r.checkWorld(&r.world)
	h := &r.hist[int(t%uint32(len(r.hist)))]
	r.codec.PackWorld(&h.world, &r.world)
	r.endTick(&r.world)

	r.sendEvents(t)
	r.releaseMessages()

	if r.nDisc > 0 {
		r.expireGrace()
	}

	if t%uint32(r.cfg.SnapshotEvery) == 0 {
		r.snapshot(&h.world)
	}

	if res, over := r.sim.Result(); over {
		r.end(res.Reason, &res)
	} else if len(r.players) == 0 {
		if r.emptySince == 0 {
			r.emptySince = t
		} else if t-r.emptySince >= r.emptyTicks {
			r.end("empty", nil)
		}
	}

	r.tickA.Store(t)
	r.publish()
	r.cfg.Observer.TickDone(r.cfg.Clock.Now().Sub(t0))
}

// checkWorld enforces the Sim's side of the contract the codec relies on: ids strictly ascending, kinds from the
// schema. A violation is a bug in the game: the room fails (as for a panic) rather than send undecodable snapshots.
func (r *Room) checkWorld(w *snapcodec.World) {
	for i := range w.Entities {
		e := &w.Entities[i]
		if i > 0 && w.Entities[i-1].ID >= e.ID {
			panic(fmt.Sprintf("room: Sim.AppendEntities: id %d after %d (ids must ascend)", e.ID, w.Entities[i-1].ID))
		}
		if !r.codec.KnownKind(e.Kind) {
			panic(fmt.Sprintf("room: Sim.AppendEntities: entity %d has unknown kind %d", e.ID, e.Kind))
		}
	}
}
