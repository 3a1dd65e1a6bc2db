package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// writeJournal plays an arena for 60 ticks through journal entries, as a room does, and writes its journal; flip
// changes the dx of player 1's input at that tick in the file (0: none).
func writeJournal(t *testing.T, flip game.Tick) string {
	t.Helper()
	h := journal.Header{Room: "r", Mode: arena.Mode, Game: game.Config{Seed: 11, TickRate: 30, MaxPlayers: 4},
		HistorySize: 64}
	sim, err := arena.Factory(h.Game)
	if err != nil {
		t.Fatal(err)
	}
	host := journal.NewSimHost(sim, &h)
	enc := journal.Encoder{Buf: journal.AppendHeader(nil, &h)}
	var ev game.Events
	var e journal.Entry
	apply := func(tick game.Tick) {
		if _, err := e.Apply(sim, tick, &ev); err != nil {
			t.Fatal(err)
		}
		enc.Append(&e)
	}
	for p := game.PlayerID(1); p <= 2; p++ {
		e = journal.Entry{Kind: journal.KindJoin, Player: game.Player{ID: p}}
		apply(0)
	}
	for tick := game.Tick(1); tick <= 60; tick++ {
		e = journal.Entry{Kind: journal.KindBegin, Tick: tick}
		enc.Append(&e)
		host.Begin(tick)
		for p := game.PlayerID(1); p <= 2; p++ {
			e = journal.Entry{Kind: journal.KindInput, Player: game.Player{ID: p},
				Input: game.Input{Seq: uint32(tick), Tick: tick, Values: [game.MaxInputValues]int32{1, 0, 0, 0}}}
			if _, err := e.Apply(sim, tick, &ev); err != nil {
				t.Fatal(err)
			}
			if p == 1 && tick == flip {
				e.Input.Values[0] = -1 // recorded other than applied
			}
			enc.Append(&e)
		}
		e = journal.Entry{Kind: journal.KindStep}
		apply(tick)
		e = journal.Entry{Kind: journal.KindHash, Hash: host.End()}
		enc.Append(&e)
	}
	name := filepath.Join(t.TempDir(), "r-0-0000.twj")
	if err := os.WriteFile(name, enc.Buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestReplaySubcommand(t *testing.T) {
	var out bytes.Buffer
	if err := replay([]string{writeJournal(t, 0)}, &out); err != nil || !strings.Contains(out.String(), "ok:") {
		t.Fatalf("replay: %v\n%s", err, out.String())
	}
	out.Reset()
	err := replay([]string{writeJournal(t, 25)}, &out)
	if err == nil || !strings.Contains(err.Error(), "diverges at tick 25") {
		t.Fatalf("replay of a changed journal: %v\n%s", err, out.String())
	}
	t.Log(strings.TrimSpace(out.String()), "|", err)
}
