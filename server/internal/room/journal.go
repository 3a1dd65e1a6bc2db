package room

import (
	"sync"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// The journal: the room feeds its Sim only through journal entries (feed), and appends each one, after applying it,
// to an in-memory journal (jenc) that holds the entries since the last checkpoint (or since tick 0). Every tick ends
// with the world's hash. A replay of that journal (package journal) makes the same calls in the same order and must
// find the same hash at every tick. The bytes of each tick go to the Recorder (Config.Journal), which hands them to a
// writer goroutine without blocking; a Sim with game.Checkpointer is checkpointed every Config.CheckpointEvery ticks,
// where the in-memory journal restarts. Export hands that journal to another room (export.go).

// journalState is the room's journal. Owned by the run loop.
type journalState struct {
	ent      journal.Entry     // the entry being applied, reused
	enc      journal.Encoder   // the journal since ckptTick
	sent     int               // bytes of enc.Buf handed to rec
	ckptTick uint32            // the tick enc starts after (its first entry is that tick's checkpoint, unless 0)
	ckpt     game.Checkpointer // nil: the Sim has none
	hasher   *journal.Hasher   // the world hash of every tick
	rec      *journal.Recorder // nil: not recorded
	lost     bool              // the in-memory journal outgrew JournalTail without a Checkpointer: no Export
	restart  bool              // enc.Buf[sent:] begins with a checkpoint
	lastHash uint64            // the hash of the last tick
	worlds   []snapcodec.World // a checkpoint's history, reused
	stream   Streamer          // nil: not streamed (stream.go)
	ssent    int               // bytes of enc.Buf handed to stream
	snapWant bool              // a snapshot is due at the end of this tick (after a checkpoint, or at the start)
	exported bool              // the room ended by Export
}

func (r *Room) initJournal() {
	j := &r.j
	j.hasher = journal.NewHasher(r.schema)
	j.ckpt, _ = r.sim.(game.Checkpointer)
	j.enc.Buf = make([]byte, 0, 4096)
	if r.cfg.Journal != nil {
		j.rec = r.cfg.Journal.Recorder(r.journalHeader(), j.ckpt != nil)
	}
	if r.cfg.Stream != nil {
		j.stream = r.cfg.Stream(r.cfg.ID)
		j.snapWant = j.stream != nil
	}
}

func (r *Room) journalHeader() journal.Header {
	return journal.Header{Room: r.cfg.ID, Mode: r.cfg.Mode, Epoch: r.cfg.Epoch, Game: r.cfg.Game,
		HistorySize: len(r.hist)}
}

// entry returns the room's reusable entry, reset to kind k.
func (r *Room) entry(k journal.Kind) *journal.Entry {
	e := &r.j.ent
	e.Kind = k
	return e
}

// feed applies e to the Sim at the current tick and appends it to the journal.
func (r *Room) feed(e *journal.Entry) ([]byte, error) {
	reply, err := e.Apply(r.sim, game.Tick(r.tick), &r.events)
	r.j.enc.Append(e)
	return reply, err
}

// feedPlayer feeds a Leave, Disconnected or Resumed of player p.
func (r *Room) feedPlayer(k journal.Kind, p game.PlayerID) {
	e := r.entry(k)
	e.Player.ID = p
	r.feed(e)
}

// feedStep is Sim.Step of the current tick, through the journal.
func (r *Room) feedStep() { r.feed(r.entry(journal.KindStep)) }

// beginTick opens tick t in the journal: what follows is applied during it.
func (r *Room) beginTick(t uint32) {
	e := r.entry(journal.KindBegin)
	e.Tick = game.Tick(t)
	r.j.enc.Append(e)
}

// endTick records the hash of the world at the end of the tick, then hands the tick's journal to the recorder and
// checkpoints when one is due.
func (r *Room) endTick(w *snapcodec.World) {
	j := &r.j
	j.lastHash = j.hasher.Hash(w.Entities)
	e := r.entry(journal.KindHash)
	e.Hash = j.lastHash
	j.enc.Append(e)
	r.handOver()
	r.streamEntries()
	switch {
	case j.ckpt != nil:
		// A checkpoint restarts the in-memory journal, so it waits while the writer has not taken all of it (up to
		// JournalTail: then the bytes not taken are lost, a gap in the file).
		pending := j.sent < len(j.enc.Buf)
		if len(j.enc.Buf) >= r.cfg.JournalTail || !pending && (w.Tick-j.ckptTick >= uint32(r.cfg.CheckpointEvery) ||
			j.rec.WantsCheckpoint() || j.stream != nil && j.stream.SnapshotDue(w.Tick)) {
			r.checkpoint()
			r.handOver()
		}
	case len(j.enc.Buf) >= r.cfg.JournalTail:
		// Without a Checkpointer the journal can only grow: keep recording it, but stop keeping it.
		if j.sent < len(j.enc.Buf) {
			j.rec.Lost()
		}
		j.enc.Buf, j.sent, j.ssent, j.lost = j.enc.Buf[:0], 0, 0, true
	}
	r.streamSnapshot()
}

// handOver gives the recorder the journal bytes it has not had yet.
func (r *Room) handOver() {
	j := &r.j
	if j.rec != nil && !j.rec.Write(j.enc.Buf[j.sent:], j.restart) {
		return // the writer is behind: the bytes wait in the journal for the next tick
	}
	j.sent, j.restart = len(j.enc.Buf), false
}

// checkpoint restarts the journal with a checkpoint of the Sim and the world history at the current tick.
func (r *Room) checkpoint() {
	j := &r.j
	c := journal.Checkpoint{Tick: game.Tick(r.tick), Sim: j.ckpt.Checkpoint()}
	if c.Sim == nil {
		c.Sim = []byte{}
	}
	bp := historyBlocks.Get().(*[]game.Entity)
	c.Worlds, *bp = r.appendHistory(j.worlds[:0], *bp)
	if j.sent < len(j.enc.Buf) {
		j.rec.Lost() // the writer never took these bytes: the file has a gap up to this checkpoint
	}
	j.enc.Reset(game.Tick(r.tick))
	j.enc.AppendCheckpoint(&c)
	clear(c.Worlds) // drop the entities: only the slice of world headers is reused
	j.worlds = c.Worlds[:0]
	historyBlocks.Put(bp)
	j.ckptTick, j.sent, j.restart, j.lost = r.tick, 0, true, false
	j.ssent, j.snapWant = 0, j.stream != nil
}

// historyBlocks holds the blocks checkpoints unpack the history into (*[]game.Entity), shared by every room: a
// checkpoint borrows one and gives it back once encoded. Between checkpoints a room keeps only its packed history,
// not HistorySize worlds of full-size entities besides it, and a checkpoint allocates nothing in steady state.
var historyBlocks = sync.Pool{New: func() any { return new([]game.Entity) }}

// appendHistory appends the worlds of the history, oldest first, unpacked into block (grown when too small), and
// returns both.
func (r *Room) appendHistory(dst []snapcodec.World, block []game.Entity) ([]snapcodec.World, []game.Entity) {
	n := uint32(len(r.hist))
	first := uint32(1)
	if r.tick >= n {
		first = r.tick - n + 1
	}
	total := 0
	for t := first; t <= r.tick && t != 0; t++ {
		if p := r.packedAt(t); p != nil {
			total += p.Len()
		}
	}
	if cap(block) < total {
		block = make([]game.Entity, 0, total)
	}
	block = block[:0]
	for t := first; t <= r.tick && t != 0; t++ {
		if p := r.packedAt(t); p != nil {
			k := len(block)
			block = p.AppendTo(block)
			dst = append(dst, snapcodec.World{Tick: p.Tick, Entities: block[k:len(block):len(block)]})
		}
	}
	return dst, block
}

// closeJournal hands over the rest and closes the room's file.
func (r *Room) closeJournal() {
	if j := &r.j; j.rec != nil {
		j.rec.Close(j.enc.Buf[j.sent:], j.restart)
		j.sent, j.restart = len(j.enc.Buf), false
	}
	if j := &r.j; j.stream != nil {
		j.stream.End(j.exported)
	}
}
