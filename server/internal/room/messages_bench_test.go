package room

import (
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
)

// eventSim is a lineSim whose Step reports one event for every player and one for a single player (a different one
// each tick), both with a payload: the routing of untargeted and targeted events.
type eventSim struct{ *lineSim }

func (s eventSim) Step(t game.Tick, ev *game.Events) {
	s.lineSim.Step(t, ev)
	ev.Add(game.Event{Type: "round", Args: [4]int32{int32(t)}, NArgs: 1, Payload: "all"})
	if n := len(s.players); n > 0 {
		ev.AddTo(s.players[int(t)%n], game.Event{Type: "your_turn", Payload: "you"})
	}
}

// ApplyInput only stores the value (lineSim's records every input, which would count as the engine's allocation).
func (s eventSim) ApplyInput(_ game.Tick, p game.PlayerID, in *game.Input) { s.vx[p] = in.Values[0] }

// BenchmarkEventRouting is one tick of 16 players with a broadcast and a targeted event per tick: no allocation in
// steady state (event frames are carved from the reliable slab; a new slab every EventBufferSize bytes).
func BenchmarkEventRouting(b *testing.B) {
	const players = 16
	r, err := New(Config{ID: "bench", Clock: newFakeClock(), EmptyTimeout: time.Hour}, eventSim{newLineSim()})
	if err != nil {
		b.Fatal(err)
	}
	for range players {
		directJoin(b, r, &benchSink{}, "p")
	}
	benchTicks(b, players, r.step)
}

// BenchmarkMessagePath is 16 players' chat messages queued (Message copies each payload: one allocation per message)
// and handed to the Sim at the next tick, which broadcasts each as an event.
func BenchmarkMessagePath(b *testing.B) {
	const players = 16
	sim := &chatSim{lineSim: newLineSim()}
	r, err := New(Config{ID: "bench", Clock: newFakeClock(), EmptyTimeout: time.Hour}, sim)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]game.PlayerID, players)
	sinks := make([]*benchSink, players)
	for i := range players {
		sinks[i] = &benchSink{}
		ids[i] = directJoin(b, r, sinks[i], "p")
	}
	line := []byte("good game, well played")
	tick := func() {
		for i := range players {
			if err := r.Message(ids[i], sinks[i], "chat", line, 0); err != nil {
				b.Fatal(err)
			}
		}
		r.step()
	}
	benchTicks(b, players, tick)
}

func (s *chatSim) ApplyInput(_ game.Tick, p game.PlayerID, in *game.Input) { s.vx[p] = in.Values[0] }

// chatSim broadcasts every message as an event whose payload is a constant (so the Sim itself allocates nothing).
type chatSim struct{ *lineSim }

func (s *chatSim) HandleMessage(_ game.Tick, from game.PlayerID, _ *game.Message, ev *game.Events) []byte {
	ev.Add(game.Event{Type: "chat", Player: from, Payload: "line"})
	return nil
}
