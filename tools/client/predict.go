package client

import (
	"sync"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// Model is a game's per-tick rules for one entity (the player's own), as the client predicts it. It must do exactly
// what the game's Sim does to that entity: ApplyInput for the input applied at a tick, then Step for the tick.
type Model interface {
	// ApplyInput applies one tick's input values (one per Welcome.input field) to the entity's fields.
	ApplyInput(fields *[game.MaxFields]int32, values []int32)
	// Step advances the entity by one tick.
	Step(fields *[game.MaxFields]int32)
}

// Predictor predicts the player's own entity ahead of the snapshots, by ticks: from the authoritative entity of the
// newest snapshot (tick T) it replays each later tick T+1, T+2, ... up to the newest tick an input was sent for: the
// input the client addressed to that tick, or, when it sent none, what the room applies then (Welcome.input_fill:
// the last applied input again, or neutral values), then the Model's Step. When a snapshot arrives it compares the
// entity with what it had predicted for that tick: every difference is a correction (counted, then replaced by the
// authority and replayed).
//
// With a Model that matches the Sim and inputs that arrive in time, there is no correction: the room applies the same
// input at the same tick. A Predictor given in Config.Predictor is fed by the Client (inputs sent, resends,
// snapshots, Welcomes); it can also be fed by hand. Safe for use by several goroutines; no allocation per tick.
type Predictor struct {
	// Static after construction.
	model Model

	mu sync.Mutex // guards everything below

	entity  uint32 // the predicted entity (0: the player's id from the Welcome)
	fixedID bool
	fill    proto.InputFill
	nIn     int
	neutral [game.MaxInputValues]int32

	slots [predictorTicks]predSlot

	// The newest authoritative state (and the input applied at its tick) and the prediction from it.
	authTick uint32
	haveAuth bool
	auth     [game.MaxFields]int32
	authEff  [game.MaxInputValues]int32
	cur      [game.MaxFields]int32 // predicted fields at curTick
	curTick  uint32
	lastEff  [game.MaxInputValues]int32 // the input applied (predicted) at curTick
	resetAt  uint32                     // from this tick on the room's fill starts from neutral (a resume); 0: none
	newest   uint32                     // the newest tick an input was recorded for
	scratch  [game.MaxInputValues]int32 // the values handed to the Model (a field: no allocation per call)

	corrections int64
	compared    int64
	lateSeen    bool  // an input was reported late since the last Reconcile
	lateCorr    int64 // corrections at snapshots that also reported an input late
}

// predictorTicks is how many ticks of inputs and predictions a Predictor keeps (a power of two).
const predictorTicks = 256

// predSlot is one tick's input and prediction; tick says which tick it holds.
type predSlot struct {
	tick   uint32
	has    bool // the client sent an input for this tick
	values [game.MaxInputValues]int32
	predOK bool // pred and eff hold the prediction for this tick
	pred   [game.MaxFields]int32
	eff    [game.MaxInputValues]int32 // the input the prediction applied at this tick
}

// NewPredictor returns a predictor for model. entity is the id of the entity to predict; 0 means the player's own id
// from the Welcome (the arena's convention).
func NewPredictor(model Model, entity uint32) *Predictor {
	return &Predictor{model: model, entity: entity, fixedID: entity != 0}
}

// Configure takes what the Predictor needs from a Welcome: the input fields, the fill policy and (unless fixed) the
// entity id. A Client calls it itself.
func (p *Predictor) Configure(w *proto.Welcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.configureLocked(w)
	p.resetLocked()
}

func (p *Predictor) configureLocked(w *proto.Welcome) {
	if !p.fixedID {
		p.entity = w.GetPlayerId()
	}
	p.fill = w.GetInputFill()
	p.nIn = min(len(w.GetInput()), game.MaxInputValues)
	p.neutral = [game.MaxInputValues]int32{}
	for i, f := range w.GetInput()[:p.nIn] {
		p.neutral[i] = min(max(0, f.GetMin()), f.GetMax())
	}
}

func (p *Predictor) resetLocked() {
	for i := range p.slots {
		p.slots[i] = predSlot{}
	}
	p.haveAuth, p.authTick, p.curTick, p.newest, p.resetAt = false, 0, 0, 0, 0
	p.lastEff = p.neutral
}

// welcome is the Client's hook for a Welcome: a resume into the same room keeps the inputs and the prediction, but
// the room starts its fill from neutral values again after the resume.
func (p *Predictor) welcome(w *proto.Welcome, resumed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.configureLocked(w)
	if !resumed {
		p.resetLocked()
		return
	}
	p.resetAt = w.GetTick() + 1
}

// Input records the input the client sent for tick and extends the prediction to it.
func (p *Predictor) Input(tick uint32, values []int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inputLocked(tick, values)
}

func (p *Predictor) inputLocked(tick uint32, values []int32) {
	if tick == 0 {
		return
	}
	s := &p.slots[tick%predictorTicks]
	if s.tick != tick {
		*s = predSlot{tick: tick}
	}
	s.has = true
	s.values = [game.MaxInputValues]int32{}
	copy(s.values[:min(len(values), p.nIn)], values)
	s.predOK = false
	if tick > p.newest {
		p.newest = tick
	}
	switch {
	case !p.haveAuth:
	case tick > p.curTick:
		p.advanceLocked(tick)
	case tick > p.authTick:
		p.replayLocked() // an input for a tick already predicted (a resend): predict again from the authority
	}
}

// move is the Client's hook for a resent input: it was recorded for tick from and is now for tick to.
func (p *Predictor) move(from, to uint32, values []int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := &p.slots[from%predictorTicks]; from != 0 && s.tick == from {
		s.has, s.predOK = false, false
	}
	p.inputLocked(to, values)
}

// dropped is the Client's hook for an input reported late: the room applied its fill at that tick instead, and
// with FillRepeat also at the ticks after it that had no input of their own. The snapshot that reports it may be of
// one of those later ticks (or beyond what was predicted), so their effective inputs are corrected here: the next
// prediction starts from what the room applied at the snapshot's tick.
func (p *Predictor) dropped(tick uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lateSeen = true
	s := &p.slots[tick%predictorTicks]
	if s.tick != tick {
		return
	}
	s.has = false
	if p.haveAuth && tick <= p.authTick {
		return // already replaced by the authority
	}
	var eff [game.MaxInputValues]int32
	switch ps := &p.slots[(tick-1)%predictorTicks]; {
	case p.fill == proto.InputFill_INPUT_FILL_NEUTRAL:
		s.eff = p.neutral
		if tick == p.curTick {
			p.lastEff = p.neutral
		}
		return
	case p.haveAuth && tick-1 == p.authTick:
		eff = p.authEff
	case ps.tick == tick-1 && ps.predOK:
		eff = ps.eff
	default:
		return // not known here: what the room repeated lies before the predicted ticks
	}
	for t := tick; t <= p.curTick; t++ {
		st := &p.slots[t%predictorTicks]
		if st.tick != t || (t != tick && st.has) {
			return // an input of its own: the room applied it (or reports it late too)
		}
		st.eff = eff
	}
	p.lastEff = eff // the fill reaches the newest predicted tick
}

// reconcile is the Client's hook for a new snapshot (world at w.Tick).
func (p *Predictor) reconcile(w *snapcodec.Packed) {
	k, ok := w.Find(p.entity)
	if !ok {
		p.mu.Lock()
		p.haveAuth = false
		p.mu.Unlock()
		return
	}
	var fields [game.MaxFields]int32
	copy(fields[:], w.Fields(k))
	p.Reconcile(w.Tick, &fields)
}

// Reconcile takes the authoritative fields of the entity at tick: it counts a correction when they differ from what
// was predicted for that tick, then predicts again from them.
func (p *Predictor) Reconcile(tick uint32, fields *[game.MaxFields]int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.haveAuth && tick <= p.authTick {
		return
	}
	s := &p.slots[tick%predictorTicks]
	var eff [game.MaxInputValues]int32
	switch {
	case s.tick == tick && s.predOK:
		p.compared++
		if s.pred != *fields {
			p.corrections++
			if p.lateSeen {
				p.lateCorr++
			}
		}
		eff = s.eff
	case p.resetAt != 0 && p.resetAt <= tick && (!p.haveAuth || p.resetAt > p.curTick):
		eff = p.neutral
	case s.tick == tick && s.has:
		eff = s.values
	default:
		eff = p.lastEff
	}
	p.lateSeen = false
	p.haveAuth, p.authTick, p.auth, p.authEff = true, tick, *fields, eff
	if p.resetAt != 0 && p.resetAt <= tick {
		p.resetAt = 0
	}
	p.replayLocked()
}

// replayLocked predicts again from the authoritative state up to the newest input.
func (p *Predictor) replayLocked() {
	p.cur, p.curTick, p.lastEff = p.auth, p.authTick, p.authEff
	p.advanceLocked(p.newest)
}

// advanceLocked predicts tick by tick from curTick up to tick.
func (p *Predictor) advanceLocked(tick uint32) {
	if tick > p.curTick+predictorTicks {
		tick = p.curTick + predictorTicks // far behind: predict no further than the slots reach
	}
	for t := p.curTick + 1; t <= tick && t > p.curTick; t++ {
		s := &p.slots[t%predictorTicks]
		if s.tick != t {
			*s = predSlot{tick: t}
		}
		if t == p.resetAt {
			p.lastEff = p.neutral
		}
		var v [game.MaxInputValues]int32
		switch {
		case s.has:
			v = s.values
		case p.fill == proto.InputFill_INPUT_FILL_NEUTRAL:
			v = p.neutral
		default:
			v = p.lastEff
		}
		p.scratch = v
		p.model.ApplyInput(&p.cur, p.scratch[:p.nIn])
		p.model.Step(&p.cur)
		p.lastEff = v
		s.eff, s.pred, s.predOK = v, p.cur, true
		p.curTick = t
	}
}

// State returns the predicted fields of the entity and the tick they are for; ok is false before the first
// snapshot that holds the entity.
func (p *Predictor) State() (fields [game.MaxFields]int32, tick uint32, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur, p.curTick, p.haveAuth
}

// Corrections is how many snapshots differed from the prediction for their tick, and how many were compared.
func (p *Predictor) Corrections() (corrections, compared int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.corrections, p.compared
}

// LateCorrections is how many of the corrections came with a snapshot that reported one of the client's inputs late
// (the room applied its fill instead, so the prediction had to differ).
func (p *Predictor) LateCorrections() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lateCorr
}
