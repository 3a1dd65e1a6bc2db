package room

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
)

func TestJoinSnapshotsAndInputs(t *testing.T) {
	sim := newLineSim()
	h := startRoom(t, Config{Mode: "line", HashInterval: 5}, sim)
	a, pa := h.join("alice")
	b, pb := h.join("bob")
	if pa != 1 || pb != 2 {
		t.Fatalf("player ids %d, %d; want 1, 2", pa, pb)
	}
	for seq := uint32(1); seq <= 20; seq++ {
		h.input(pa, a, game.Input{Seq: seq, Values: [8]int32{int32(seq%3) - 1}})
		h.ticks(1)
	}
	a.check(t)
	b.check(t)
	w := h.r.worldAt(h.r.tick)
	for _, s := range []*fakeSink{a, b} {
		cw := s.clientWorld()
		if cw.Tick != 20 || !slices.Equal(cw.Entities, w.Entities) {
			t.Fatalf("client world %+v, server %+v", cw, *w)
		}
	}
	if got := a.lastSnap().lastSeq; got != 20 {
		t.Errorf("last_input_seq = %d, want 20", got)
	}
	ws := a.welcomes()
	if len(ws) != 1 || ws[0].GetPlayerId() != 1 || string(ws[0].GetResumeToken()) != "tok-alice" || ws[0].GetMode() != "line" ||
		ws[0].GetTickRate() != 30 || ws[0].GetHashInterval() != 5 || ws[0].GetGraceMs() != 10000 || ws[0].GetHeartbeatMs() != 5000 {
		t.Errorf("welcome = %v", ws)
	}
	full, hashed := 0, 0
	for _, s := range a.snaps {
		if s.baseline == 0 {
			full++
		}
		if s.hash != nil {
			hashed++
			if s.tick%5 != 0 {
				t.Errorf("hash on tick %d", s.tick)
			}
		}
	}
	if full != 1 || hashed != 4 {
		t.Errorf("full snapshots %d (want 1), hashed %d (want 4)", full, hashed)
	}
	if info := h.r.Info(); info.Players != 2 || info.State != StateRunning || info.Tick != 20 || info.Capacity != 16 {
		t.Errorf("Info = %+v", info)
	}
	if ev := a.events(); !slices.Contains(ev, "tenth") || !slices.Contains(ev, EventPlayerJoined) {
		t.Errorf("events = %v", ev)
	}
}

func TestRoomFull(t *testing.T) {
	h := startRoom(t, Config{MaxPlayers: 2}, newLineSim())
	h.join("a")
	h.join("b")
	_, err := h.r.Join(t.Context(), JoinRequest{Sink: newFakeSink(t)})
	if !errors.Is(err, ErrFull) {
		t.Fatalf("third join: %v, want ErrFull", err)
	}
}

func TestJoinCancelled(t *testing.T) {
	h := startRoom(t, Config{}, newLineSim())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.r.Join(ctx, JoinRequest{Sink: newFakeSink(t)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Join with a cancelled context: %v", err)
	}
	h.ticks(1)
	if n := h.r.Info().Players; n != 0 {
		t.Fatalf("%d players after a cancelled join", n)
	}
}

func TestBroadcast(t *testing.T) {
	h := startRoom(t, Config{}, newLineSim())
	a, _ := h.join("a")
	if err := h.r.Broadcast(game.Event{Type: "notice", Player: 7, Args: [4]int32{-1, 2}, NArgs: 2}, "server restarts soon \xff"); err != nil {
		t.Fatal(err)
	}
	h.ticks(1)
	a.check(t)
	var got *proto.Event
	for _, f := range a.reliable {
		if e := f.GetEvent(); e != nil && e.GetType() == "notice" {
			got = e
		}
	}
	if got == nil || got.GetPlayerId() != 7 || !slices.Equal(got.GetArgs(), []int32{-1, 2}) || got.GetText() != "server restarts soon \uFFFD" {
		t.Fatalf("broadcast event %v", got)
	}
}

// TestRoomTickAllocs: a 16-player arena tick allocates nothing in steady state (reliable frames come from slabs, so
// fewer than one allocation per tick on average).
func TestRoomTickAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("instrumented build")
	}
	r, ids, sinks, bots := benchRoom(t, 16)
	tick := func() {
		for i, bt := range bots {
			directInput(r, ids[i], sinks[i], bt.next())
		}
		r.step()
	}
	for range 300 {
		tick()
	}
	if a := testing.AllocsPerRun(300, tick); a != 0 {
		t.Errorf("%v allocations per tick", a)
	}
}
