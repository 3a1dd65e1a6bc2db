package journal

import (
	"errors"
	"fmt"

	"github.com/tickwire/tickwire/game"
)

// Errors of a replay.
var (
	ErrNoCheckpointer = errors.New("journal: the journal starts from a checkpoint but the Sim has no game.Checkpointer")
	ErrNotStart       = errors.New("journal: the file continues an earlier one: replay the room's files in order")
)

// DivergenceError names the first tick at which a replay did not reproduce the recording.
type DivergenceError struct {
	Tick game.Tick
	What string // "hash", "join", "message"
	Want uint64 // what the journal recorded (the hash, or the join outcome)
	Got  uint64 // what the replay produced
}

func (e *DivergenceError) Error() string {
	if e.What == "hash" {
		return fmt.Sprintf("journal: replay diverges at tick %d: world hash %016x, recorded %016x", e.Tick, e.Got, e.Want)
	}
	return fmt.Sprintf("journal: replay diverges at tick %d: %s outcome %d, recorded %d", e.Tick, e.What, e.Got, e.Want)
}

// Host is what a replay drives besides the Sim: the tick and the world history the Sim reads (game.History). The
// room implements it to import a room; Replay uses SimHost.
type Host interface {
	// Begin makes t the current tick.
	Begin(t game.Tick)
	// End records the world at the end of the current tick (the Sim's AppendEntities) in the history and returns
	// its hash.
	End() uint64
}

// SimHost is the Host of a stand-alone replay: a History the Sim rewinds in, and a Hasher.
type SimHost struct {
	Sim     game.Sim
	Hist    *History
	Hasher  *Hasher
	world   []game.Entity
	lastSum uint64
}

// NewSimHost makes the host of sim for a journal with header h, and gives the Sim its history.
func NewSimHost(sim game.Sim, h *Header) *SimHost {
	s := &SimHost{Sim: sim, Hist: NewHistory(h.HistorySize), Hasher: NewHasher(sim.Schema())}
	if hu, ok := sim.(game.HistoryUser); ok {
		hu.UseHistory(s.Hist)
	}
	return s
}

// Begin implements Host.
func (s *SimHost) Begin(t game.Tick) { s.Hist.SetTick(t) }

// End implements Host.
func (s *SimHost) End() uint64 {
	s.world = s.Sim.AppendEntities(s.world[:0])
	s.Hist.Store(s.Hist.tick, s.world)
	s.lastSum = s.Hasher.Hash(s.world)
	return s.lastSum
}

// Restore loads a checkpoint: the Sim's state and the history.
func (s *SimHost) Restore(c *Checkpoint) error {
	if err := RestoreSim(s.Sim, c); err != nil {
		return err
	}
	s.Hist.Load(c)
	return nil
}

// RestoreSim restores a checkpoint's Sim state; a checkpoint at tick 0 (Sim nil) needs nothing.
func RestoreSim(sim game.Sim, c *Checkpoint) error {
	if c.Sim == nil {
		if c.Tick == 0 {
			return nil
		}
		return fmt.Errorf("%w (tick %d)", ErrNoCheckpointer, c.Tick)
	}
	cp, ok := sim.(game.Checkpointer)
	if !ok {
		return ErrNoCheckpointer
	}
	if err := cp.Restore(c.Sim); err != nil {
		return fmt.Errorf("journal: restoring the checkpoint of tick %d: %w", c.Tick, err)
	}
	return nil
}

// Replayer applies a journal's entries to a Sim through Entry.Apply, as the room did, and checks every tick's hash.
type Replayer struct {
	Sim  game.Sim
	Host Host
	// Ticks is the number of ticks whose hash matched.
	Ticks  int
	tick   game.Tick
	events game.Events
}

// NewReplayer makes a replayer starting after tick start.
func NewReplayer(sim game.Sim, host Host, start game.Tick) *Replayer {
	return &Replayer{Sim: sim, Host: host, tick: start}
}

// Tick is the current tick.
func (p *Replayer) Tick() game.Tick { return p.tick }

// Apply applies one entry (never a checkpoint: the caller restores those). It returns a *DivergenceError when the
// replay does not match the record.
func (p *Replayer) Apply(e *Entry) error {
	switch e.Kind {
	case KindCheckpoint:
		return errors.New("journal: Replayer.Apply of a checkpoint")
	case KindBegin:
		p.tick = e.Tick
		p.events.Reset()
		p.Host.Begin(e.Tick)
		return nil
	case KindHash:
		if got := p.Host.End(); got != e.Hash {
			return &DivergenceError{Tick: p.tick, What: "hash", Want: e.Hash, Got: got}
		}
		p.Ticks++
		return nil
	}
	want := e.JoinErr
	if _, err := e.Apply(p.Sim, p.tick, &p.events); err != nil && e.Kind == KindMessage {
		return &DivergenceError{Tick: p.tick, What: "message", Want: 0, Got: 1}
	}
	if e.Kind == KindJoin && e.JoinErr != want {
		return &DivergenceError{Tick: p.tick, What: "join", Want: uint64(want), Got: uint64(e.JoinErr)}
	}
	return nil
}

// Result sums up a replay.
type Result struct {
	Header Header
	// From is the tick the replay started after (0, or the first file's checkpoint); To the last tick checked.
	From, To game.Tick
	// Ticks is the number of ticks whose hash was checked; Gaps the checkpoints it restarted from after a part of
	// the recording was lost.
	Ticks, Gaps int
}

// Replay re-runs a room's journal files (one, or a room's segments in order) with a Sim made by factory, checking
// the world hash of every tick. It fails with a *DivergenceError naming the first tick that differs.
func Replay(files [][]byte, factory game.Factory) (Result, error) {
	var res Result
	var sim game.Sim
	var host *SimHost
	var rp *Replayer
	var e Entry
	for i, f := range files {
		d, err := NewDecoder(f)
		if err != nil {
			return res, fmt.Errorf("file %d: %w", i+1, err)
		}
		first := sim == nil
		if first {
			res.Header = d.Header
			if sim, err = factory(d.Header.Game); err != nil {
				return res, fmt.Errorf("journal: making the Sim: %w", err)
			}
			host = NewSimHost(sim, &d.Header)
		}
		for n := 0; ; n++ {
			ok, err := d.Next(&e)
			if err != nil {
				return res, fmt.Errorf("file %d, tick %d: %w", i+1, d.Tick(), err)
			}
			if !ok {
				break
			}
			if e.Kind == KindCheckpoint {
				c := d.Checkpoint()
				if rp != nil && c.Tick == rp.tick {
					continue // a checkpoint where the replay already is: nothing to restore
				}
				if rp != nil {
					res.Gaps++
				}
				if err := host.Restore(c); err != nil {
					return res, err
				}
				if rp == nil {
					res.From = c.Tick
					rp = NewReplayer(sim, host, c.Tick)
				}
				rp.tick = c.Tick
				continue
			}
			if rp == nil {
				if d.Header.Segment > 0 {
					return res, ErrNotStart
				}
				rp = NewReplayer(sim, host, 0)
			}
			if err := rp.Apply(&e); err != nil {
				res.Ticks, res.To = rp.Ticks, rp.tick
				return res, err
			}
		}
	}
	if rp != nil {
		res.Ticks, res.To = rp.Ticks, rp.tick
	}
	return res, nil
}
