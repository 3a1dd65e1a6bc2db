package cluster

import (
	"sync/atomic"
	"time"

	"github.com/tickwire/tickwire/server/internal/room"
)

// LoadObserver is a room.Observer that adds up the rooms' tick durations (the node's measured tick cost) and passes
// everything on to Observer. TickDone is one atomic add: no allocation on the tick path.
type LoadObserver struct {
	room.Observer
	tickNanos atomic.Int64
}

var _ room.Observer = (*LoadObserver)(nil)

// NewLoadObserver wraps next (nil: room.NopObserver).
func NewLoadObserver(next room.Observer) *LoadObserver {
	if next == nil {
		next = room.NopObserver{}
	}
	return &LoadObserver{Observer: next}
}

// TickDone implements room.Observer.
func (o *LoadObserver) TickDone(d time.Duration) {
	o.tickNanos.Add(int64(d))
	o.Observer.TickDone(d)
}

// TickTime is the total tick time measured so far.
func (o *LoadObserver) TickTime() time.Duration { return time.Duration(o.tickNanos.Load()) }
