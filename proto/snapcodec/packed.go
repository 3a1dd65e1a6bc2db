package snapcodec

import (
	"errors"
	"fmt"

	"github.com/tickwire/tickwire/game"
)

// Packed is a World stored compactly, for worlds kept in bulk (a room's history, per-view baselines, client
// replicas): each entity takes a 16-byte header plus its kind's fields only (4 bytes each) plus, for a kind with
// data, only the bytes of its byte string, instead of a whole game.Entity (172 bytes) whatever its kind. Fields live
// in one flat []int32 arena and byte strings in one []byte arena, so a world is three slices however many entities it
// holds, and reusing a Packed allocates nothing once it has grown to the room's size.
//
// Entities are sorted by strictly ascending ID, as in a World. Fields(i) and Data(i) alias the arenas: they stay valid
// until the Packed is next modified. Not safe for concurrent use while modified; concurrent readers are fine.
type Packed struct {
	Tick uint32
	ents []packedEntity
	vals []int32 // the entities' fields, each entity's nf values from its off
	data []byte  // the entities' byte strings, each entity's dlen bytes from its doff
}

// packedEntity is one entity's header: where its fields and byte string are in the arenas.
type packedEntity struct {
	id   uint32
	off  uint32 // first field in vals
	doff uint32 // first byte in data
	kind uint8
	nf   uint8 // fields in vals: the kind's field count
	dlen uint8 // bytes in data
}

// Len is the number of entities.
func (p *Packed) Len() int { return len(p.ents) }

// ID is entity i's id.
func (p *Packed) ID(i int) uint32 { return p.ents[i].id }

// Kind is entity i's kind.
func (p *Packed) Kind(i int) uint8 { return p.ents[i].kind }

// Fields are entity i's fields: as many as its kind has (fields beyond them are zero). It aliases p.
func (p *Packed) Fields(i int) []int32 {
	e := &p.ents[i]
	return p.vals[e.off : e.off+uint32(e.nf) : e.off+uint32(e.nf)]
}

// Field is field f of entity i; 0 beyond its kind's fields.
func (p *Packed) Field(i, f int) int32 {
	e := &p.ents[i]
	if uint(f) >= uint(e.nf) {
		return 0
	}
	return p.vals[e.off+uint32(f)]
}

// Data is entity i's byte string (empty for a kind without data). It aliases p.
func (p *Packed) Data(i int) []byte {
	e := &p.ents[i]
	return p.data[e.doff : e.doff+uint32(e.dlen) : e.doff+uint32(e.dlen)]
}

// Entity returns entity i as a game.Entity.
func (p *Packed) Entity(i int) game.Entity {
	var e game.Entity
	p.EntityTo(i, &e)
	return e
}

// EntityTo writes entity i into e, zeroing what the entity does not have.
func (p *Packed) EntityTo(i int, e *game.Entity) {
	h := &p.ents[i]
	e.ID, e.Kind = h.id, h.kind
	n := copy(e.Fields[:], p.vals[h.off:h.off+uint32(h.nf)])
	clear(e.Fields[n:])
	e.SetData(p.data[h.doff : h.doff+uint32(h.dlen)])
}

// Find returns the index of entity id (binary search), or false.
func (p *Packed) Find(id uint32) (int, bool) {
	es := p.ents
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].id < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(es) && es[lo].id == id
}

// Reset empties the world, keeping its storage.
func (p *Packed) Reset() {
	p.Tick = 0
	p.ents, p.vals, p.data = p.ents[:0], p.vals[:0], p.data[:0]
}

// CopyFrom makes p a copy of src, reusing p's storage.
func (p *Packed) CopyFrom(src *Packed) {
	p.Tick = src.Tick
	p.ents = append(p.ents[:0], src.ents...)
	p.vals = append(p.vals[:0], src.vals...)
	p.data = append(p.data[:0], src.data...)
}

// Footprint is the bytes p's storage holds (its capacity), for accounting.
func (p *Packed) Footprint() int {
	return cap(p.ents)*16 + cap(p.vals)*4 + cap(p.data)
}

// AppendTo appends p's entities to dst as game.Entity values and returns the extended slice.
func (p *Packed) AppendTo(dst []game.Entity) []game.Entity {
	for i := range p.ents {
		dst = append(dst, game.Entity{})
		p.EntityTo(i, &dst[len(dst)-1])
	}
	return dst
}

// grow makes room for n entities, nv fields and nd data bytes in all, with an eighth more when it must reallocate.
func (p *Packed) grow(n, nv, nd int) {
	if cap(p.ents) < n {
		p.ents = make([]packedEntity, 0, n+n/8)
	}
	if cap(p.vals) < nv {
		p.vals = make([]int32, 0, nv+nv/8)
	}
	if cap(p.data) < nd {
		p.data = make([]byte, 0, nd+nd/8)
	}
}

// push appends an entity with the given fields and byte string (at most game.MaxFields and game.MaxData).
func (p *Packed) push(id uint32, kind uint8, fields []int32, data []byte) {
	p.ents = append(p.ents, packedEntity{id: id, off: uint32(len(p.vals)), doff: uint32(len(p.data)), kind: kind,
		nf: uint8(len(fields)), dlen: uint8(len(data))})
	p.vals = append(p.vals, fields...)
	p.data = append(p.data, data...)
}

// pushZero appends an entity with nf zero fields and no byte string.
func (p *Packed) pushZero(id uint32, kind uint8, nf int) {
	p.ents = append(p.ents, packedEntity{id: id, off: uint32(len(p.vals)), doff: uint32(len(p.data)), kind: kind,
		nf: uint8(nf)})
	for range nf {
		p.vals = append(p.vals, 0)
	}
}

// setLastData replaces the byte string of the last entity (whose bytes end the data arena).
func (p *Packed) setLastData(b []byte) {
	e := &p.ents[len(p.ents)-1]
	p.data = append(p.data[:e.doff], b...)
	e.dlen = uint8(len(b))
}

// Pack stores entities (sorted by ascending ID, of the schema's kinds) as dst at tick, reusing dst's storage: each
// keeps only its kind's fields, and its byte string only for a kind with data. An entity of an unknown kind keeps no
// field. It does not allocate once dst has grown to the world's size.
func (c *Codec) Pack(dst *Packed, tick uint32, entities []game.Entity) {
	dst.Reset()
	dst.Tick = tick
	// Size the arenas to the world plus an eighth, not by append's doubling: a room keeps many of these.
	nv, nd := 0, 0
	for i := range entities {
		ki := &c.kinds[entities[i].Kind]
		nv += int(ki.nFields)
		if ki.hasData {
			nd += min(int(entities[i].DataLen), game.MaxData)
		}
	}
	dst.grow(len(entities), nv, nd)
	for i := range entities {
		e := &entities[i]
		ki := &c.kinds[e.Kind]
		var d []byte
		if ki.hasData {
			d = e.Data[:min(int(e.DataLen), game.MaxData)]
		}
		dst.push(e.ID, e.Kind, e.Fields[:ki.nFields], d)
	}
}

// PackWorld is Pack of a World.
func (c *Codec) PackWorld(dst *Packed, w *World) { c.Pack(dst, w.Tick, w.Entities) }

// Unpack makes w the world p holds, reusing w's storage.
func (c *Codec) Unpack(w *World, p *Packed) {
	w.Tick = p.Tick
	w.Entities = p.AppendTo(w.Entities[:0])
}

// AppendDeltaPacked is AppendDelta of packed worlds: the same bytes for the same worlds. A nil base or a base with
// Tick 0 is the empty world. It does not allocate when dst has room.
func (c *Codec) AppendDeltaPacked(dst []byte, base, cur *Packed) []byte {
	var bents []packedEntity
	var bvals []int32
	var bdata []byte
	var dt int32
	if base != nil && base.Tick != 0 {
		bents, bvals, bdata = base.ents, base.vals, base.data
		dt = int32(cur.Tick - base.Tick)
	}
	cents, cvals, cdata := cur.ents, cur.vals, cur.data

	// Removed: ids in base that are absent from cur or whose kind changed.
	start := len(dst)
	dst = appendZeros(dst, reserve)
	n := 0
	var prev uint32
	j := 0
	for i := range bents {
		b := &bents[i]
		for j < len(cents) && cents[j].id < b.id {
			j++
		}
		if j < len(cents) && cents[j].id == b.id && cents[j].kind == b.kind {
			continue
		}
		dst = appendUvarint(dst, b.id-prev)
		prev = b.id
		n++
	}
	dst = closeList(dst, start, n)

	// Changed or new.
	start = len(dst)
	dst = appendZeros(dst, reserve)
	n = 0
	prev = 0
	i := 0
	for j := range cents {
		e := &cents[j]
		for i < len(bents) && bents[i].id < e.id {
			i++
		}
		ki := &c.kinds[e.kind]
		nf := min(int(ki.nFields), int(e.nf))
		ef := cvals[e.off : e.off+uint32(nf)]
		ed := cdata[e.doff : e.doff+uint32(e.dlen)]
		if i < len(bents) && bents[i].id == e.id && bents[i].kind == e.kind {
			b := &bents[i]
			bf := bvals[b.off : b.off+uint32(nf)]
			var res [game.MaxFields]int32
			mask := uint64(0)
			for f := range ef {
				pred := bf[f]
				if r := ki.rate[f]; r >= 0 {
					pred += bf[r] * dt
				}
				res[f] = ef[f] - pred
				if res[f] != 0 {
					mask |= 1 << (1 + f)
				}
			}
			if ki.hasData && string(ed) != string(bdata[b.doff:b.doff+uint32(b.dlen)]) {
				mask |= 1 << (1 + nf)
			}
			if mask == 0 {
				continue
			}
			dst = appendUvarint(dst, e.id-prev)
			dst = appendUvarint64(dst, mask)
			for f := 0; f < nf; f++ {
				if res[f] != 0 {
					dst = appendUvarint(dst, zigzag(res[f]))
				}
			}
			if mask&(1<<(1+nf)) != 0 {
				dst = appendBytes(dst, ed)
			}
		} else {
			mask := uint64(1)
			for f, v := range ef {
				if v != 0 {
					mask |= 1 << (1 + f)
				}
			}
			if ki.hasData && len(ed) != 0 {
				mask |= 1 << (1 + nf)
			}
			dst = appendUvarint(dst, e.id-prev)
			dst = appendUvarint64(dst, mask)
			dst = appendUvarint(dst, uint32(e.kind))
			for _, v := range ef {
				if v != 0 {
					dst = appendUvarint(dst, zigzag(v))
				}
			}
			if mask&(1<<(1+nf)) != 0 {
				dst = appendBytes(dst, ed)
			}
		}
		prev = e.id
		n++
	}
	return closeList(dst, start, n)
}

// appendBytes appends a byte string: its length, then its bytes.
func appendBytes(dst, b []byte) []byte {
	b = b[:min(len(b), game.MaxData)]
	dst = append(dst, byte(len(b))) // below 0x80: a one-byte uvarint
	return append(dst, b...)
}

// dataBytes reads a byte string's bytes (aliasing the body).
func (r *reader) dataBytes() ([]byte, error) {
	n, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	if n > game.MaxData {
		return nil, fmt.Errorf("%w: %d data bytes (max %d)", ErrCorrupt, n, game.MaxData)
	}
	if int(n) > len(r.b)-r.off {
		return nil, fmt.Errorf("%w: truncated data at byte %d", ErrCorrupt, r.off)
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

// ApplyPacked is Apply into packed worlds: it decodes body, a delta at tick against base, into out, reusing out's
// storage, and accepts and rejects exactly what Apply does. A nil base or a base with Tick 0 is the empty world; out
// must not be base. On error out holds no meaningful world.
func (c *Codec) ApplyPacked(base *Packed, tick uint32, body []byte, out *Packed) error {
	if out == nil {
		return errors.New("snapcodec: nil out")
	}
	if out == base {
		return ErrAlias
	}
	var bents []packedEntity
	var bvals []int32
	var bdata []byte
	var dt int32
	if base != nil && base.Tick != 0 {
		bents, bvals, bdata = base.ents, base.vals, base.data
		dt = int32(tick - base.Tick)
	}
	out.Reset()
	out.Tick = tick

	r := reader{b: body}
	nRemoved, err := r.uvarint()
	if err != nil {
		return err
	}
	if int64(nRemoved) > int64(len(bents)) {
		return fmt.Errorf("%w: %d removed from a baseline of %d", ErrCorrupt, nRemoved, len(bents))
	}
	// Validate the removed list and find where the changed list starts.
	remStart := r.off
	var prev uint64
	for k := uint32(0); k < nRemoved; k++ {
		g, err := r.uvarint()
		if err != nil {
			return err
		}
		if k > 0 && g == 0 {
			return fmt.Errorf("%w: removed ids not ascending", ErrCorrupt)
		}
		prev += uint64(g)
		if prev > 0xffffffff {
			return fmt.Errorf("%w: removed id overflows", ErrCorrupt)
		}
	}
	rem := reader{b: body[:r.off], off: remStart}
	remLeft := nRemoved
	var remID, remPrev uint32
	hasRem := nRemoved > 0
	nextRem := func() {
		if remLeft == 0 {
			return
		}
		g, _ := rem.uvarint() // validated above
		remID = remPrev + g
		remPrev = remID
		remLeft--
	}
	if hasRem {
		nextRem()
	}
	i := 0
	// copyBaseBelow copies the unlisted baseline entities below limit, advanced along their rates, and skips the
	// removed ones; it fails if the removed list names an id that is not in the baseline.
	copyBaseBelow := func(limit uint64) error {
		for i < len(bents) && uint64(bents[i].id) < limit {
			b := &bents[i]
			if hasRem && remID < b.id {
				return fmt.Errorf("%w: removed id %d not in baseline", ErrCorrupt, remID)
			}
			if hasRem && remID == b.id {
				hasRem = remLeft > 0
				nextRem()
			} else {
				if len(out.ents) >= MaxEntities {
					return fmt.Errorf("%w: more than %d entities", ErrCorrupt, MaxEntities)
				}
				bf := bvals[b.off : b.off+uint32(b.nf)]
				out.push(b.id, b.kind, bf, bdata[b.doff:b.doff+uint32(b.dlen)])
				if dt != 0 {
					ki := &c.kinds[b.kind]
					of := out.vals[len(out.vals)-len(bf):]
					for f := range of {
						if rt := ki.rate[f]; rt >= 0 {
							of[f] += bf[rt] * dt
						}
					}
				}
			}
			i++
		}
		return nil
	}

	nChanged, err := r.changedCount()
	if err != nil {
		return err
	}
	var id uint64
	for k := uint32(0); k < nChanged; k++ {
		mask, err := r.changedHeader(k, &id)
		if err != nil {
			return err
		}
		if err := copyBaseBelow(id); err != nil {
			return err
		}
		inBase := i < len(bents) && uint64(bents[i].id) == id
		removed := inBase && hasRem && uint64(remID) == id
		if len(out.ents) >= MaxEntities {
			return fmt.Errorf("%w: more than %d entities", ErrCorrupt, MaxEntities)
		}
		if mask&1 != 0 {
			kind, err := r.uvarint()
			if err != nil {
				return err
			}
			if kind > 255 || !c.kinds[kind].known {
				return fmt.Errorf("%w: unknown kind %d for id %d", ErrCorrupt, kind, id)
			}
			ki := &c.kinds[kind]
			if mask > ki.maxMask {
				return fmt.Errorf("%w: mask %#x beyond kind %d's fields", ErrCorrupt, mask, kind)
			}
			if inBase && !removed {
				return fmt.Errorf("%w: new id %d already in baseline", ErrCorrupt, id)
			}
			nf := int(ki.nFields)
			out.pushZero(uint32(id), uint8(kind), nf)
			of := out.vals[len(out.vals)-nf:]
			for f := range of {
				if mask&(1<<(1+f)) != 0 {
					u, err := r.uvarint()
					if err != nil {
						return err
					}
					of[f] = unzigzag(u)
				}
			}
			if ki.hasData && mask&(1<<(1+nf)) != 0 {
				d, err := r.dataBytes()
				if err != nil {
					return err
				}
				out.setLastData(d)
			}
		} else {
			if !inBase || removed {
				return fmt.Errorf("%w: changed id %d not in baseline", ErrCorrupt, id)
			}
			b := &bents[i]
			ki := &c.kinds[b.kind]
			if mask > ki.maxMask {
				return fmt.Errorf("%w: mask %#x beyond kind %d's fields", ErrCorrupt, mask, b.kind)
			}
			bf := bvals[b.off : b.off+uint32(b.nf)]
			out.push(b.id, b.kind, bf, bdata[b.doff:b.doff+uint32(b.dlen)])
			of := out.vals[len(out.vals)-len(bf):]
			for f := range of {
				v := bf[f]
				if rt := ki.rate[f]; rt >= 0 {
					v += bf[rt] * dt
				}
				if mask&(1<<(1+f)) != 0 {
					u, err := r.uvarint()
					if err != nil {
						return err
					}
					v += unzigzag(u)
				}
				of[f] = v
			}
			if ki.hasData && mask&(1<<(1+len(bf))) != 0 {
				d, err := r.dataBytes()
				if err != nil {
					return err
				}
				out.setLastData(d)
			}
		}
		if inBase {
			// Consumed: either replaced (changed) or removed and re-created (new).
			if removed {
				hasRem = remLeft > 0
				nextRem()
			}
			i++
		}
	}
	if err := copyBaseBelow(1 << 32); err != nil {
		return err
	}
	if hasRem {
		return fmt.Errorf("%w: removed id %d not in baseline", ErrCorrupt, remID)
	}
	if r.off != len(body) {
		return fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(body)-r.off)
	}
	return nil
}

// HashPacked is Hash of a packed world: the same value as for the World it holds.
func (c *Codec) HashPacked(p *Packed) uint32 {
	const (
		offset = 2166136261
		prime  = 16777619
	)
	h := uint32(offset)
	word := func(v uint32) {
		h = (h ^ (v & 0xff)) * prime
		h = (h ^ (v >> 8 & 0xff)) * prime
		h = (h ^ (v >> 16 & 0xff)) * prime
		h = (h ^ (v >> 24)) * prime
	}
	for k := range p.ents {
		e := &p.ents[k]
		word(e.id)
		h = (h ^ uint32(e.kind)) * prime
		ki := &c.kinds[e.kind]
		nf := min(int(ki.nFields), int(e.nf))
		for _, v := range p.vals[e.off : e.off+uint32(nf)] {
			word(uint32(v))
		}
		if ki.hasData {
			h = (h ^ uint32(e.dlen)) * prime
			for _, b := range p.data[e.doff : e.doff+uint32(e.dlen)] {
				h = (h ^ uint32(b)) * prime
			}
		}
	}
	return h
}
