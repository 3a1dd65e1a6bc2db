package room

import (
	"fmt"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// viewRingSize is how many of the views a player was sent the room keeps as baselines. The session reports as its
// baseline the last snapshot its writer took, normally the previous one or the one before; a baseline older than
// the ring gets a full snapshot of the view, which is correct, only larger.
const viewRingSize = 8

// view is the part of one tick's world that one or more players see (game.Visibility). Views are pooled and
// reference counted by the players' rings and by the tick's table. Loop only.
type view struct {
	key     uint64
	world   snapcodec.Packed // packed: views are kept as baselines, up to viewRingSize per player
	refs    int
	hash    uint32
	hasHash bool
	// enc is this tick's encodings of the view, one per baseline view (nil: full); players sharing the view and
	// its baseline share the frame. Released after the tick's snapshot.
	enc []viewEncoding
}

// viewEncoding is one encoding of a view against one baseline view.
type viewEncoding struct {
	base  *view
	frame *Frame
}

// viewRing is the views a player was last sent, newest at ring[n%viewRingSize]. Loop only.
type viewRing struct {
	ring [viewRingSize]*view
	n    int
}

// visState is the room's per-view bookkeeping, used only when the Sim implements game.Visibility. Loop only.
type visState struct {
	vis  game.Visibility
	free []*view          // pooled views with no references
	now  map[uint64]*view // this tick's views by key, cleared after each snapshot
	buf  []game.Entity    // AppendView's output, packed into the view
}

func newVisState(v game.Visibility, maxPlayers int) *visState {
	return &visState{vis: v, now: make(map[uint64]*view, maxPlayers)}
}

func (s *visState) get() *view {
	if n := len(s.free); n > 0 {
		v := s.free[n-1]
		s.free = s.free[:n-1]
		return v
	}
	return &view{}
}

func (s *visState) release(v *view) {
	if v == nil {
		return
	}
	v.refs--
	if v.refs == 0 {
		v.world.Reset()
		s.free = append(s.free, v)
	}
}

// push records v as the view p is sent at this tick, dropping the oldest one the ring held.
func (s *visState) push(vr *viewRing, v *view) {
	vr.n++
	i := vr.n % viewRingSize
	s.release(vr.ring[i])
	v.refs++
	vr.ring[i] = v
}

// at returns the view p was sent at tick t, or nil.
func (vr *viewRing) at(t uint32) *view {
	for _, v := range vr.ring {
		if v != nil && v.world.Tick == t {
			return v
		}
	}
	return nil
}

// clear forgets every view of the ring (the player left).
func (s *visState) clear(vr *viewRing) {
	for i, v := range vr.ring {
		s.release(v)
		vr.ring[i] = nil
	}
}

// viewFor returns this tick's view for key, building it on first use. Key 0 is the whole world.
func (r *Room) viewFor(w *snapcodec.Packed, p game.PlayerID, key uint64) *view {
	s := r.vis
	if v := s.now[key]; v != nil {
		return v
	}
	v := s.get()
	v.refs++ // the tick's table holds one reference until the snapshot is done
	v.key = key
	if key == 0 {
		v.world.CopyFrom(w)
	} else {
		s.buf = s.vis.AppendView(s.buf[:0], r.world.Entities, p, key)
		r.checkView(s.buf)
		r.codec.Pack(&v.world, w.Tick, s.buf)
	}
	v.hasHash = false
	s.now[key] = v
	return v
}

// checkView enforces what the codec needs of a view: ids strictly ascending, kinds from the schema.
func (r *Room) checkView(es []game.Entity) {
	for i := range es {
		e := &es[i]
		if i > 0 && e.ID <= es[i-1].ID {
			panic(fmt.Sprintf("room: Visibility.AppendView: id %d after %d (ids must ascend)", e.ID, es[i-1].ID))
		}
		if !r.codec.KnownKind(e.Kind) {
			panic(fmt.Sprintf("room: Visibility.AppendView: entity %d has unknown kind %d", e.ID, e.Kind))
		}
	}
}

// snapshotViews is snapshot for a Sim with game.Visibility: each connected player gets its view, as a delta against
// the view it was sent at its Sink's baseline tick when the room still holds it, else in full. One view per
// distinct key, one encoding per distinct (view, baseline view).
func (r *Room) snapshotViews(w *snapcodec.Packed, hashOn bool, report bool) {
	s := r.vis
	for _, p := range r.players {
		if !p.connected {
			continue
		}
		v := r.viewFor(w, p.id, s.vis.ViewKey(p.id))
		var base *view
		if !p.sendFull {
			if b := p.sink.Baseline(); b < w.Tick {
				base = p.views.at(b)
			}
		}
		f := r.viewFrame(v, base, hashOn)
		f.refs.Add(1)
		s.push(&p.views, v)
		p.sink.OfferSnapshot(f, r.tailFor(p, report))
		p.sendFull = false
		r.cfg.Observer.FrameOffered(base == nil, len(f.Data))
	}
	for _, v := range s.now {
		for i := range v.enc {
			v.enc[i].frame.Release()
			v.enc[i] = viewEncoding{}
		}
		v.enc = v.enc[:0]
		s.release(v)
	}
	clear(s.now)
}

// viewFrame returns this tick's frame of view v against base (nil: full), encoding it on first use.
func (r *Room) viewFrame(v, base *view, hashOn bool) *Frame {
	for i := range v.enc {
		if v.enc[i].base == base {
			return v.enc[i].frame
		}
	}
	var bw *snapcodec.Packed
	var b uint32
	if base != nil {
		bw, b = &base.world, base.world.Tick
	}
	if hashOn && !v.hasHash {
		v.hash, v.hasHash = r.codec.HashPacked(&v.world), true
	}
	r.entBuf = r.codec.AppendDeltaPacked(r.entBuf[:0], bw, &v.world)
	f := r.frames.get()
	f.Tick, f.Baseline = v.world.Tick, b
	f.Data = AppendSnapshotFrame(f.Data[:0], v.world.Tick, b, r.entBuf, v.hash, hashOn)
	f.refs.Store(1)
	v.enc = append(v.enc, viewEncoding{base: base, frame: f})
	r.cfg.Observer.SnapshotEncoded(base == nil, len(f.Data))
	return f
}
