package room

import (
	"fmt"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// Streaming (crash recovery): with Config.Stream set, the room hands its journal to a Streamer as it is made, so that
// another process can rebuild the room after this one died without a goodbye. At the end of every tick the Streamer
// gets the journal bytes appended since the last call (ending with the tick's hash entry); at every checkpoint (and,
// for a Sim without game.Checkpointer, whenever the Streamer asks) it gets a Snapshot: the room in Export's format,
// taken without stopping the room. A seat's resume token, which the journal does not hold, is handed over when the
// seat is taken or resumed with a new token. A rebuild is the last snapshot, followed by the entries and seats
// handed over after it (RecoveryExport), imported like a migrated room.
//
// Every Streamer call runs on the room's loop: an implementation copies what it needs and never blocks. In steady
// state (a tick without a checkpoint or a seat change) the room allocates nothing for it.

// Streamer receives a room's journal as it is made (see above). Its methods are called from the room's loop only.
type Streamer interface {
	// Entries is given the journal bytes appended since the last call, up to and including tick's hash entry. b is
	// the room's buffer, valid during the call only. An implementation that cannot keep up drops them and asks for a
	// snapshot (SnapshotDue): the entries after a drop are of no use until the next snapshot.
	Entries(b []byte, tick uint32)
	// Seat is given the resume token of a seat that was taken or resumed with a new token (valid during the call).
	Seat(id game.PlayerID, token []byte)
	// Snapshot is given the room at the end of a tick, in Export's format; the Streamer owns it.
	Snapshot(ex *Export)
	// SnapshotDue reports whether the Streamer wants a snapshot at the end of this tick: a Sim with a Checkpointer
	// is then checkpointed early. Called once per tick: it must be cheap.
	SnapshotDue(tick uint32) bool
	// End is called once, as the room ends; exported: the room continues elsewhere (Export), its stream is the new
	// room's now.
	End(exported bool)
}

// streamEntries hands the journal bytes not streamed yet to the Streamer.
func (r *Room) streamEntries() {
	j := &r.j
	if j.stream == nil || j.ssent >= len(j.enc.Buf) {
		return
	}
	if !j.snapWant { // before the first snapshot the entries have no base to follow
		j.stream.Entries(j.enc.Buf[j.ssent:], r.tick)
	}
	j.ssent = len(j.enc.Buf)
}

// streamSnapshot takes a snapshot when one is wanted: after each checkpoint, and when a room without a Checkpointer
// is asked for one (the whole journal since tick 0).
func (r *Room) streamSnapshot() {
	j := &r.j
	if j.stream == nil || j.lost {
		return
	}
	if !j.snapWant && (j.ckpt != nil || !j.stream.SnapshotDue(r.tick)) {
		return
	}
	h := r.journalHeader()
	file := journal.AppendHeader(make([]byte, 0, 64+len(j.enc.Buf)), &h)
	ex := &Export{Journal: append(file, j.enc.Buf...)}
	r.exportState(ex)
	j.stream.Snapshot(ex)
	j.ssent, j.snapWant = len(j.enc.Buf), false
}

// streamSeat hands a seat's resume token to the Streamer.
func (r *Room) streamSeat(p *player) {
	if r.j.stream != nil && len(p.token) > 0 {
		r.j.stream.Seat(p.id, p.token)
	}
}

// exportState fills in what an Export holds besides the journal: the tick, the world's hash and the seats.
func (r *Room) exportState(ex *Export) {
	ex.Tick, ex.Hash, ex.NextPlayer = r.tick, r.j.lastHash, r.nextID
	ex.Players = ex.Players[:0]
	for _, p := range r.players {
		ex.Players = append(ex.Players, ExportedPlayer{ID: p.id, Name: p.name, UserID: p.userID, Verified: p.verified,
			ResumeToken: p.token, LastInputSeq: p.lastSeq})
	}
}

// EventRecovered is the room event of a room rebuilt from its stream after its node died (Room.Recovered): Tick is
// the last tick recovered, Reason says how many ticks after it were lost ("lost_ticks=N").
const EventRecovered = "recovered"

// Recovered marks a room just imported from its stream (after its node died) as having lost the lostTicks ticks
// after its last streamed one: call it before Run. The room runs those ticks at once when it starts, as a room that
// was held up does (with every player's input missing), so that its timeline stays where its players saw it; the
// Sim is told through game.Recoverer, and the room event "recovered" reports it.
func (r *Room) Recovered(lostTicks int) {
	if lostTicks < 0 || r.started.Load() {
		return
	}
	r.recovered, r.lostTicks = true, min(lostTicks, r.cfg.MaxCatchUp)
}

// startRecovered runs on the loop before the first tick of a recovered room.
func (r *Room) startRecovered() {
	if !r.recovered {
		return
	}
	r.start = r.start.Add(-time.Duration(r.lostTicks) * time.Second / time.Duration(r.cfg.TickRate))
	if rc, ok := r.sim.(game.Recoverer); ok {
		rc.Recovered(r.lostTicks)
	}
	r.emit(Event{Type: EventRecovered, Tick: r.tick, Reason: fmt.Sprintf("lost_ticks=%d", r.lostTicks)})
}
