package room

import "time"

// DropReason names why an input or command was dropped; metrics use it as a label.
type DropReason string

// Drop reasons.
const (
	DropInboxFull     DropReason = "inbox_full"     // the room's inbox was full
	DropDuplicate     DropReason = "duplicate"      // seq or tick not above the player's previous input
	DropLate          DropReason = "late"           // for a tick the room had already simulated
	DropEarly         DropReason = "early"          // more than InputWindow ticks ahead of the room
	DropUnknownPlayer DropReason = "unknown_player" // no such player in the room
	DropStaleSink     DropReason = "stale_sink"     // from a connection that was superseded or disconnected
	DropEnded         DropReason = "ended"          // the room has ended
)

// InputCounts is what became of players' inputs over one tick (or since the previous report).
type InputCounts struct {
	Applied   int // real inputs handed to the Sim
	Missed    int // ticks a connected player had no input for (the Sim got the fill); counted once the player sent one
	Late      int // inputs for a tick already simulated: dropped
	Early     int // inputs more than InputWindow ticks ahead: refused
	Duplicate int // inputs whose seq or tick was not above the player's previous input: dropped
}

// Observer receives the room's metrics. Methods must be cheap and never block. InputDropped may be called from any
// goroutine (inbox drops happen in the caller); the others are called on the room goroutine.
type Observer interface {
	// TickDone reports one tick's duration: inputs, Step, events, snapshot encoding and hand-off.
	TickDone(d time.Duration)
	// Overrun reports that the loop was too late to catch up and dropped skipped ticks from its schedule.
	Overrun(skipped int)
	// Inputs reports, once per tick, what became of the inputs handled since the previous report. Late, early and
	// duplicate inputs are reported here, not through InputDropped.
	Inputs(c InputCounts)
	// InputLead reports the lead of one input that reached the room (not a duplicate): the time its tick was due
	// minus the time it arrived; negative when it arrived after its tick was due.
	InputLead(d time.Duration)
	// InputWait reports how long one applied input waited in the room, from its arrival to the tick that applied it.
	InputWait(d time.Duration)
	// InputDropped reports one input (or ack) dropped before the room looked at its tick: inbox full, unknown
	// player, stale connection, room ended.
	InputDropped(reason DropReason)
	// SnapshotEncoded reports one encoded snapshot payload (shared by every player with the same baseline).
	SnapshotEncoded(full bool, bytes int)
	// FrameOffered reports one snapshot frame handed to a Sink (bytes without the per-player tail).
	FrameOffered(full bool, bytes int)
	// ReliableSent reports one reliable frame handed to a Sink.
	ReliableSent(bytes int)
}

// NopObserver ignores everything.
type NopObserver struct{}

func (NopObserver) TickDone(time.Duration)    {}
func (NopObserver) Overrun(int)               {}
func (NopObserver) Inputs(InputCounts)        {}
func (NopObserver) InputLead(time.Duration)   {}
func (NopObserver) InputWait(time.Duration)   {}
func (NopObserver) InputDropped(DropReason)   {}
func (NopObserver) SnapshotEncoded(bool, int) {}
func (NopObserver) FrameOffered(bool, int)    {}
func (NopObserver) ReliableSent(int)          {}

var _ Observer = NopObserver{}
