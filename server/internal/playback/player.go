package playback

import (
	"errors"
	"fmt"
	"io"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// Errors of a Player.
var (
	ErrNoStart = errors.New("playback: the recording has no tick to start from (its first file continues a " +
		"deleted one and holds no checkpoint)")
	ErrNoGame = errors.New("playback: no game registered for the recording's mode")
)

// mark is a place a playback can start from: the head of a room's first file (tick 0) or a checkpoint.
type mark struct {
	tick game.Tick
	file int
	off  int  // the entry's offset in the file's body (after the header)
	head bool // the room's first tick: no checkpoint, the Sim as its Factory makes it
}

// RoomEvent is something the room reported between or during ticks, which a spectator sees as an Event: a join, a
// leave, or one of the game's broadcast events.
type RoomEvent struct {
	Type   string
	Player game.PlayerID
	Text   string
	Args   []int32
	// Payload is a game event's payload.
	Payload string
}

// Player re-runs a recording tick by tick with the game's Sim, checking every tick's world hash. Not safe for
// concurrent use: it belongs to one playback's goroutine.
type Player struct {
	// Static after Open.
	files   [][]byte
	header  journal.Header
	factory game.Factory
	marks   []mark
	first   game.Tick // the first tick that can be shown (after the first mark)
	last    game.Tick // the last tick whose hash the recording holds
	// trunc says why the recording ends before its files do (a file cut short, a malformed entry); nil when whole.
	trunc error

	// The run, reset by Seek.
	sim     game.Sim
	hist    *journal.History
	hasher  *journal.Hasher
	dec     *journal.Decoder
	file    int
	tick    game.Tick
	started bool
	checked int // ticks whose hash matched since the last Seek
	gaps    int
	e       journal.Entry
	events  game.Events
	world   []game.Entity
	pending []RoomEvent // room events of the tick being stepped
	names   map[game.PlayerID]string
	result  *game.Result
}

// Open indexes a room's files (in segment order) and makes a Player positioned before the first tick. factory makes
// the game's Sim for the recorded config.
func Open(files [][]byte, factory game.Factory) (*Player, error) {
	if len(files) == 0 {
		return nil, errors.New("playback: no file")
	}
	p := &Player{files: files, factory: factory}
	if err := p.index(); err != nil {
		return nil, err
	}
	if err := p.Seek(p.first); err != nil {
		return nil, err
	}
	return p, nil
}

// index finds the marks and the last tick, decoding every entry without applying it.
func (p *Player) index() error {
	var e journal.Entry
	for i, f := range p.files {
		d, err := journal.NewDecoder(f)
		if err != nil {
			if i == 0 {
				return err
			}
			p.trunc = fmt.Errorf("file %d: %w", i+1, err)
			break
		}
		if i == 0 {
			p.header = d.Header
			if d.Header.Segment == 0 {
				p.marks = append(p.marks, mark{head: true})
			}
		}
		body := len(d.Body())
		for {
			off := body - d.Rest()
			ok, err := d.Next(&e)
			if err != nil {
				p.trunc = fmt.Errorf("file %d, tick %d: %w", i+1, d.Tick(), err)
				break
			}
			if !ok {
				break
			}
			switch e.Kind {
			case journal.KindCheckpoint:
				t := d.Checkpoint().Tick
				if len(p.marks) == 0 || p.marks[len(p.marks)-1].tick < t {
					p.marks = append(p.marks, mark{tick: t, file: i, off: off})
				}
			case journal.KindHash:
				p.last = d.Tick()
			}
		}
		if p.trunc != nil {
			break
		}
	}
	if len(p.marks) == 0 {
		return ErrNoStart
	}
	p.first = p.marks[0].tick
	if p.last < p.first {
		p.last = p.first
	}
	return nil
}

// Header is the recording's header (of its first file).
func (p *Player) Header() *journal.Header { return &p.header }

// First is the tick a playback starts at (0: before the room's first tick); Last the last tick of the recording.
func (p *Player) First() game.Tick { return p.first }

// Last is the last tick the recording holds.
func (p *Player) Last() game.Tick { return p.last }

// Truncated says why the recording ends before the end of its files, or nil.
func (p *Player) Truncated() error { return p.trunc }

// Checkpoints are the ticks a seek restarts from.
func (p *Player) Checkpoints() []game.Tick {
	ts := make([]game.Tick, len(p.marks))
	for i, m := range p.marks {
		ts[i] = m.tick
	}
	return ts
}

// Tick is the last tick stepped (or the tick a seek stopped at).
func (p *Player) Tick() game.Tick { return p.tick }

// Checked is the number of ticks whose world hash matched the recording since the last Seek (those stepped through
// to reach the seek's tick included).
func (p *Player) Checked() int { return p.checked }

// Gaps is the number of checkpoints the run restarted from after a part of the recording was lost.
func (p *Player) Gaps() int { return p.gaps }

// Sim is the game's Sim at the current tick (read only: AppendEntities, Schema).
func (p *Player) Sim() game.Sim { return p.sim }

// World is the world at the end of the current tick, sorted by id; valid until the next Step or Seek.
func (p *Player) World() []game.Entity { return p.world }

// Events are the room events of the last tick stepped; valid until the next Step or Seek.
func (p *Player) Events() []RoomEvent { return p.pending }

// Result is the match's result once the Sim reported one.
func (p *Player) Result() *game.Result { return p.result }

// Name is the display name a player joined with.
func (p *Player) Name(id game.PlayerID) string { return p.names[id] }

// Seek re-runs the recording from the nearest mark at or before t (clamped to [First, Last]) up to t: the world is
// then the world at the end of tick t. Every tick on the way is checked (a *journal.DivergenceError).
func (p *Player) Seek(t game.Tick) error {
	t = max(min(t, p.last), p.first)
	m := p.marks[0]
	for _, c := range p.marks {
		if c.tick <= t {
			m = c
		}
	}
	sim, err := p.factory(p.header.Game)
	if err != nil {
		return fmt.Errorf("playback: making the Sim: %w", err)
	}
	if p.hist == nil {
		p.hist = journal.NewHistory(p.header.HistorySize)
	} else {
		p.hist.Load(&journal.Checkpoint{}) // emptied, its storage kept
	}
	p.sim, p.hasher = sim, journal.NewHasher(sim.Schema())
	if hu, ok := sim.(game.HistoryUser); ok {
		hu.UseHistory(p.hist)
	}
	f := p.files[m.file]
	if m.off > 0 { // a decoder that starts at the checkpoint: the file's header, then its body from there
		d, err := journal.NewDecoder(f)
		if err != nil {
			return err
		}
		body := d.Body()
		head := len(f) - len(body)
		f = append(append(make([]byte, 0, head+len(body)-m.off), f[:head]...), body[m.off:]...)
	}
	if p.dec, err = journal.NewDecoder(f); err != nil {
		return err
	}
	p.file, p.tick, p.started, p.checked, p.gaps, p.result = m.file, m.tick, false, 0, 0, nil
	p.names = map[game.PlayerID]string{}
	p.world = p.sim.AppendEntities(p.world[:0])
	p.pending = p.pending[:0]
	if m.head {
		p.started = true // the room's first tick: the Sim as its Factory made it
	}
	for p.tick < t {
		if err := p.Step(); err != nil {
			return err
		}
	}
	if !p.started { // t is the checkpoint's tick itself: restore it
		if err := p.startAtCheckpoint(); err != nil {
			return err
		}
	}
	p.pending = p.pending[:0]
	return nil
}

// startAtCheckpoint reads the first entry of a decoder made at a checkpoint and restores it.
func (p *Player) startAtCheckpoint() error {
	ok, err := p.dec.Next(&p.e)
	if err != nil {
		return err
	}
	if !ok || p.e.Kind != journal.KindCheckpoint {
		return fmt.Errorf("%w: no checkpoint at the mark", journal.ErrFormat)
	}
	return p.restore(p.dec.Checkpoint())
}

func (p *Player) restore(c *journal.Checkpoint) error {
	if err := journal.RestoreSim(p.sim, c); err != nil {
		return err
	}
	p.hist.Load(c)
	p.tick, p.started = c.Tick, true
	p.world = p.sim.AppendEntities(p.world[:0])
	return nil
}

// Step runs the next tick: the entries up to its hash, which it checks. It returns io.EOF at the end of the
// recording, a *journal.DivergenceError when the replay does not reproduce the recording.
func (p *Player) Step() error {
	p.pending = p.pending[:0]
	p.events.Reset()
	if p.tick >= p.last {
		return io.EOF
	}
	e := &p.e
	for {
		ok, err := p.dec.Next(e)
		if err != nil {
			return fmt.Errorf("playback: file %d, tick %d: %w", p.file+1, p.dec.Tick(), err)
		}
		if !ok {
			if p.file+1 >= len(p.files) {
				return io.EOF
			}
			p.file++
			if p.dec, err = journal.NewDecoder(p.files[p.file]); err != nil {
				return fmt.Errorf("playback: file %d: %w", p.file+1, err)
			}
			continue
		}
		switch e.Kind {
		case journal.KindCheckpoint:
			c := p.dec.Checkpoint()
			if p.started && c.Tick == p.tick {
				continue // where the run already is (the head of a room's next file)
			}
			if p.started {
				p.gaps++ // a part of the recording was lost: continue from the checkpoint
			}
			if err := p.restore(c); err != nil {
				return err
			}
			continue
		case journal.KindBegin:
			p.tick = e.Tick
			p.events.Reset()
			p.hist.SetTick(e.Tick)
			continue
		case journal.KindHash:
			p.world = p.sim.AppendEntities(p.world[:0])
			p.hist.Store(p.tick, p.world)
			if got := p.hasher.Hash(p.world); got != e.Hash {
				return &journal.DivergenceError{Tick: p.tick, What: "hash", Want: e.Hash, Got: got}
			}
			p.checked++
			for i := range p.events.List {
				if ev := &p.events.List[i]; ev.To == 0 {
					p.pending = append(p.pending, RoomEvent{Type: ev.Type, Player: ev.Player,
						Args: ev.Args[:ev.NArgs], Payload: ev.Payload})
				}
			}
			if p.result == nil {
				if r, ok := p.sim.Result(); ok {
					res := r // only a result escapes: a tick allocates nothing
					p.result = &res
				}
			}
			return nil
		}
		want := e.JoinErr
		if _, err := e.Apply(p.sim, p.tick, &p.events); err != nil && e.Kind == journal.KindMessage {
			return &journal.DivergenceError{Tick: p.tick, What: "message", Want: 0, Got: 1}
		}
		switch e.Kind {
		case journal.KindJoin:
			if e.JoinErr != want {
				return &journal.DivergenceError{Tick: p.tick, What: "join", Want: uint64(want), Got: uint64(e.JoinErr)}
			}
			if want == journal.JoinOK {
				p.names[e.Player.ID] = e.Player.Name
				p.pending = append(p.pending, RoomEvent{Type: "player_joined", Player: e.Player.ID, Text: e.Player.Name})
			}
		case journal.KindLeave:
			p.pending = append(p.pending, RoomEvent{Type: "player_left", Player: e.Player.ID, Text: p.names[e.Player.ID]})
		case journal.KindDisconnected:
			p.pending = append(p.pending, RoomEvent{Type: "player_disconnected", Player: e.Player.ID})
		case journal.KindResumed:
			p.pending = append(p.pending, RoomEvent{Type: "player_resumed", Player: e.Player.ID})
		}
	}
}
