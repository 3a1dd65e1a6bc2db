package journal

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tickwire/tickwire/game/arena"
)

// A writer that falls behind never blocks the room: Write refuses bytes once every buffer is taken, the room's
// discarding them is counted as a gap, nothing is recorded until the next checkpoint, and the file then replays from
// that checkpoint on.
func TestRecorderFallsBehind(t *testing.T) {
	dir := t.TempDir()
	cfg := DirConfig{Path: dir, QueueSize: 1, ChunkBuffers: 2, ChunkBytes: 64, FlushTicks: 1}
	cfg.setDefaults()
	d := &Dir{cfg: cfg, ch: make(chan *chunk, cfg.QueueSize), done: make(chan struct{})}
	// The writer is not running yet: the queue holds one chunk, the recorder has two buffers.
	rec := d.Recorder(Header{Room: "slow", Mode: "arena", HistorySize: 64}, true)
	tick := []byte{byte(KindBegin), 1, byte(KindStep)}
	for range 20 {
		tick = append(tick, byte(KindStep))
	}
	refused := 0
	for range 40 {
		if !rec.Write(tick, false) {
			refused++
		}
	}
	if refused == 0 {
		t.Fatal("a recorder whose writer is stuck took every write")
	}
	rec.Lost() // the room's checkpoint discards what was refused
	if d.Dropped() != 1 || !rec.WantsCheckpoint() {
		t.Fatalf("dropped %d, wants a checkpoint %v", d.Dropped(), rec.WantsCheckpoint())
	}
	if !rec.Write(tick, false) {
		t.Fatal("in a gap, writes are discarded, not refused")
	}
	// The writer catches up; the next checkpoint restarts the recording.
	d.files = map[*Recorder]*os.File{}
	go d.writer()
	for !rec.Write(nil, false) { // until a buffer is free again
	}
	file := recordArena(t, 30, 20)
	dec, _ := NewDecoder(file)
	var e Entry
	for {
		before := dec.Rest()
		if ok, err := dec.Next(&e); err != nil || !ok {
			t.Fatal("no checkpoint")
		}
		if e.Kind == KindCheckpoint {
			rest := file[len(file)-before:]
			for !rec.Write(rest, true) {
			}
			break
		}
	}
	rec.Close(nil, false)
	d.Close()
	names, _ := filepath.Glob(filepath.Join(dir, "*.twj"))
	if len(names) != 1 {
		t.Fatalf("files %v", names)
	}
	b, err := os.ReadFile(names[0])
	if err != nil {
		t.Fatal(err)
	}
	res, err := Replay([][]byte{b}, arena.Factory)
	if err != nil || res.Gaps != 1 || res.To != 30 || res.Ticks != 10 {
		t.Fatalf("replay of the file with a gap: %+v, %v", res, err)
	}
	t.Logf("file of %d bytes: %+v", len(b), res)
}
