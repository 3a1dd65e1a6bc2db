package room

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// playJournaled plays an arena room under the standard workload with joins, leaves, drops, resumes, chat and
// lag-compensated shots for n ticks, and returns its harness. Every input carries a View two ticks back and acks the
// last tick, so that shots rewind through the history.
func playJournaled(t *testing.T, cfg Config, n int) *harness {
	t.Helper()
	gc := game.Config{Seed: 7, TickRate: 30, MaxPlayers: 16}
	sim, err := arena.Factory(gc)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mode, cfg.Game = arena.Mode, gc
	h := startRoom(t, cfg, sim)
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
	for range 6 {
		add()
	}
	for tick := 1; tick <= n; tick++ {
		switch {
		case tick%50 == 0 && h.r.Info().Players < 16:
			add()
		case tick%97 == 0:
			if c := clients[tick%len(clients)]; !c.gone {
				h.r.Leave(c.id, c.sink)
				c.gone = true
			}
		case tick%61 == 0:
			if c := clients[(tick/2)%len(clients)]; !c.gone {
				h.r.Disconnected(c.id, c.sink)
				h.ticks(3)
				ns := newFakeSink(t)
				if _, err := h.r.Resume(t.Context(), c.id, ns, nil); err != nil {
					t.Fatalf("resume: %v", err)
				}
				c.sink = ns
			}
		case tick%23 == 0:
			if c := clients[tick%len(clients)]; !c.gone {
				_ = h.r.Message(c.id, c.sink, arena.MessageChat, []byte("gg"), 0)
			}
		}
		cur := h.r.Info().Tick
		for i, c := range clients {
			if c.gone || (i+tick)%11 == 0 { // some inputs go missing: fills
				continue
			}
			in := c.bot.next()
			if cur > 2 {
				in.View, in.ViewFrac = game.Tick(cur-2), uint8(tick*37)
			}
			in.Tick = game.Tick(cur + 1)
			h.r.Input(c.id, c.sink, in, cur)
		}
		h.ticks(1)
	}
	return h
}

func readJournals(t *testing.T, dir string) [][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.twj"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	var files [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	return files
}

// TestJournalReplaysRoom records a room into rotated files and replays them with a fresh arena: every tick's world
// hash matches, from the first file and from each later one (which starts with a checkpoint).
func TestJournalReplaysRoom(t *testing.T) {
	dir := t.TempDir()
	d, err := journal.OpenDir(journal.DirConfig{Path: dir, MaxFileBytes: 40 << 10, KeepFiles: 100})
	if err != nil {
		t.Fatal(err)
	}
	const n = 900
	h := playJournaled(t, Config{Journal: d, CheckpointEvery: 120}, n)
	h.r.End("done")
	<-h.r.Done()
	d.Close()
	if d.Dropped() != 0 || d.Errors() != 0 {
		t.Fatalf("dropped %d, errors %d", d.Dropped(), d.Errors())
	}
	files := readJournals(t, dir)
	if len(files) < 3 {
		t.Fatalf("%d files: want rotation", len(files))
	}
	res, err := journal.Replay(files, arena.Factory)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	last := h.r.Info().Tick
	if res.From != 0 || uint32(res.To) != last || res.Ticks != int(last) {
		t.Fatalf("replayed %+v, room ended at tick %d", res, last)
	}
	t.Logf("%d ticks in %d files, %d bytes written", res.Ticks, len(files), d.Written())
	for i := 1; i < len(files); i++ {
		res, err := journal.Replay(files[i:], arena.Factory)
		if err != nil || res.From == 0 || res.To != game.Tick(last) {
			t.Fatalf("replay from file %d: %+v, %v", i, res, err)
		}
	}
}

// TestJournalCorruptInput changes one recorded input: the replay names the first tick whose world differs.
func TestJournalCorruptInput(t *testing.T) {
	dir := t.TempDir()
	d, err := journal.OpenDir(journal.DirConfig{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	h := playJournaled(t, Config{Journal: d}, 200)
	h.r.End("done")
	<-h.r.Done()
	d.Close()
	files := readJournals(t, dir)
	if len(files) != 1 {
		t.Fatalf("%d files", len(files))
	}
	// Rewrite the journal with the dx of one input at tick 150 flipped.
	dec, err := journal.NewDecoder(files[0])
	if err != nil {
		t.Fatal(err)
	}
	enc := journal.Encoder{Buf: journal.AppendHeader(nil, &dec.Header)}
	body := len(enc.Buf)
	_ = body
	var e journal.Entry
	done := false
	for {
		ok, err := dec.Next(&e)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if e.Kind == journal.KindInput && dec.Tick() == 150 && !done && !e.Input.Missed {
			e.Input.Values[arena.InputDX] = -e.Input.Values[arena.InputDX]
			if e.Input.Values[arena.InputDX] == 0 {
				e.Input.Values[arena.InputDX] = 1
			}
			done = true
		}
		if e.Kind == journal.KindCheckpoint {
			enc.AppendCheckpoint(dec.Checkpoint())
			continue
		}
		enc.Append(&e)
	}
	if !done {
		t.Fatal("no input at tick 150")
	}
	if _, err := journal.Replay([][]byte{files[0]}, arena.Factory); err != nil {
		t.Fatalf("the untouched journal: %v", err)
	}
	_, err = journal.Replay([][]byte{enc.Buf}, arena.Factory)
	var div *journal.DivergenceError
	if !errors.As(err, &div) || div.Tick != 150 {
		t.Fatalf("replay of the changed journal: %v, want a divergence at tick 150", err)
	}
	t.Log(err)
}

// TestExportImport moves a running room to another Room: same id, tick and world hash; a player resumes there with
// its token and keeps playing, its inputs applied exactly once.
func TestExportImport(t *testing.T) {
	h := playJournaled(t, Config{CheckpointEvery: 100}, 250)
	sink, id := h.join("mover")
	b := newBot(99)
	for range 5 {
		in := b.next()
		in.Tick = game.Tick(h.r.Info().Tick + 1)
		h.r.Input(id, sink, in, 0)
		h.ticks(1)
	}
	// Two inputs are queued for later ticks when the room moves: the client resends them after resuming.
	for k := uint32(1); k <= 2; k++ {
		in := b.next()
		in.Tick = game.Tick(h.r.Info().Tick + k)
		h.r.Input(id, sink, in, 0)
	}
	h.r.sync()
	ex, err := h.r.Export(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if closed, code := sink.state(); !closed || code != CloseMoved {
		t.Fatalf("the mover's connection: closed %v code %d", closed, code)
	}
	raw, _ := ex.MarshalBinary()
	var ex2 Export
	if err := ex2.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	var mover ExportedPlayer
	for _, p := range ex2.Players {
		if p.ID == id {
			mover = p
		}
	}
	if mover.LastInputSeq != 5 || string(mover.ResumeToken) != "tok-mover" {
		t.Fatalf("exported seat %+v", mover)
	}
	t.Logf("export at tick %d: %d bytes (%d players)", ex2.Tick, len(raw), len(ex2.Players))

	sim, err := arena.Factory(game.Config{Seed: 7, TickRate: 30, MaxPlayers: 16})
	if err != nil {
		t.Fatal(err)
	}
	h2 := &harness{t: t, clk: newFakeClock(), evs: make(chan Event, 1024)}
	h2.t0 = h2.clk.Now()
	r2, err := Import(Config{Clock: h2.clk, Logger: h.r.cfg.Logger, CheckpointEvery: 100}, sim, &ex2)
	if err != nil {
		t.Fatal(err)
	}
	h2.r, h2.dt = r2, time.Second/30
	if r2.ID() != h.r.ID() || r2.tick != ex2.Tick || r2.Info().Players != len(ex2.Players) {
		t.Fatalf("imported room %s tick %d players %d", r2.ID(), r2.tick, r2.Info().Players)
	}
	go r2.Run()
	t.Cleanup(func() { r2.End("test_cleanup"); <-r2.Done() })
	r2.sync()
	ns := newFakeSink(t)
	res, err := r2.Resume(t.Context(), id, ns, []byte("tok-2"))
	if err != nil || res.LastInputSeq != 5 {
		t.Fatalf("resume: %+v %v", res, err)
	}
	// The client resends seqs 6 and 7 to fresh ticks, then goes on.
	b2 := newBot(99)
	for range 5 {
		b2.next()
	}
	for range 10 {
		in := b2.next()
		in.Tick = game.Tick(r2.Info().Tick + 1)
		r2.Input(id, ns, in, 0)
		h2.ticks(1)
	}
	if got := r2.Info().InputsApplied; got != 10 {
		t.Fatalf("imported room applied %d inputs, want 10", got)
	}
	// The imported room's own export replays everything since the source's last checkpoint.
	ex3, err := r2.Export(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := journal.Replay([][]byte{ex3.Journal}, arena.Factory); err != nil {
		t.Fatalf("replay of the moved room: %v", err)
	}
}
