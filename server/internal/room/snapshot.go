package room

import (
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// histEntry is one tick of world history, packed: each entity keeps only its kind's fields (snapcodec.Packed), so
// the ring costs what the worlds hold, not HistorySize × entities × the widest kind. Owned by the run loop.
type histEntry struct {
	world snapcodec.Packed
}

// cacheEntry is a snapshot payload encoded this tick against one baseline.
type cacheEntry struct {
	baseline uint32
	frame    *Frame
}

// packedAt returns the world at tick t while it is in the history (the last HistorySize ticks), else nil. Baselines
// come from here, and lag compensation can rewind to the tick a client was rendering. Loop only.
func (r *Room) packedAt(t uint32) *snapcodec.Packed {
	if t == 0 || t > r.tick || r.tick-t >= uint32(len(r.hist)) {
		return nil
	}
	w := &r.hist[int(t%uint32(len(r.hist)))].world
	if w.Tick != t {
		return nil
	}
	return w
}

// snapshot offers the world at the current tick (w, packed in the history; r.world holds it unpacked) to every
// connected player: a delta against the baseline its Sink
// reports when that baseline is still in the history, else a full snapshot. One encode per distinct baseline. A Sim
// with game.Visibility sends each player its own view instead (visibility.go).
func (r *Room) snapshot(w *snapcodec.Packed) {
	hasHash := r.cfg.HashInterval > 0 && w.Tick%uint32(r.cfg.HashInterval) == 0
	r.snapN++
	report := r.snapN%r.leadEvery == 0
	if r.vis != nil {
		r.snapshotViews(w, hasHash, report)
		return
	}
	var hash uint32
	if hasHash {
		hash = r.codec.HashPacked(w)
	}
	for _, p := range r.players {
		if !p.connected {
			continue
		}
		var b uint32
		if !p.sendFull {
			b = p.sink.Baseline()
			if b >= w.Tick || r.packedAt(b) == nil {
				b = 0
			}
		}
		f := r.frameFor(w, b, hash, hasHash)
		f.refs.Add(1)
		p.sink.OfferSnapshot(f, r.tailFor(p, report))
		p.sendFull = false
		r.cfg.Observer.FrameOffered(b == 0, len(f.Data))
	}
	for i := range r.cache {
		r.cache[i].frame.Release()
		r.cache[i] = cacheEntry{}
	}
	r.cache = r.cache[:0]
}

// frameFor returns this tick's frame against baseline b, encoding it on first use. The cache holds one reference.
func (r *Room) frameFor(w *snapcodec.Packed, b, hash uint32, hasHash bool) *Frame {
	for i := range r.cache {
		if r.cache[i].baseline == b {
			return r.cache[i].frame
		}
	}
	r.entBuf = r.codec.AppendDeltaPacked(r.entBuf[:0], r.packedAt(b), w)
	f := r.frames.get()
	f.Tick, f.Baseline = w.Tick, b
	f.Data = AppendSnapshotFrame(f.Data[:0], w.Tick, b, r.entBuf, hash, hasHash)
	f.refs.Store(1)
	r.cache = append(r.cache, cacheEntry{baseline: b, frame: f})
	r.cfg.Observer.SnapshotEncoded(b == 0, len(f.Data))
	return f
}
