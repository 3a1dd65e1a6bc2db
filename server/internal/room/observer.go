package room

import "time"

// DropReason names why an input or command was dropped; metrics use it as a label.
type DropReason string

// Drop reasons.
const (
	DropInboxFull     DropReason = "inbox_full"     // the room's inbox was full
	DropQueueFull     DropReason = "queue_full"     // the player's input queue was full
	DropDuplicate     DropReason = "duplicate"      // seq already applied or queued
	DropUnknownPlayer DropReason = "unknown_player" // no such player in the room
	DropStaleSink     DropReason = "stale_sink"     // from a connection that was superseded or disconnected
	DropEnded         DropReason = "ended"          // the room has ended
)

// Observer receives the room's metrics. Methods must be cheap and never block. InputDropped may be called from any
// goroutine (inbox drops happen in the caller); the others are called on the room goroutine.
type Observer interface {
	// TickDone reports one tick's duration: inputs, Step, events, snapshot encoding and hand-off.
	TickDone(d time.Duration)
	// Overrun reports that the loop was too late to catch up and dropped skipped ticks from its schedule.
	Overrun(skipped int)
	// InputsApplied reports inputs handed to the Sim in one tick.
	InputsApplied(n int)
	// InputDropped reports one dropped input (or ack).
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
func (NopObserver) InputsApplied(int)         {}
func (NopObserver) InputDropped(DropReason)   {}
func (NopObserver) SnapshotEncoded(bool, int) {}
func (NopObserver) FrameOffered(bool, int)    {}
func (NopObserver) ReliableSent(int)          {}

var _ Observer = NopObserver{}
