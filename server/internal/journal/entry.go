package journal

import (
	"errors"

	"github.com/tickwire/tickwire/game"
)

// Kind is the kind of a journal entry: one call into the Sim, or a tick boundary.
type Kind uint8

// Entry kinds. Their numbers are part of the file format: never renumber them.
const (
	// KindBegin starts tick Tick: what follows, up to KindStep, is applied during that tick.
	KindBegin Kind = 1
	// KindStep is Sim.Step of the current tick.
	KindStep Kind = 2
	// KindHash is the world hash at the end of the current tick (after Step); it calls nothing.
	KindHash Kind = 3
	// KindJoin is Sim.Join(Player); JoinErr is what it answered.
	KindJoin Kind = 4
	// KindLeave is Sim.Leave(Player.ID).
	KindLeave Kind = 5
	// KindDisconnected is Sim.Disconnected(Player.ID).
	KindDisconnected Kind = 6
	// KindResumed is Sim.Resumed(Player.ID).
	KindResumed Kind = 7
	// KindInput is Sim.ApplyInput(current tick, Player.ID, &Input), a fill included (Input.Missed).
	KindInput Kind = 8
	// KindMessage is MessageHandler.HandleMessage(current tick, Player.ID, &Message): from a player, or from the
	// backend (Player.ID == game.Backend).
	KindMessage Kind = 9
	// KindCheckpoint is a checkpoint (Checkpoint): the Sim's state and the world history at the end of tick Tick.
	// The room writes one where a replay may start: at the head of a file, and every Config.CheckpointEvery ticks.
	KindCheckpoint Kind = 10
)

// Outcomes of a join (Entry.JoinErr), recorded so that a replay checks that the Sim decides alike.
const (
	JoinOK       uint8 = 0
	JoinFull     uint8 = 1 // game.ErrFull
	JoinRejected uint8 = 2 // game.ErrRejected or any other error
)

// Entry is one record of the journal. Which fields matter depends on Kind; the others are ignored. An Entry is
// reused: the room keeps one and fills it for each call, so that recording allocates nothing.
type Entry struct {
	Kind    Kind
	Tick    game.Tick   // KindBegin: the tick that starts
	Player  game.Player // KindJoin: the whole identity; other kinds: ID only
	JoinErr uint8       // KindJoin: the outcome
	Input   game.Input  // KindInput
	Message game.Message
	Hash    uint64 // KindHash
}

// ErrNoMessages is what Apply returns for a message to a Sim that takes none (the room never records one).
var ErrNoMessages = errors.New("journal: the Sim takes no messages")

// Apply makes the call e records on sim, with tick t the current tick; ev collects what Step and HandleMessage
// report. It is the one path by which the room feeds its Sim, live and in a replay, so a journal reproduces the room:
// a join returns the Sim's answer, a backend message its reply. KindBegin, KindHash and KindCheckpoint call nothing.
func (e *Entry) Apply(sim game.Sim, t game.Tick, ev *game.Events) (reply []byte, err error) {
	switch e.Kind {
	case KindStep:
		sim.Step(t, ev)
	case KindJoin:
		err = sim.Join(e.Player)
		e.JoinErr = joinOutcome(err)
	case KindLeave:
		sim.Leave(e.Player.ID)
	case KindDisconnected:
		sim.Disconnected(e.Player.ID)
	case KindResumed:
		sim.Resumed(e.Player.ID)
	case KindInput:
		sim.ApplyInput(t, e.Player.ID, &e.Input)
	case KindMessage:
		h, ok := sim.(game.MessageHandler)
		if !ok {
			return nil, ErrNoMessages
		}
		reply = h.HandleMessage(t, e.Player.ID, &e.Message, ev)
	}
	return reply, err
}

func joinOutcome(err error) uint8 {
	switch {
	case err == nil:
		return JoinOK
	case errors.Is(err, game.ErrFull):
		return JoinFull
	}
	return JoinRejected
}
