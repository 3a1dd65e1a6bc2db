package room

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
)

// TestDeltasReproduceWorld plays an arena with players joining, leaving, dropping and resuming, fighting under the
// standard workload; every client decodes every snapshot and must hold exactly the server's world.
func TestDeltasReproduceWorld(t *testing.T) {
	obs := newCountObserver()
	h := startRoom(t, Config{Mode: arena.Mode, Observer: obs, HashInterval: 30}, newArena(t, 42, nil))
	type client struct {
		sink *fakeSink
		id   game.PlayerID
		bot  *bot
		gone bool
	}
	var clients []*client
	add := func() {
		s, id := h.join("p")
		clients = append(clients, &client{sink: s, id: id, bot: newBot(uint64(id))})
	}
	for range 8 {
		add()
	}
	seenProj := map[uint32]bool{}
	expired := 0
	kinds := map[string]int{}
	const total = 2700
	for tick := 1; tick <= total; tick++ {
		switch {
		case tick%60 == 0 && h.r.Info().Players < 16:
			add()
		case tick%97 == 0:
			c := clients[tick%len(clients)]
			if !c.gone {
				h.r.Leave(c.id, c.sink)
				c.gone = true
			}
		case tick%131 == 0:
			// Drop and resume a connection: the client must restart from a full snapshot.
			c := clients[(tick/2)%len(clients)]
			if !c.gone {
				h.r.Disconnected(c.id, c.sink)
				h.ticks(1)
				ns := newFakeSink(t)
				if _, err := h.r.Resume(t.Context(), c.id, ns, nil); err != nil {
					t.Fatalf("resume: %v", err)
				}
				c.sink = ns
			}
		}
		for _, c := range clients {
			if !c.gone {
				h.input(c.id, c.sink, c.bot.next())
			}
		}
		h.ticks(1)
		if tick%300 == 0 {
			for _, c := range clients { // every client's view, also of those that left or were replaced since
				for _, e := range c.sink.events() {
					kinds[e]++
				}
			}
		}
		w := h.r.worldAt(h.r.tick)
		for _, c := range clients {
			if c.gone {
				continue
			}
			c.sink.check(t)
			cw := c.sink.clientWorld()
			if cw.Tick != w.Tick || !slices.Equal(cw.Entities, w.Entities) {
				t.Fatalf("tick %d: player %d holds tick %d with %d entities, server %d entities", w.Tick, c.id, cw.Tick, len(cw.Entities), len(w.Entities))
			}
		}
		live := map[uint32]bool{}
		for _, e := range w.Entities {
			if e.Kind == arena.KindProjectile {
				live[e.ID] = true
				seenProj[e.ID] = true
			}
		}
		for id := range seenProj {
			if !live[id] {
				expired++
				delete(seenProj, id)
			}
		}
	}
	t.Logf("info %+v", h.r.Info())
	t.Logf("events seen by clients: %v; projectiles removed: %d; frames offered full/delta %d/%d, encoded %d/%d",
		kinds, expired, obs.offered[true], obs.offered[false], obs.encoded[true], obs.encoded[false])
	for _, k := range []string{arena.EventHit, arena.EventKill, arena.EventRespawn, EventPlayerJoined, EventPlayerLeft, EventPlayerDisconnected, EventPlayerResumed} {
		if kinds[k] == 0 {
			t.Errorf("no %q event in %d ticks", k, total)
		}
	}
	if expired < 100 {
		t.Errorf("only %d projectiles removed", expired)
	}
	// One encode per distinct baseline: everyone shares the delta of the previous tick.
	if obs.encoded[false] > total+total/10 {
		t.Errorf("%d delta encodes for %d ticks", obs.encoded[false], total)
	}
}

// TestEvictedBaselineGetsFull: a client whose last written snapshot fell out of the history gets a full snapshot.
func TestEvictedBaselineGetsFull(t *testing.T) {
	h := startRoom(t, Config{HistorySize: 8, MaxRewind: 100 * time.Millisecond}, newArena(t, 1, nil))
	a, pa := h.join("a")
	b, pb := h.join("b")
	ba, bb := newBot(1), newBot(2)
	run := func(n int) {
		for range n {
			h.input(pa, a, ba.next())
			h.input(pb, b, bb.next())
			h.ticks(1)
		}
	}
	run(5)
	b.mu.Lock()
	b.hold = true // b's writer stalls: its snapshots pile up (latest wins)
	b.mu.Unlock()
	run(6)
	// b's baseline (tick 5) is 6 ticks old: still in the history, so the pending frame is a delta against it.
	if f := b.pending; f == nil || f.Baseline != 5 {
		t.Fatalf("pending frame %+v, want a delta against 5", f)
	}
	run(4)
	// Now tick 5 is 10 ticks old and evicted (HistorySize 8): the room must send a full snapshot.
	b.mu.Lock()
	if f := b.pending; f == nil || f.Baseline != 0 || f.Tick != 15 {
		t.Fatalf("pending frame %+v, want full at tick 15", f)
	}
	b.hold = false
	b.mu.Unlock()
	b.take()
	run(3)
	b.check(t)
	a.check(t)
	if w, cw := h.r.worldAt(h.r.tick), b.clientWorld(); !slices.Equal(w.Entities, cw.Entities) {
		t.Fatal("client world differs after the full snapshot")
	}
	if b.stale != 0 {
		t.Errorf("%d stale frames", b.stale)
	}
}

// lyingSink reports a baseline it cannot hold.
type lyingSink struct {
	*fakeSink
	baseline uint32
}

func (s *lyingSink) Baseline() uint32 { return s.baseline }

func TestBogusBaselineGetsFull(t *testing.T) {
	h := startRoom(t, Config{}, newLineSim())
	h.ticks(3)
	for _, bl := range []uint32{3, 4, 1000, 1 << 31} { // the current tick, the future, far away
		s := &lyingSink{fakeSink: newFakeSink(t), baseline: bl}
		if _, err := h.r.Join(t.Context(), JoinRequest{Sink: s}); err != nil {
			t.Fatal(err)
		}
		h.ticks(1)
		if got := s.lastSnap(); got.baseline != 0 {
			t.Fatalf("first snapshot baseline %d, want full", got.baseline)
		}
		h.ticks(1)
		if got := s.lastSnap(); bl >= got.tick && got.baseline != 0 {
			t.Fatalf("baseline %d reported at tick %d: got a delta against %d", bl, got.tick, got.baseline)
		}
	}
}

// TestDeterminism: two rooms with the same seed and inputs produce the same state hash on every tick.
func TestDeterminism(t *testing.T) {
	ticks := 10000
	if testing.Short() {
		ticks = 2000
	}
	mk := func(seed uint64) (*Room, []game.PlayerID, []*benchSink) {
		r, err := New(Config{ID: "d", Clock: newFakeClock(), EmptyTimeout: time.Hour}, newArena(t, seed, nil))
		if err != nil {
			t.Fatal(err)
		}
		var ids []game.PlayerID
		var sinks []*benchSink
		for range 16 {
			s := &benchSink{}
			sinks = append(sinks, s)
			ids = append(ids, directJoin(t, r, s, "p"))
		}
		return r, ids, sinks
	}
	r1, ids1, s1 := mk(7)
	r2, ids2, s2 := mk(7)
	r3, ids3, s3 := mk(8)
	bots := make([]*bot, 16)
	for i := range bots {
		bots[i] = newBot(uint64(i))
	}
	codec := r1.codec
	differ := 0
	for tk := 1; tk <= ticks; tk++ {
		for i, b := range bots {
			in := b.next()
			directInput(r1, ids1[i], s1[i], in)
			directInput(r2, ids2[i], s2[i], in)
			directInput(r3, ids3[i], s3[i], in)
		}
		r1.step()
		r2.step()
		r3.step()
		h1, h2, h3 := codec.Hash(r1.worldAt(r1.tick)), codec.Hash(r2.worldAt(r2.tick)), codec.Hash(r3.worldAt(r3.tick))
		if h1 != h2 {
			t.Fatalf("tick %d: hashes differ: %#x vs %#x", tk, h1, h2)
		}
		if h1 != h3 {
			differ++
		}
	}
	if differ < ticks/2 {
		t.Errorf("a different seed changed the hash on only %d of %d ticks", differ, ticks)
	}
}

func TestResumeGraceAndTakeover(t *testing.T) {
	sim := newLineSim()
	h := startRoom(t, Config{Grace: time.Second}, sim) // 30 ticks
	a, pa := h.join("a")
	watcher, _ := h.join("w")
	for seq := uint32(1); seq <= 5; seq++ {
		h.input(pa, a, game.Input{Seq: seq, Tick: game.Tick(seq), Values: [8]int32{2}})
	}
	h.ticks(5)

	// The socket drops: the slot is kept, the Sim is told, inputs of the dead connection are ignored.
	h.r.Disconnected(pa, a)
	h.input(pa, a, game.Input{Seq: 6, Values: [8]int32{1}})
	h.ticks(10)
	if !sim.disc[pa] || h.r.Info().Connected != 1 || h.r.Info().Players != 2 {
		t.Fatalf("after disconnect: sim disc %v, info %+v", sim.disc, h.r.Info())
	}
	// Resume within grace on a new connection: Welcome (resumed, last seq), then a full snapshot.
	b := newFakeSink(t)
	res, err := h.r.Resume(t.Context(), pa, b, []byte("tok2"))
	if err != nil || !res.Resumed || res.LastInputSeq != 5 {
		t.Fatalf("Resume = %+v, %v", res, err)
	}
	h.ticks(1)
	if w := b.welcomes(); len(w) != 1 || !w[0].GetResumed() || w[0].GetLastInputSeq() != 5 || string(w[0].GetResumeToken()) != "tok2" {
		t.Fatalf("welcome %v", w)
	}
	if s := b.lastSnap(); s.baseline != 0 || s.lastSeq != 5 {
		t.Fatalf("first snapshot after resume %+v, want full", s)
	}
	if sim.disc[pa] {
		t.Error("Sim not told of the resume")
	}
	// Resending already applied inputs is harmless; the others are applied at the ticks they are re-addressed to.
	now := h.r.Info().Tick
	for seq := uint32(4); seq <= 7; seq++ {
		h.input(pa, b, game.Input{Seq: seq, Tick: game.Tick(now + seq - 3), Values: [8]int32{3}})
	}
	h.ticks(4)
	if s := b.lastSnap(); s.lastSeq != 7 {
		t.Errorf("last seq %d, want 7", s.lastSeq)
	}
	// A late Disconnected from the old connection is ignored.
	h.r.Disconnected(pa, a)
	h.ticks(1)
	if h.r.Info().Connected != 2 {
		t.Fatal("stale Disconnected detached the resumed player")
	}
	// Takeover: a resume while connected supersedes the live connection.
	c := newFakeSink(t)
	if _, err := h.r.Resume(t.Context(), pa, c, nil); err != nil {
		t.Fatal(err)
	}
	h.ticks(2)
	if closed, code := b.state(); !closed || code != CloseSuperseded {
		t.Fatalf("old connection closed=%v code=%d, want %d", closed, code, CloseSuperseded)
	}
	c.check(t)
	if cw := c.clientWorld(); !slices.Equal(cw.Entities, h.r.worldAt(h.r.tick).Entities) {
		t.Fatal("taken-over client world differs")
	}
	// Grace expiry: the game's Leave runs and the slot is gone.
	h.r.Disconnected(pa, c)
	h.ticks(29)
	if h.r.Info().Players != 2 {
		t.Fatal("slot expired early")
	}
	h.ticks(1)
	if h.r.Info().Players != 1 || slices.Contains(sim.players, pa) {
		t.Fatalf("slot not expired after grace: %+v", h.r.Info())
	}
	if _, err := h.r.Resume(t.Context(), pa, newFakeSink(t), nil); !errors.Is(err, ErrResumeExpired) {
		t.Fatalf("resume after grace: %v", err)
	}
	if _, err := h.r.Resume(t.Context(), 99, newFakeSink(t), nil); !errors.Is(err, ErrUnknownPlayer) {
		t.Fatalf("resume of an unknown player: %v", err)
	}
	want := []string{EventPlayerDisconnected, EventPlayerResumed, EventPlayerResumed, EventPlayerDisconnected, EventPlayerLeft}
	var got []string
	for _, e := range watcher.events() {
		if e != EventPlayerJoined && e != "tenth" {
			got = append(got, e)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("watcher saw %v, want %v", got, want)
	}
	var left *Event
	for _, e := range h.drainEvents() {
		if e.Type == EventPlayerLeft {
			left = &e
		}
	}
	if left == nil || left.Player != pa || left.Reason != "grace_expired" {
		t.Errorf("player_left event %+v", left)
	}
}

func TestLeave(t *testing.T) {
	sim := newLineSim()
	h := startRoom(t, Config{}, sim)
	a, pa := h.join("a")
	h.ticks(1)
	h.r.Leave(pa, newFakeSink(t)) // not its connection: ignored
	h.ticks(1)
	if len(sim.players) != 1 {
		t.Fatal("Leave from a foreign sink removed the player")
	}
	h.r.Leave(pa, a)
	h.ticks(1)
	if closed, code := a.state(); !closed || code != CloseLeft || len(sim.players) != 0 || h.r.Info().State != StateWaiting {
		t.Fatalf("after Leave: closed=%v code=%d sim players %v info %+v", closed, code, sim.players, h.r.Info())
	}
}

func TestSlowReliableConsumer(t *testing.T) {
	h := startRoom(t, Config{}, newLineSim())
	a, _ := h.join("a")
	a.mu.Lock()
	a.relCap = 1 // holds the Welcome, then its queue is full
	a.mu.Unlock()
	h.join("b") // the player_joined event overflows a's queue
	h.ticks(1)
	if closed, code := a.state(); !closed || code != CloseSlowConsumer {
		t.Fatalf("closed=%v code=%d, want %d", closed, code, CloseSlowConsumer)
	}
	if info := h.r.Info(); info.Players != 2 || info.Connected != 1 {
		t.Fatalf("info %+v: the slow player should be in grace", info)
	}
}

func TestSnapshotEvery(t *testing.T) {
	h := startRoom(t, Config{SnapshotEvery: 3, HashInterval: 6}, newLineSim())
	a, pa := h.join("a")
	for seq := uint32(1); seq <= 12; seq++ {
		h.input(pa, a, game.Input{Seq: seq, Values: [8]int32{int32(seq % 4)}})
		h.ticks(1)
	}
	a.check(t)
	var ticks []uint32
	for _, s := range a.snaps {
		ticks = append(ticks, s.tick)
		if s.baseline != 0 && s.baseline != s.tick-3 {
			t.Errorf("snapshot %d against %d", s.tick, s.baseline)
		}
	}
	if !slices.Equal(ticks, []uint32{3, 6, 9, 12}) {
		t.Errorf("snapshot ticks %v", ticks)
	}
	if w := a.welcomes(); w[0].GetSnapshotRate() != 10 {
		t.Errorf("snapshot rate %d", w[0].GetSnapshotRate())
	}
	if _, err := New(Config{ID: "x", SnapshotEvery: 3, HashInterval: 4}, newLineSim()); !errors.Is(err, ErrBadConfig) {
		t.Errorf("HashInterval not a multiple of SnapshotEvery: %v", err)
	}
}

func TestEndAndResult(t *testing.T) {
	t.Run("service end", func(t *testing.T) {
		h := startRoom(t, Config{}, newLineSim())
		a, _ := h.join("ann")
		h.ticks(2)
		h.r.End("ended_by_service")
		<-h.r.Done()
		if closed, code := a.state(); !closed || code != CloseRoomEnded {
			t.Fatalf("closed=%v code=%d", closed, code)
		}
		mr := a.reliable[len(a.reliable)-1].GetMatchResult()
		if mr == nil || mr.GetReason() != "ended_by_service" || len(mr.GetPlayers()) != 1 || mr.GetPlayers()[0].GetName() != "ann" {
			t.Fatalf("match result %v", mr)
		}
		if _, err := h.r.Join(t.Context(), JoinRequest{Sink: newFakeSink(t)}); !errors.Is(err, ErrEnded) {
			t.Errorf("join after end: %v", err)
		}
		if h.input(1, a, game.Input{Seq: 9}) {
			t.Error("Input accepted after the end")
		}
		if h.r.Info().State != StateEnded {
			t.Error("state not ended")
		}
	})
	t.Run("game result", func(t *testing.T) {
		sim := newLineSim()
		sim.endAt = 4
		h := startRoom(t, Config{}, sim)
		a, _ := h.join("x")
		b, _ := h.join("y")
		h.ticks(4)
		<-h.r.Done()
		for _, s := range []*fakeSink{a, b} {
			mr := s.reliable[len(s.reliable)-1].GetMatchResult()
			if mr == nil || mr.GetReason() != "test_over" || mr.GetTick() != 4 || len(mr.GetPlayers()) != 2 ||
				mr.GetPlayers()[0].GetScore() != 10 || mr.GetPlayers()[1].GetRank() != 2 || mr.GetPlayers()[1].GetName() != "y" {
				t.Fatalf("match result %v", mr)
			}
			if s.lastSnap().tick != 4 {
				t.Error("no final snapshot before the result")
			}
		}
		var ended *Event
		for _, e := range h.drainEvents() {
			if e.Type == EventMatchEnded {
				ended = &e
			}
		}
		if ended == nil || ended.Reason != "test_over" || len(ended.Results) != 2 {
			t.Fatalf("match_ended event %+v", ended)
		}
	})
}

func TestEmptyRoomShutdown(t *testing.T) {
	h := startRoom(t, Config{EmptyTimeout: time.Second}, newLineSim())
	a, pa := h.join("a")
	h.ticks(100)
	if h.r.Info().State != StateRunning {
		t.Fatal("an occupied room must not time out")
	}
	h.r.Leave(pa, a)
	h.ticks(30)
	if h.r.Info().State == StateEnded {
		t.Fatal("ended before the timeout")
	}
	h.ticks(1)
	select {
	case <-h.r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("empty room did not end")
	}
}

// TestPanicEndsOnlyItsRoom: a panicking Sim stops its room (players closed with CLOSE_ROOM_FAILED, a room_error
// event) while another room keeps running.
func TestPanicEndsOnlyItsRoom(t *testing.T) {
	bad := newLineSim()
	bad.panicAt = 3
	hb := startRoom(t, Config{ID: "bad"}, bad)
	hg := startRoom(t, Config{ID: "good"}, newLineSim())
	a, _ := hb.join("a")
	g, pg := hg.join("g")
	hb.ticks(3)
	select {
	case <-hb.r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("failed room did not stop")
	}
	if closed, code := a.state(); !closed || code != CloseRoomFailed {
		t.Fatalf("closed=%v code=%d, want %d", closed, code, CloseRoomFailed)
	}
	var roomErr *Event
	for _, e := range hb.drainEvents() {
		if e.Type == EventRoomError {
			roomErr = &e
		}
	}
	if roomErr == nil || roomErr.Room != "bad" || roomErr.Reason != "lineSim: boom" {
		t.Fatalf("room_error event %+v", roomErr)
	}
	hg.input(pg, g, game.Input{Seq: 1, Values: [8]int32{1}})
	hg.ticks(5)
	g.check(t)
	if hg.r.Info().Tick != 5 || hg.r.Info().State != StateRunning {
		t.Fatalf("healthy room %+v", hg.r.Info())
	}
}

// unsortedSim breaks the entity order contract.
type unsortedSim struct{ *lineSim }

func (s unsortedSim) AppendEntities(dst []game.Entity) []game.Entity {
	dst = s.lineSim.AppendEntities(dst)
	slices.Reverse(dst)
	return dst
}

func TestBadWorldFailsRoom(t *testing.T) {
	h := startRoom(t, Config{}, unsortedSim{newLineSim()})
	a, _ := h.join("a")
	h.join("b")
	h.ticks(1)
	<-h.r.Done()
	if closed, code := a.state(); !closed || code != CloseRoomFailed {
		t.Fatalf("closed=%v code=%d", closed, code)
	}
}

// countingSim counts ApplyInput calls per player and tick.
type countingSim struct {
	game.Sim
	calls map[[2]uint32]int // {tick, player} -> calls
}

func (s *countingSim) ApplyInput(t game.Tick, p game.PlayerID, in *game.Input) {
	s.calls[[2]uint32{uint32(t), uint32(p)}]++
	s.Sim.ApplyInput(t, p, in)
}

// TestFloodNoFasterThanSpeed: an arena player whose client sends 60 inputs per second to a 30 Hz room (to
// consecutive ticks, all to the same tick, or to random ticks) moves no more than the arena's speed per tick, and
// the room never applies more than one input per player per tick.
func TestFloodNoFasterThanSpeed(t *testing.T) {
	speed := arena.NewParams(30).Speed
	for _, mode := range []string{"consecutive", "same tick", "random"} {
		t.Run(mode, func(t *testing.T) {
			sim := &countingSim{Sim: newArena(t, 5, nil), calls: map[[2]uint32]int{}}
			h := startRoom(t, Config{Mode: arena.Mode, TickRate: 30}, sim)
			a, pa := h.join("a")
			h.ticks(1)
			rng := rand.New(rand.NewPCG(3, uint64(len(mode))))
			seq := uint32(0)
			var prevX, prevY int32
			havePrev := false
			const ticks = 90
			for range ticks {
				now := h.r.Info().Tick
				for k := range 2 { // 60 inputs per second at 30 ticks per second
					seq++
					var tk uint32
					switch mode {
					case "consecutive":
						tk = seq // runs ahead of the room twice as fast: later ones are early
					case "same tick":
						tk = now + 1
					case "random":
						tk = uint32(max(1, int(now)+rng.IntN(12)-4))
					}
					var in game.Input
					in.Seq, in.Tick = seq, game.Tick(tk)
					in.Values[arena.InputDX] = 1 - 2*int32(k) // a client alternating hard left and right
					in.Values[arena.InputDY] = 1
					in.Values[arena.InputAim] = int32(rng.IntN(65536))
					h.input(pa, a, in)
				}
				h.ticks(1)
				a.check(t)
				w := a.clientWorld()
				for _, e := range w.Entities {
					if e.ID != uint32(pa) || e.Kind != arena.KindPlayer {
						continue
					}
					x, y := e.Fields[arena.PlayerX], e.Fields[arena.PlayerY]
					if havePrev && (abs(x-prevX) > speed || abs(y-prevY) > speed) {
						t.Fatalf("tick %d: moved (%d,%d) in one tick, speed %d", w.Tick, x-prevX, y-prevY, speed)
					}
					prevX, prevY, havePrev = x, y, true
				}
			}
			if !havePrev {
				t.Fatal("the player's entity was never seen")
			}
			for k, n := range sim.calls {
				if n != 1 {
					t.Fatalf("tick %d player %d: %d ApplyInput calls", k[0], k[1], n)
				}
			}
			if len(sim.calls) != ticks+1 {
				t.Errorf("%d ApplyInput calls in %d ticks", len(sim.calls), ticks+1)
			}
		})
	}
}

func abs(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
