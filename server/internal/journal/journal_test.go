package journal

import (
	"errors"
	"testing"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// recordArena plays an arena directly through Entry.Apply (as a room does) for n ticks and returns its journal file.
func recordArena(t testing.TB, n int, ckptAt game.Tick) []byte {
	t.Helper()
	h := Header{Room: "r1", Mode: arena.Mode, Epoch: 9, Game: game.Config{Seed: 3, TickRate: 30, MaxPlayers: 8,
		Settings: map[string]string{"lag_compensation": "1"}}, HistorySize: 64}
	sim, err := arena.Factory(h.Game)
	if err != nil {
		t.Fatal(err)
	}
	host := NewSimHost(sim, &h)
	enc := Encoder{Buf: AppendHeader(nil, &h)}
	var ev game.Events
	var e Entry
	apply := func(t0 game.Tick) {
		if _, err := e.Apply(sim, t0, &ev); err != nil && e.Kind != KindJoin {
			t.Fatal(err)
		}
		enc.Append(&e)
	}
	for p := game.PlayerID(1); p <= 4; p++ {
		e = Entry{Kind: KindJoin, Player: game.Player{ID: p, Name: "p", UserID: "u", Verified: p%2 == 0,
			Claims: map[string]string{"team": "red"}}}
		apply(0)
	}
	for tick := game.Tick(1); tick <= game.Tick(n); tick++ {
		e = Entry{Kind: KindBegin, Tick: tick}
		enc.Append(&e)
		host.Begin(tick)
		ev.Reset()
		if tick%7 == 0 {
			e = Entry{Kind: KindMessage, Player: game.Player{ID: 2}, Message: game.Message{Type: arena.MessageChat,
				Payload: []byte("hi"), Seq: uint32(tick)}}
			apply(tick)
		}
		for p := game.PlayerID(1); p <= 4; p++ {
			e = Entry{Kind: KindInput, Player: game.Player{ID: p}, Input: game.Input{Seq: uint32(tick), Tick: tick,
				Missed: tick%5 == 0, Values: [game.MaxInputValues]int32{int32(p%3) - 1, 1, int32(tick) * 911 & 0xffff, 1}}}
			if tick > 3 {
				e.Input.View, e.Input.ViewFrac = tick-2, uint8(tick)
			}
			apply(tick)
		}
		e = Entry{Kind: KindStep}
		apply(tick)
		e = Entry{Kind: KindHash, Hash: host.End()}
		enc.Append(&e)
		if tick == 40 {
			e = Entry{Kind: KindDisconnected, Player: game.Player{ID: 3}}
			apply(tick)
		}
		if tick == ckptAt {
			c := Checkpoint{Tick: tick, Sim: sim.(game.Checkpointer).Checkpoint(), Worlds: host.Hist.AppendWorlds(nil)}
			enc.AppendCheckpoint(&c)
		}
	}
	return enc.Buf
}

func TestRoundTripAndReplay(t *testing.T) {
	file := recordArena(t, 120, 60)
	res, err := Replay([][]byte{file}, arena.Factory)
	if err != nil || res.Ticks != 120 || res.To != 120 || res.Header.Room != "r1" || res.Header.Game.Settings["lag_compensation"] != "1" {
		t.Fatalf("replay %+v: %v", res, err)
	}
	// Re-encoding every decoded entry gives the same bytes.
	d, err := NewDecoder(file)
	if err != nil {
		t.Fatal(err)
	}
	enc := Encoder{Buf: AppendHeader(nil, &d.Header)}
	var e Entry
	for {
		ok, err := d.Next(&e)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if e.Kind == KindCheckpoint {
			enc.AppendCheckpoint(d.Checkpoint())
			continue
		}
		enc.Append(&e)
	}
	if string(enc.Buf) != string(file) {
		t.Fatalf("re-encoded %d bytes, file %d", len(enc.Buf), len(file))
	}
}

func TestReplayFromCheckpoint(t *testing.T) {
	file := recordArena(t, 120, 60)
	d, _ := NewDecoder(file)
	var e Entry
	// Cut the file at the checkpoint: header + checkpoint + the rest.
	for {
		before := d.Rest()
		ok, err := d.Next(&e)
		if err != nil || !ok {
			t.Fatalf("no checkpoint: %v", err)
		}
		if e.Kind == KindCheckpoint {
			h := d.Header
			h.Segment = 1
			tail := AppendHeader(nil, &h)
			tail = append(tail, file[len(file)-before:]...)
			res, err := Replay([][]byte{tail}, arena.Factory)
			if err != nil || res.From != 60 || res.Ticks != 60 {
				t.Fatalf("replay from the checkpoint %+v: %v", res, err)
			}
			return
		}
	}
}

func TestReplayNamesFirstDivergentTick(t *testing.T) {
	file := recordArena(t, 80, 0)
	// The Sim made by another seed spawns the players elsewhere: the very first tick differs.
	_, err := Replay([][]byte{file}, func(cfg game.Config) (game.Sim, error) {
		cfg.Seed++
		return arena.Factory(cfg)
	})
	var div *DivergenceError
	if !errors.As(err, &div) || div.Tick != 1 {
		t.Fatalf("got %v, want a divergence at tick 1", err)
	}
}

func TestDecoderRejectsTruncation(t *testing.T) {
	file := recordArena(t, 30, 20)
	for n := 0; n < len(file); n += 7 {
		d, err := NewDecoder(file[:n])
		if err != nil {
			continue
		}
		var e Entry
		for {
			ok, err := d.Next(&e)
			if err != nil || !ok {
				break
			}
		}
	}
}

func TestHistoryMatchesRoomSemantics(t *testing.T) {
	h := NewHistory(4)
	if h.Oldest() != 1 || h.World(1) != nil {
		t.Fatal("empty history")
	}
	for tick := game.Tick(1); tick <= 6; tick++ {
		h.SetTick(tick)
		if h.World(tick) != nil {
			t.Fatalf("tick %d visible while simulated", tick)
		}
		h.Store(tick, []game.Entity{{ID: uint32(tick)}})
	}
	if h.Oldest() != 3 || h.World(2) != nil || h.World(3) == nil || h.World(6) == nil {
		t.Fatalf("oldest %d", h.Oldest())
	}
	ws := h.AppendWorlds(nil)
	if len(ws) != 4 || ws[0].Tick != 3 {
		t.Fatalf("worlds %v", ws)
	}
	var c Checkpoint
	c.Tick, c.Worlds = 6, []snapcodec.World{{Tick: 5, Entities: []game.Entity{{ID: 9}}}}
	h.Load(&c)
	if e, ok := h.Entity(5, 9); !ok || e.ID != 9 || h.World(6) != nil {
		t.Fatal("loaded history")
	}
}

// FuzzDecoder feeds the decoder arbitrary files: it never panics, and a file it accepts re-encodes to a file that
// decodes to the same entries.
func FuzzDecoder(f *testing.F) {
	f.Add(recordArena(f, 12, 6))
	f.Add(recordArena(f, 3, 0))
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, file []byte) {
		d, err := NewDecoder(file)
		if err != nil {
			return
		}
		enc := Encoder{Buf: AppendHeader(nil, &d.Header)}
		var kinds []Kind
		var e Entry
		for {
			ok, err := d.Next(&e)
			if err != nil || !ok {
				break
			}
			kinds = append(kinds, e.Kind)
			if e.Kind == KindCheckpoint {
				enc.AppendCheckpoint(d.Checkpoint())
			} else {
				enc.Append(&e)
			}
		}
		d2, err := NewDecoder(enc.Buf)
		if err != nil {
			t.Fatalf("re-encoded header: %v", err)
		}
		for i := 0; ; i++ {
			ok, err := d2.Next(&e)
			if err != nil {
				t.Fatalf("re-encoded entry %d: %v", i, err)
			}
			if !ok {
				if i != len(kinds) {
					t.Fatalf("re-encoded %d entries, decoded %d", i, len(kinds))
				}
				break
			}
			if i >= len(kinds) || e.Kind != kinds[i] {
				t.Fatalf("entry %d kind %d", i, e.Kind)
			}
		}
	})
}
