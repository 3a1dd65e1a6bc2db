package room

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// Export and Import move a room to another Room object (in another process: live migration). Export stops the room
// at a tick boundary: its connected players are disconnected (through the journal, as any disconnect) and closed
// with CloseMoved, a reconnectable code, and the room ends without a match result. What it returns is the room's
// in-memory journal as a file (a header, the last checkpoint, every entry since) plus its seats: each player's
// identity, resume token and highest applied input seq. Import makes the Sim replay that journal through the same
// path the live room feeds it by (journal.Entry.Apply), checking the world hash of every tick, and opens the seats
// as players in their grace period. The new room has the same id, epoch, tick, world and history; a player resumes
// there with its token and resends the inputs above its last applied seq, so none is lost or applied twice.
// The seats reserved for players on their way (Reserve) move too, each with the lifetime it had left. Safe from any
// goroutine, like the Room's other methods.

// CloseMoved closes the connections of a room that was exported (CLOSE_GOING_AWAY, reconnectable): the player
// resumes with its token wherever the room went.
const CloseMoved = 1001

// EventExported is the room event of an exported room (reported to OnEvent as the room ends).
const EventExported = "exported"

// Errors of Export and Import.
var (
	ErrNotExportable = errors.New("room: the journal since the last checkpoint was not kept (no game.Checkpointer and more than JournalTail)")
	ErrImport        = errors.New("room: import failed")
)

// Export is a room on its way to another Room (Import). MarshalBinary and UnmarshalBinary carry it across processes.
type Export struct {
	// Journal is a journal file (package journal): the header (room id, mode, epoch, the Sim's config), then a
	// checkpoint (unless the room never took one: then the entries start at tick 0) and every entry since.
	Journal []byte
	// Tick is the room's last tick, and Hash the world's hash (journal.Hasher) at the export.
	Tick uint32
	Hash uint64
	// NextPlayer is the last player id given out: the imported room continues after it.
	NextPlayer game.PlayerID
	Players    []ExportedPlayer
	// Recovered marks an Export rebuilt from the room's stream after its node died (not carried by MarshalBinary):
	// Import then calls Recovered(LostTicks) on the room (stream.go).
	Recovered bool
	LostTicks int
	// Reserved are the live seat reservations at the export (Reserve): Import reserves them again, each for the
	// lifetime it had left.
	Reserved []ExportedReservation
}

// ExportedReservation is one reserved seat of an exported room.
type ExportedReservation struct {
	Key string
	TTL time.Duration // left at the export
}

// ExportedPlayer is one seat of an exported room.
type ExportedPlayer struct {
	ID           game.PlayerID
	Name, UserID string
	Verified     bool
	ResumeToken  []byte // the token the room put in the player's last Welcome
	LastInputSeq uint32 // the highest input seq applied: the client resends the ones above it
}

type exportReply struct {
	ex  *Export
	err error
}

// Export stops the room and returns what Import needs to continue it elsewhere (see above). It waits for the loop;
// ErrEnded when the room had ended, ErrNotExportable when the journal was not kept, ctx's error when ctx ends first
// (the room may then still be exported and stopped).
func (r *Room) Export(ctx context.Context) (*Export, error) {
	reply := make(chan exportReply, 1)
	if err := r.pushControl(ctlCmd{kind: ctlExport, export: reply}, false); err != nil {
		return nil, err
	}
	select {
	case rep := <-reply:
		return rep.ex, rep.err
	case <-r.done:
		select {
		case rep := <-reply:
			return rep.ex, rep.err
		default:
			return nil, ErrEnded
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// export runs on the loop.
func (r *Room) export() (*Export, error) {
	if r.j.lost {
		return nil, ErrNotExportable
	}
	for i := 0; i < len(r.players); i++ {
		if p := r.players[i]; p.connected {
			p.sink.Close(CloseMoved, "room moved")
			r.disconnect(p, "moved")
		}
	}
	world := r.sim.AppendEntities(nil)
	h := r.journalHeader()
	file := journal.AppendHeader(make([]byte, 0, 64+len(r.j.enc.Buf)), &h)
	ex := &Export{Journal: append(file, r.j.enc.Buf...)}
	r.exportState(ex)
	ex.Hash = r.j.hasher.Hash(world)
	now := r.cfg.Clock.Now()
	r.seats.mu.Lock()
	r.seats.pruneLocked(now)
	for k, until := range r.seats.reserved {
		ex.Reserved = append(ex.Reserved, ExportedReservation{Key: k, TTL: until.Sub(now)})
	}
	r.seats.mu.Unlock()
	sort.Slice(ex.Reserved, func(i, j int) bool { return ex.Reserved[i].Key < ex.Reserved[j].Key })
	r.ended, r.j.exported = true, true
	r.publish()
	r.emit(Event{Type: EventExported})
	return ex, nil
}

// Game returns the exported room's mode and the configuration its Sim was made with: what the mode's Factory must be
// called with to make the Sim Import continues.
func (ex *Export) Game() (mode string, gc game.Config, err error) {
	d, err := journal.NewDecoder(ex.Journal)
	if err != nil {
		return "", game.Config{}, fmt.Errorf("%w: %w", ErrImport, err)
	}
	return d.Header.Mode, d.Header.Game, nil
}

// importHost drives a room's tick and history while Import replays its journal.
type importHost struct {
	r     *Room
	world *snapcodec.World
}

func (h *importHost) Begin(t game.Tick) { h.r.tick = uint32(t) }

func (h *importHost) End() uint64 {
	r := h.r
	w := &r.world
	w.Tick = r.tick
	w.Entities = r.sim.AppendEntities(w.Entities[:0])
	r.checkWorld(w)
	r.codec.PackWorld(&r.hist[int(r.tick%uint32(len(r.hist)))].world, w)
	h.world = w
	return r.j.hasher.Hash(w.Entities)
}

// Import makes a room that continues ex, with sim made by the mode's Factory from the exported config
// (Export.Game). cfg is the room configuration of the mode: its ID, Mode, Epoch, Game, HistorySize and TickRate
// are taken from the export. The room has the export's tick and world, and every exported player in its grace
// period. Call Run to start it. A Sim or journal that does not reproduce the export fails with ErrImport (a
// *journal.DivergenceError names the tick).
func Import(cfg Config, sim game.Sim, ex *Export) (r *Room, err error) {
	d, err := journal.NewDecoder(ex.Journal)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrImport, err)
	}
	hd := &d.Header
	cfg.ID, cfg.Mode, cfg.Epoch, cfg.Game, cfg.HistorySize, cfg.TickRate =
		hd.Room, hd.Mode, hd.Epoch, hd.Game, hd.HistorySize, hd.Game.TickRate
	if r, err = New(cfg, sim); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("%w: the Sim panicked: %v", ErrImport, p)
		}
	}()
	host := &importHost{r: r}
	rp := journal.NewReplayer(sim, host, 0)
	var e journal.Entry
	start := game.Tick(0)
	for {
		ok, err := d.Next(&e)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrImport, err)
		}
		if !ok {
			break
		}
		if e.Kind == journal.KindCheckpoint {
			c := d.Checkpoint()
			if err := journal.RestoreSim(sim, c); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrImport, err)
			}
			for i := range r.hist {
				r.hist[i].world.Reset()
			}
			for i := range c.Worlds {
				r.codec.PackWorld(&r.hist[int(c.Worlds[i].Tick%uint32(len(r.hist)))].world, &c.Worlds[i])
			}
			r.tick, start = uint32(c.Tick), c.Tick
			rp = journal.NewReplayer(sim, host, c.Tick)
			continue
		}
		if err := rp.Apply(&e); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrImport, err)
		}
	}
	got := r.j.hasher.Hash(sim.AppendEntities(nil))
	if r.tick != ex.Tick || got != ex.Hash {
		return nil, fmt.Errorf("%w: replayed to tick %d hash %016x, exported tick %d hash %016x", ErrImport, r.tick,
			got, ex.Tick, ex.Hash)
	}
	r.imported = importMark{tick: r.tick, hash: got, ok: true}
	if host.world != nil {
		r.j.lastHash = r.j.hasher.Hash(host.world.Entities)
	}
	// The journal continues from the exported one.
	r.j.enc.Reset(game.Tick(r.tick))
	r.j.enc.Buf = append(r.j.enc.Buf, d.Body()...)
	r.j.ckptTick, r.j.restart = uint32(start), start > 0
	r.j.ssent, r.j.snapWant = 0, r.j.stream != nil // the stream restarts with a snapshot of the imported room
	r.startTick = r.tick
	r.tickA.Store(r.tick)
	r.nextID = ex.NextPlayer
	for _, xp := range ex.Players {
		if xp.ID == 0 || xp.ID > ex.NextPlayer || r.byID[xp.ID] != nil || len(r.players) >= r.cfg.MaxPlayers {
			return nil, fmt.Errorf("%w: bad player %d", ErrImport, xp.ID)
		}
		p := &player{id: xp.ID, name: xp.Name, userID: xp.UserID, verified: xp.Verified, lastSeq: xp.LastInputSeq,
			token: xp.ResumeToken, graceUntil: r.tick + r.graceTicks, in: newInputBuf(r.cfg.InputWindow, &r.neutral)}
		p.in.reset(p.lastSeq, r.tick, &r.neutral)
		r.players = append(r.players, p)
		r.byID[p.id] = p
		r.nDisc++
		r.takeSeat("")
	}
	if len(r.players) == 0 {
		r.emptySince = r.tick
	}
	if len(ex.Reserved) > 0 {
		now := r.cfg.Clock.Now()
		s := &r.seats
		s.mu.Lock()
		if s.reserved == nil {
			s.reserved = make(map[string]time.Time, len(ex.Reserved))
		}
		for _, rv := range ex.Reserved {
			if rv.Key != "" && rv.TTL > 0 && s.taken+len(s.reserved) < s.capacity {
				s.reserved[rv.Key] = now.Add(rv.TTL)
			}
		}
		s.mu.Unlock()
	}
	if ex.Recovered {
		r.Recovered(ex.LostTicks)
	}
	r.publish()
	return r, nil
}

// importMark is what Import replayed: the tick and the world hash it computed there (static after Import).
type importMark struct {
	tick uint32
	hash uint64
	ok   bool
}

// Imported returns the tick an imported room continued from and the world hash Import computed at that tick by
// replaying the export's journal (ok false: the room was not imported).
func (r *Room) Imported() (tick uint32, hash uint64, ok bool) {
	return r.imported.tick, r.imported.hash, r.imported.ok
}

// MarshalBinary encodes the export (varints; the journal as it is).
func (ex *Export) MarshalBinary() ([]byte, error) {
	b := binary.AppendUvarint(nil, uint64(len(ex.Journal)))
	b = append(b, ex.Journal...)
	b = binary.AppendUvarint(b, uint64(ex.Tick))
	b = binary.LittleEndian.AppendUint64(b, ex.Hash)
	b = binary.AppendUvarint(b, uint64(ex.NextPlayer))
	b = binary.AppendUvarint(b, uint64(len(ex.Players)))
	for _, p := range ex.Players {
		b = binary.AppendUvarint(b, uint64(p.ID))
		for _, s := range []string{p.Name, p.UserID, string(p.ResumeToken)} {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		v := byte(0)
		if p.Verified {
			v = 1
		}
		b = append(b, v)
		b = binary.AppendUvarint(b, uint64(p.LastInputSeq))
	}
	// The reservations come last and only when there are some: an export without them reads as before.
	if len(ex.Reserved) > 0 {
		b = binary.AppendUvarint(b, uint64(len(ex.Reserved)))
		for _, rv := range ex.Reserved {
			b = binary.AppendUvarint(b, uint64(len(rv.Key)))
			b = append(b, rv.Key...)
			b = binary.AppendUvarint(b, uint64(max(rv.TTL, 0)))
		}
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary made.
func (ex *Export) UnmarshalBinary(b []byte) error {
	bad := fmt.Errorf("%w: malformed export", ErrImport)
	uv := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			b = nil
			return 1 << 63
		}
		b = b[n:]
		return v
	}
	bytes := func() []byte {
		n := uv()
		if n > uint64(len(b)) {
			b = nil
			return nil
		}
		s := append([]byte(nil), b[:n]...)
		b = b[n:]
		return s
	}
	*ex = Export{Journal: bytes()}
	tick := uv()
	if len(b) < 8 || tick > 1<<32-1 {
		return bad
	}
	ex.Tick, ex.Hash = uint32(tick), binary.LittleEndian.Uint64(b)
	b = b[8:]
	next, n := uv(), uv()
	if next > 1<<32-1 || n > uint64(len(b)) {
		return bad
	}
	ex.NextPlayer = game.PlayerID(next)
	for range n {
		id := uv()
		p := ExportedPlayer{ID: game.PlayerID(id), Name: string(bytes()), UserID: string(bytes()), ResumeToken: bytes()}
		if len(b) < 1 || id > 1<<32-1 {
			return bad
		}
		p.Verified, b = b[0] == 1, b[1:]
		seq := uv()
		if seq > 1<<32-1 {
			return bad
		}
		p.LastInputSeq = uint32(seq)
		ex.Players = append(ex.Players, p)
	}
	if len(b) > 0 {
		nr := uv()
		if nr > uint64(len(b)) {
			return bad
		}
		for range nr {
			key := bytes()
			ttl := uv()
			if b == nil || ttl > 1<<62 {
				return bad
			}
			ex.Reserved = append(ex.Reserved, ExportedReservation{Key: string(key), TTL: time.Duration(ttl)})
		}
	}
	if len(b) != 0 {
		return bad
	}
	return nil
}
