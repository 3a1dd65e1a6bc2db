package room

import "sync/atomic"

// Sink is a player's connection as the room sees it. The server's session implements it; the room calls it only from
// its goroutine, and no method may block.
type Sink interface {
	// OfferSnapshot hands over a shared snapshot frame plus this player's tail (last applied input sequence, input
	// lead report). Never blocks: an unsent pending snapshot is replaced (latest wins) and released. The session
	// calls f.Release() exactly once when it has written or dropped the frame.
	OfferSnapshot(f *Frame, tail Tail)
	// SendReliable queues an encoded ServerFrame (welcome, event, match result) that must not be dropped; never
	// blocks; false means its bounded queue is full (the room then closes the sink with CLOSE_SLOW_CONSUMER). b is
	// shared between players and immutable: keep it, never modify it.
	SendReliable(b []byte) bool
	// Baseline is the tick of the last snapshot the writer took to send (0: none yet / new connection).
	Baseline() uint32
	// Close sends Disconnect{code, reason} when possible and closes the connection with that code. Never blocks.
	Close(code uint16, reason string)
}

// Tail is the per-player part of a snapshot frame, which the writer appends to the shared Frame: ServerFrame fields
// input_lead_us (14, sint32) when HasLead, then last_input_seq (15) when not zero.
type Tail struct {
	LastInputSeq uint32 // the highest input sequence applied for this player
	InputLeadUS  int32  // the least input lead since the previous report, in microseconds
	HasLead      bool   // a lead report is due and an input arrived since the previous one
}

// Frame is an encoded ServerFrame{snapshot}, shared by every player whose baseline it was encoded against. It is
// immutable while referenced and returns to its room's pool when the last reference is released.
type Frame struct {
	Tick     uint32 // the snapshot's tick
	Baseline uint32 // the tick it is a delta against; 0: full
	Data     []byte // the encoded ServerFrame; the writer appends the player's Tail after it

	refs atomic.Int32
	pool *framePool
}

// Release drops one reference. Safe from any goroutine; call it exactly once per OfferSnapshot.
func (f *Frame) Release() {
	if f.refs.Add(-1) == 0 {
		f.pool.put(f)
	}
	// Below zero is a double release: the frame is not pooled again, so no live reader can see it reused.
}

// framePool recycles Frames without a lock: a buffered channel used as a free list.
type framePool struct {
	free chan *Frame
}

func (p *framePool) get() *Frame {
	select {
	case f := <-p.free:
		return f
	default:
		return &Frame{pool: p, Data: make([]byte, 0, 1024)}
	}
}

func (p *framePool) put(f *Frame) {
	select {
	case p.free <- f:
	default: // the pool is full: let the collector have it
	}
}
