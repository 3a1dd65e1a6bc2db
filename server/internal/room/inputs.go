package room

import (
	"math"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/journal"
)

// inputSlot is one buffered input and when it reached the room. in.Tick is 0 when the slot is empty.
type inputSlot struct {
	in      game.Input
	arrival stamp
}

// inputBuf is one player's inputs keyed by tick: a ring of InputWindow+1 slots indexed by tick modulo its size, so
// every tick from the room's next one to InputWindow ticks ahead has its own slot. Owned by the run loop.
type inputBuf struct {
	slots []inputSlot
	// The newest input accepted into the buffer: a later input must have a higher seq and a higher tick.
	seenSeq, seenTick uint32
	// What the fills repeat: the values of the last input applied (neutral after a disconnect) and the View of the
	// last real one.
	values   [game.MaxInputValues]int32
	view     game.Tick
	viewFrac uint8
	started  bool // an input arrived since the player joined: missed ticks count from then
	// The least lead since the last report.
	minLead time.Duration
	hasLead bool
}

func newInputBuf(window int, neutral *[game.MaxInputValues]int32) inputBuf {
	return inputBuf{slots: make([]inputSlot, window+1), values: *neutral}
}

// reset empties the buffer after a disconnect or a resume: the client resends every input above lastSeq (the
// highest applied), re-addressed to future ticks, and the room takes them as new.
func (b *inputBuf) reset(lastSeq, tick uint32, neutral *[game.MaxInputValues]int32) {
	for i := range b.slots {
		b.slots[i].in.Tick = 0
	}
	b.seenSeq, b.seenTick = lastSeq, tick
	b.values, b.view, b.viewFrac = *neutral, 0, 0
	b.minLead, b.hasLead = 0, false
}

// fileInput puts an input from the inbox into p's buffer, or counts why not. Loop only.
func (r *Room) fileInput(p *player, it *inboxItem) {
	in := &it.in
	b := &p.in
	if in.Seq <= b.seenSeq {
		r.counts.Duplicate++ // a resend of an input already taken
		return
	}
	t := uint32(in.Tick)
	lead := r.due(t).Sub(r.timeOf(it.arrival))
	r.cfg.Observer.InputLead(lead)
	if !b.hasLead || lead < b.minLead {
		b.minLead, b.hasLead = lead, true
	}
	b.started = true
	switch {
	case t <= r.tick:
		r.counts.Late++
		return
	case t <= b.seenTick:
		r.counts.Duplicate++
		return
	case t-r.tick > uint32(r.cfg.InputWindow):
		r.counts.Early++
		return
	}
	// The transport range-checks values; clamp again so that no input can break the Sim's assumptions.
	for i := range in.Values {
		if i >= len(r.schema.Input) {
			in.Values[i] = 0
			continue
		}
		f := &r.schema.Input[i]
		in.Values[i] = min(max(in.Values[i], f.Min), f.Max)
	}
	in.Missed = false
	s := &b.slots[t%uint32(len(b.slots))]
	s.in, s.arrival = *in, it.arrival
	b.seenSeq, b.seenTick = in.Seq, t
}

// applyInputs hands the Sim exactly one input per connected player for tick t, in ascending player order: the input
// addressed to t, else the fill (Schema.Fill) marked Missed. now is when the tick started. Loop only.
func (r *Room) applyInputs(t uint32, now time.Time) {
	for _, p := range r.players {
		if !p.connected {
			continue
		}
		b := &p.in
		s := &b.slots[t%uint32(len(b.slots))]
		var in *game.Input
		if uint32(s.in.Tick) == t {
			in = &s.in
			in.View, in.ViewFrac = r.clampView(in.View, in.ViewFrac, t, p.ackTick)
			b.view, b.viewFrac = in.View, in.ViewFrac
			p.lastSeq = in.Seq
			r.counts.Applied++
			r.cfg.Observer.InputWait(now.Sub(r.timeOf(s.arrival)))
		} else {
			in = &r.fill
			*in = game.Input{Tick: game.Tick(t), Missed: true}
			if r.schema.Fill == game.FillRepeat {
				in.Values = b.values
			} else {
				in.Values = r.neutral
			}
			in.View, in.ViewFrac = r.clampView(b.view, b.viewFrac, t, p.ackTick)
			if b.started {
				r.counts.Missed++
			}
		}
		b.values = in.Values
		e := r.entry(journal.KindInput)
		e.Player.ID, e.Input = p.id, *in
		r.feed(e)
		s.in.Tick = 0
	}
}

// clampView bounds the moment a client says it was drawing, for the input applied at tick t: not newer than the
// newest snapshot it acknowledged nor than tick t-1, and not older than MaxRewind before t (that bound wins when
// the two cross: the client is further behind than the room rewinds). 0 stays 0 (unknown), and so does a client
// that has acknowledged no snapshot.
func (r *Room) clampView(v game.Tick, frac uint8, t, ack uint32) (game.Tick, uint8) {
	if v == 0 {
		return 0, 0
	}
	if hi := min(ack, t-1); uint32(v) >= hi {
		if hi == 0 {
			return 0, 0
		}
		v, frac = game.Tick(hi), 0
	}
	if t > r.rewindTicks && uint32(v) < t-r.rewindTicks {
		v, frac = game.Tick(t-r.rewindTicks), 0
	}
	return v, frac
}

// reportInputs publishes the tick's input counts. Loop only.
func (r *Room) reportInputs() {
	c := r.counts
	r.counts = InputCounts{}
	r.cfg.Observer.Inputs(c)
	if c.Applied > 0 {
		r.appliedA.Add(uint64(c.Applied))
	}
	if c.Missed > 0 {
		r.missedA.Add(uint64(c.Missed))
	}
	if c.Late > 0 {
		r.lateA.Add(uint64(c.Late))
	}
	if c.Early > 0 {
		r.earlyA.Add(uint64(c.Early))
	}
	if c.Duplicate > 0 {
		r.dupA.Add(uint64(c.Duplicate))
	}
	if d := c.Late + c.Early + c.Duplicate; d > 0 {
		r.droppedA.Add(uint64(d))
	}
}

// tailFor returns p's snapshot tail: its last applied seq, and on every leadEvery-th snapshot the least input lead
// since the previous report, when an input arrived since. Loop only.
func (r *Room) tailFor(p *player, report bool) Tail {
	tail := Tail{LastInputSeq: p.lastSeq}
	if report && p.in.hasLead {
		us := p.in.minLead.Microseconds()
		tail.InputLeadUS = int32(min(max(us, math.MinInt32), math.MaxInt32))
		tail.HasLead = true
		p.in.hasLead = false
	}
	return tail
}
