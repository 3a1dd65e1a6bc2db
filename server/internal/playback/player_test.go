package playback

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// synthetic is a recording made as a room makes one: three arena players moving, turning and firing for ticks
// ticks, a checkpoint every ckptEvery ticks, the world hash of every tick. It returns the files (split into a new
// segment at the checkpoint of tick split, 0: one file) and the journal hash of each tick.
type synthetic struct {
	files  [][]byte
	hashes map[game.Tick]uint64
}

func makeRecording(t testing.TB, ticks, ckptEvery int, split game.Tick, flip game.Tick) synthetic {
	t.Helper()
	h := journal.Header{Room: "room_1", Mode: arena.Mode, Epoch: 7,
		Game: game.Config{Seed: 42, TickRate: 30, MaxPlayers: 8}, HistorySize: 64}
	sim, err := arena.Factory(h.Game)
	if err != nil {
		t.Fatal(err)
	}
	host := journal.NewSimHost(sim, &h)
	enc := journal.Encoder{Buf: journal.AppendHeader(nil, &h)}
	out := synthetic{hashes: map[game.Tick]uint64{}}
	var ev game.Events
	var e journal.Entry
	apply := func(tick game.Tick) {
		if _, err := e.Apply(sim, tick, &ev); err != nil {
			t.Fatal(err)
		}
		enc.Append(&e)
	}
	for p := game.PlayerID(1); p <= 3; p++ {
		e = journal.Entry{Kind: journal.KindJoin, Player: game.Player{ID: p, Name: "bot"}}
		apply(0)
	}
	for tick := game.Tick(1); tick <= game.Tick(ticks); tick++ {
		e = journal.Entry{Kind: journal.KindBegin, Tick: tick}
		enc.Append(&e)
		host.Begin(tick)
		ev.Reset()
		for p := game.PlayerID(1); p <= 3; p++ {
			dir := int32((int(tick)/15+int(p))%3) - 1
			e = journal.Entry{Kind: journal.KindInput, Player: game.Player{ID: p},
				Input: game.Input{Seq: uint32(tick), Tick: tick,
					Values: [game.MaxInputValues]int32{dir, -dir, int32(tick) * 40 * int32(p), int32(tick % 5 / 4)}}}
			if _, err := e.Apply(sim, tick, &ev); err != nil {
				t.Fatal(err)
			}
			if p == 2 && tick == flip {
				e.Input.Values[0] = -e.Input.Values[0] - 1 + 2*(e.Input.Values[0]&1) // recorded other than applied
			}
			enc.Append(&e)
		}
		e = journal.Entry{Kind: journal.KindStep}
		apply(tick)
		e = journal.Entry{Kind: journal.KindHash, Hash: host.End()}
		out.hashes[tick] = e.Hash
		enc.Append(&e)
		if ckptEvery > 0 && int(tick)%ckptEvery == 0 {
			c := journal.Checkpoint{Tick: tick, Sim: sim.(game.Checkpointer).Checkpoint(),
				Worlds: host.Hist.AppendWorlds(nil)}
			if tick == split { // the next segment starts with this checkpoint, as the recorder rotates files
				out.files = append(out.files, enc.Buf)
				h.Segment++
				enc = journal.Encoder{Buf: journal.AppendHeader(nil, &h)}
			}
			enc.AppendCheckpoint(&c)
		}
	}
	out.files = append(out.files, enc.Buf)
	return out
}

func TestPlayerPlaysEveryTick(t *testing.T) {
	for _, split := range []game.Tick{0, 40} {
		rec := makeRecording(t, 100, 20, split, 0)
		p, err := Open(rec.files, arena.Factory)
		if err != nil {
			t.Fatal(err)
		}
		if p.First() != 0 || p.Last() != 100 || p.Truncated() != nil {
			t.Fatalf("split %d: first %d last %d truncated %v, want 0, 100, nil", split, p.First(), p.Last(), p.Truncated())
		}
		if got := p.Checkpoints(); len(got) != 6 || got[0] != 0 || got[5] != 100 {
			t.Fatalf("split %d: checkpoints %v, want 0 20 40 60 80 100", split, got)
		}
		hasher := journal.NewHasher(p.Sim().Schema())
		joins := 0
		for want := game.Tick(1); ; want++ {
			err := p.Step()
			if errors.Is(err, io.EOF) {
				if want != 101 {
					t.Fatalf("split %d: ended after tick %d, want 100", split, want-1)
				}
				break
			}
			if err != nil {
				t.Fatalf("split %d, tick %d: %v", split, want, err)
			}
			if p.Tick() != want || hasher.Hash(p.World()) != rec.hashes[want] {
				t.Fatalf("split %d: tick %d (hash %x), want %d (%x)", split, p.Tick(), hasher.Hash(p.World()), want,
					rec.hashes[want])
			}
			for _, ev := range p.Events() {
				if ev.Type == "player_joined" {
					joins++
				}
			}
		}
		if p.Checked() != 100 || joins != 3 {
			t.Fatalf("split %d: checked %d, joins %d; want 100, 3", split, p.Checked(), joins)
		}
	}
}

func TestPlayerSeek(t *testing.T) {
	rec := makeRecording(t, 100, 20, 40, 0)
	p, err := Open(rec.files, arena.Factory)
	if err != nil {
		t.Fatal(err)
	}
	hasher := journal.NewHasher(p.Sim().Schema())
	for _, tc := range []struct {
		to, want game.Tick
		stepped  int // ticks re-run from the nearest checkpoint
	}{
		{37, 37, 17}, {5, 5, 5}, {20, 20, 0}, {60, 60, 0}, {99, 99, 19}, {100, 100, 0}, {500, 100, 0}, {41, 41, 1},
	} {
		if err := p.Seek(tc.to); err != nil {
			t.Fatalf("seek %d: %v", tc.to, err)
		}
		if p.Tick() != tc.want || p.Checked() != tc.stepped || hasher.Hash(p.World()) != rec.hashes[tc.want] {
			t.Fatalf("seek %d: at tick %d after re-running %d ticks (hash ok %v); want %d after %d", tc.to, p.Tick(),
				p.Checked(), hasher.Hash(p.World()) == rec.hashes[tc.want], tc.want, tc.stepped)
		}
		if tc.want < 100 { // and it plays on from there
			if err := p.Step(); err != nil || hasher.Hash(p.World()) != rec.hashes[tc.want+1] {
				t.Fatalf("step after seek %d: %v", tc.to, err)
			}
		}
	}
}

func TestPlayerReportsDivergence(t *testing.T) {
	rec := makeRecording(t, 60, 20, 0, 25)
	p, err := Open(rec.files, arena.Factory)
	if err != nil {
		t.Fatal(err)
	}
	var div *journal.DivergenceError
	for range 60 {
		if err = p.Step(); err != nil {
			break
		}
	}
	if !errors.As(err, &div) || div.Tick != 25 || div.What != "hash" {
		t.Fatalf("got %v, want a hash divergence at tick 25", err)
	}
	// A seek past it meets it too; one before it does not.
	if err := p.Seek(30); !errors.As(err, &div) || div.Tick != 25 {
		t.Fatalf("seek over the divergence: %v", err)
	}
	if err := p.Seek(24); err != nil {
		t.Fatalf("seek before the divergence: %v", err)
	}
}

func TestPlayerTruncatedFile(t *testing.T) {
	rec := makeRecording(t, 50, 20, 0, 0)
	cut := rec.files[0][:len(rec.files[0])-3] // a file still being written
	p, err := Open([][]byte{cut}, arena.Factory)
	if err != nil {
		t.Fatal(err)
	}
	if p.Truncated() == nil || p.Last() != 49 {
		t.Fatalf("truncated %v, last %d; want an error and 49", p.Truncated(), p.Last())
	}
	n := 0
	for p.Step() == nil {
		n++
	}
	if n != 49 {
		t.Fatalf("played %d ticks, want 49", n)
	}
}

func TestLoadStaysInTheDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "rec")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := makeRecording(t, 10, 0, 0, 0)
	// A recording outside the directory, and a link to it inside.
	if err := os.WriteFile(filepath.Join(parent, "secret-1-0000.twj"), rec.files[0], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(parent, "secret-1-0000.twj"), filepath.Join(dir, "link-1-0000.twj")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "room_1-7-0000.twj"), rec.files[0], 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, _, err := Load(root, "room_1-7", 1<<20); err != nil {
		t.Fatalf("the recording inside: %v", err)
	}
	for _, id := range []string{"../secret-1", "..", "../rec/room_1-7", "/etc/passwd", "room_1-7/../../secret-1",
		"link-1", "secret-1", "", "room_1-7\x00", "room%2f..", "..\\secret-1"} {
		_, files, err := Load(root, id, 1<<20)
		if err == nil || files != nil {
			t.Errorf("Load(%q) = %d files, %v; want an error", id, len(files), err)
		}
	}
	if _, _, err := Load(root, "room_1-7", 100); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the size limit: %v, want ErrTooLarge", err)
	}
	recs, err := List(root)
	if err != nil || len(recs) != 1 || recs[0].ID != "room_1-7" || recs[0].Mode != arena.Mode || recs[0].Epoch != 7 {
		t.Fatalf("List = %+v, %v; want room_1-7 only (the link is not listed)", recs, err)
	}
}

// BenchmarkPlaybackTick is one playback tick of a 3-player arena: the journal's entries applied to the Sim, the
// hash checked, the snapshot delta-encoded into its frame. The tick itself allocates nothing (ckpt=0); a recording
// with the room's checkpoint every 300 ticks also pays for the journal decoder reading each checkpoint it passes.
func BenchmarkPlaybackTick(b *testing.B) {
	for _, every := range []int{0, 300} {
		b.Run(fmt.Sprintf("ckpt=%d", every), func(b *testing.B) {
			rec := makeRecording(b, 3000, every, 0, 0)
			p, err := Open(rec.files, arena.Factory)
			if err != nil {
				b.Fatal(err)
			}
			enc, err := newEncoder(p.Sim().Schema())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := p.Step(); err != nil {
					b.StopTimer()
					if err := p.Seek(0); err != nil {
						b.Fatal(err)
					}
					enc.restart()
					b.StartTimer()
					continue
				}
				_ = enc.snapshot(p.Tick(), p.World())
			}
		})
	}
}

// BenchmarkSeek is a seek in a 3-player arena recording of 3000 ticks with the room's checkpoint every 300 ticks: a
// new Sim restored from the nearest checkpoint, then up to 299 ticks re-run and checked (149 on average).
func BenchmarkSeek(b *testing.B) {
	rec := makeRecording(b, 3000, 300, 0, 0)
	p, err := Open(rec.files, arena.Factory)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	t := game.Tick(0)
	for b.Loop() {
		t = (t + 1237) % 3000
		if err := p.Seek(t); err != nil {
			b.Fatal(err)
		}
	}
}
