// Package snapcodec encodes and decodes Snapshot.entities: the entity state of a room at one tick, as a compact delta
// against a baseline world the client already holds.
//
// The server, the Go clients and the TypeScript SDK all implement this format; this comment is its specification.
//
// # World
//
// A World is a tick number and a list of game.Entity values sorted by strictly ascending ID. Each entity has a kind;
// the kind's field count and the rate links between its fields come from the game's Schema (sent to clients as
// Welcome.kinds). Fields beyond the kind's field count are always zero and never sent.
//
// # Byte format
//
// All integers are unsigned LEB128 varints ("uvarint") of at most 5 bytes holding a value below 2^32, except a mask,
// which may reach 2^34-1 (still at most 5 bytes). Signed values are zigzag-encoded 32-bit integers:
// zigzag(v) = (v << 1) ^ (v >> 31), as uint32.
//
//	body     := uvarint(nRemoved) { uvarint(idGap) }*nRemoved   // removed ids, ascending
//	            uvarint(nChanged) { entity }*nChanged            // new or changed entities, ids ascending
//	entity   := uvarint(idGap) uvarint(mask) [uvarint(kind) if mask&1] { zigzag(residual_i) for each set bit i+1 }
//	            [uvarint(len) byte*len if the kind has data and mask bit 1+nFields is set]
//
// idGap is the difference between an id and the previous id of the same list; the previous id starts at 0 for each
// of the two lists, so the first gap is the id itself. Within a list ids are strictly ascending: every gap after the
// first is at least 1.
//
// mask bit 0 marks a new entity: its kind follows and its baseline is all zeros (no prediction). Bit 1+i says field
// i is present; residuals follow in field order. A field that is absent has residual 0. For a kind with data
// (Welcome EntityKind.data) the next bit, 1+nFields, says the entity's byte string follows, whole (at most
// game.MaxData bytes): for a new entity when it is not empty, for an existing one when it differs from the
// baseline's. Kinds without data have no such bit, so their encoding is the same as before data existed.
//
// # Prediction
//
// For an entity that exists in the baseline (tick b) and in the snapshot (tick t), both sides predict each field:
//
//	pred_i = base_i + base_r * (t - b)   if field i has RateField r > 0 (base_r is the baseline's field r-1)
//	pred_i = base_i                      otherwise
//
// and residual_i = cur_i - pred_i. A field is present iff its residual is non-zero, and an existing entity is listed
// iff any residual is non-zero. (t - b) is computed as uint32 and used as int32. All arithmetic wraps modulo 2^32 as
// int32 (Go's int32 overflow; in JavaScript `(a + b) | 0` and `Math.imul`).
//
// An entity in the baseline but not in the snapshot is removed. An id whose kind changed is sent as removed and new
// (it appears in both lists). A full snapshot is a delta against the empty world; Snapshot.baseline_tick is then 0.
//
// # Decoding rules
//
// A decoder rejects, with an error and never a panic: truncated input; a varint longer than 5 bytes or above 2^32-1;
// ids not strictly ascending or overflowing 32 bits; a removed id not in the baseline; a changed (not new) id not in
// the baseline or removed before; a new id still present in the baseline (not removed); an unknown kind; mask bits
// beyond the kind's field count (and data bit); data longer than game.MaxData; more than MaxEntities removed or changed entities, or a resulting world over
// MaxEntities; and trailing bytes after the body.
//
// # Hash
//
// Snapshot.state_hash is the 32-bit FNV-1a (offset basis 2166136261, prime 16777619) over, for each entity in ID
// order: the ID as 4 bytes little-endian, the kind as 1 byte, then each of the kind's fields (only as many as the kind
// has) as 4 bytes little-endian (two's complement), then, for a kind with data, the data's length as 1 byte and its
// bytes.
//
// # Use
//
// A server encodes with AppendDelta (no allocation) and computes Hash; a client builds the Codec from its Welcome
// (SchemaFromWelcome) and keeps a Replica, which checks baselines and double-buffers the world. Worlds kept in bulk
// (a room's history and per-view baselines, many clients' replicas) are best kept as Packed, each entity with only
// its kind's fields: AppendDeltaPacked, ApplyPacked and HashPacked give the same bytes and hashes as the World path.
//
// # Concurrency
//
// A Codec is immutable after New and safe for use by several goroutines at once. Worlds are not synchronized.
package snapcodec

import (
	"errors"
	"fmt"

	"github.com/tickwire/tickwire/game"
)

// MaxEntities is the most entities a decoded world, or one list of a body, may hold.
const MaxEntities = 65536

// Errors of Apply; every decode failure wraps ErrCorrupt.
var (
	ErrCorrupt = errors.New("snapcodec: corrupt snapshot")
	ErrAlias   = errors.New("snapcodec: out must not be the baseline")
)

// World is the state of a room at one tick: entities sorted by strictly ascending ID.
type World struct {
	Tick     uint32
	Entities []game.Entity
}

// Reset empties the world, keeping its storage.
func (w *World) Reset() {
	w.Tick = 0
	w.Entities = w.Entities[:0]
}

// CopyFrom makes w a copy of src, reusing w's storage.
func (w *World) CopyFrom(src *World) {
	w.Tick = src.Tick
	w.Entities = append(w.Entities[:0], src.Entities...)
}

type kindInfo struct {
	known   bool
	nFields uint8
	// rate[i] is the index of field i's rate field, or -1.
	rate [game.MaxFields]int8
	// hasData: entities of the kind carry a byte string, flagged by mask bit 1+nFields.
	hasData bool
	// maxMask is the highest valid mask for the kind: bit 0 plus one bit per field, plus the data bit.
	maxMask uint64
}

// Codec encodes and decodes worlds of one Schema. It is immutable after New.
type Codec struct {
	kinds [256]kindInfo
}

// New builds a Codec for a schema's entity kinds.
func New(s *game.Schema) (*Codec, error) {
	if s == nil {
		return nil, errors.New("snapcodec: nil schema")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("snapcodec: %w", err)
	}
	c := &Codec{}
	for _, k := range s.Kinds {
		ki := &c.kinds[k.ID]
		ki.known = true
		ki.nFields = uint8(len(k.Fields))
		ki.hasData = k.Data
		bits := 1 + len(k.Fields)
		if k.Data {
			bits++
		}
		ki.maxMask = 1<<bits - 1
		for i := range ki.rate {
			ki.rate[i] = -1
		}
		for i, f := range k.Fields {
			if f.RateField > 0 {
				ki.rate[i] = int8(f.RateField - 1)
			}
		}
	}
	return c, nil
}

// FieldCount reports how many fields a kind has (0 for an unknown kind).
func (c *Codec) FieldCount(kind uint8) int { return int(c.kinds[kind].nFields) }

// HasData reports whether the kind's entities carry a byte string.
func (c *Codec) HasData(kind uint8) bool { return c.kinds[kind].hasData }

// KnownKind reports whether the schema has the kind.
func (c *Codec) KnownKind(kind uint8) bool { return c.kinds[kind].known }

// reserve is the room left for a list count, written once the list is known (a uint32 uvarint is at most 5 bytes).
const reserve = 5

// AppendDelta appends the body encoding cur as a delta against base to dst and returns the extended slice. A nil base
// or a base with Tick 0 is the empty world (a full snapshot). Both worlds must be sorted by ascending ID and use only
// the schema's kinds; an entity of an unknown kind is encoded without fields, which decoders reject. It does not
// allocate when dst has room.
func (c *Codec) AppendDelta(dst []byte, base, cur *World) []byte {
	var bents []game.Entity
	var dt int32
	if base != nil && base.Tick != 0 {
		bents = base.Entities
		dt = int32(cur.Tick - base.Tick)
	}
	cents := cur.Entities

	// Removed: ids in base that are absent from cur or whose kind changed.
	start := len(dst)
	dst = appendZeros(dst, reserve)
	n := 0
	var prev uint32
	j := 0
	for i := range bents {
		b := &bents[i]
		for j < len(cents) && cents[j].ID < b.ID {
			j++
		}
		if j < len(cents) && cents[j].ID == b.ID && cents[j].Kind == b.Kind {
			continue
		}
		dst = appendUvarint(dst, b.ID-prev)
		prev = b.ID
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
		for i < len(bents) && bents[i].ID < e.ID {
			i++
		}
		ki := &c.kinds[e.Kind]
		nf := int(ki.nFields)
		if i < len(bents) && bents[i].ID == e.ID && bents[i].Kind == e.Kind {
			b := &bents[i]
			var res [game.MaxFields]int32
			mask := uint64(0)
			for f := 0; f < nf; f++ {
				pred := b.Fields[f]
				if r := ki.rate[f]; r >= 0 {
					pred += b.Fields[r] * dt
				}
				res[f] = e.Fields[f] - pred
				if res[f] != 0 {
					mask |= 1 << (1 + f)
				}
			}
			if ki.hasData && (e.DataLen != b.DataLen || e.Data != b.Data) {
				mask |= 1 << (1 + nf)
			}
			if mask == 0 {
				continue
			}
			dst = appendUvarint(dst, e.ID-prev)
			dst = appendUvarint64(dst, mask)
			for f := 0; f < nf; f++ {
				if res[f] != 0 {
					dst = appendUvarint(dst, zigzag(res[f]))
				}
			}
			if mask&(1<<(1+nf)) != 0 {
				dst = appendData(dst, e)
			}
		} else {
			mask := uint64(1)
			for f := 0; f < nf; f++ {
				if e.Fields[f] != 0 {
					mask |= 1 << (1 + f)
				}
			}
			if ki.hasData && e.DataLen != 0 {
				mask |= 1 << (1 + nf)
			}
			dst = appendUvarint(dst, e.ID-prev)
			dst = appendUvarint64(dst, mask)
			dst = appendUvarint(dst, uint32(e.Kind))
			for f := 0; f < nf; f++ {
				if e.Fields[f] != 0 {
					dst = appendUvarint(dst, zigzag(e.Fields[f]))
				}
			}
			if mask&(1<<(1+nf)) != 0 {
				dst = appendData(dst, e)
			}
		}
		prev = e.ID
		n++
	}
	return closeList(dst, start, n)
}

// closeList writes count n into the reserved bytes at start and moves the list's items back over the unused ones.
func closeList(dst []byte, start, n int) []byte {
	var tmp [reserve]byte
	cnt := appendUvarint(tmp[:0], uint32(n))
	k := copy(dst[start:], cnt)
	m := copy(dst[start+k:], dst[start+reserve:])
	return dst[:start+k+m]
}

func appendZeros(dst []byte, n int) []byte {
	for range n {
		dst = append(dst, 0)
	}
	return dst
}

// appendData appends an entity's byte string: its length, then its bytes.
func appendData(dst []byte, e *game.Entity) []byte {
	n := min(int(e.DataLen), game.MaxData)
	dst = append(dst, byte(n)) // n < 0x80: a one-byte uvarint
	return append(dst, e.Data[:n]...)
}

func appendUvarint64(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

func appendUvarint(dst []byte, v uint32) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

func zigzag(v int32) uint32   { return uint32(v<<1) ^ uint32(v>>31) }
func unzigzag(u uint32) int32 { return int32(u>>1) ^ -int32(u&1) }

// reader decodes varints from a body.
type reader struct {
	b   []byte
	off int
}

// mask reads a mask: a uvarint of at most 5 bytes, whose value may exceed 2^32-1 (the caller checks it against the
// kind's highest mask).
func (r *reader) mask() (uint64, error) {
	var v uint64
	for s := 0; s < 5; s++ {
		if r.off >= len(r.b) {
			return 0, fmt.Errorf("%w: truncated at byte %d", ErrCorrupt, r.off)
		}
		c := r.b[r.off]
		r.off++
		v |= uint64(c&0x7f) << (7 * s)
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: varint longer than 5 bytes at byte %d", ErrCorrupt, r.off)
}

// data reads a byte string into e.
func (r *reader) data(e *game.Entity) error {
	n, err := r.uvarint()
	if err != nil {
		return err
	}
	if n > game.MaxData {
		return fmt.Errorf("%w: %d data bytes (max %d)", ErrCorrupt, n, game.MaxData)
	}
	if int(n) > len(r.b)-r.off {
		return fmt.Errorf("%w: truncated data at byte %d", ErrCorrupt, r.off)
	}
	copy(e.Data[:], r.b[r.off:r.off+int(n)])
	clear(e.Data[n:])
	e.DataLen = uint8(n)
	r.off += int(n)
	return nil
}

// uvarint reads a uvarint of at most 5 bytes whose value fits 32 bits.
func (r *reader) uvarint() (uint32, error) {
	v, err := r.mask()
	if err != nil {
		return 0, err
	}
	if v > 0xffffffff {
		return 0, fmt.Errorf("%w: varint above 2^32-1 at byte %d", ErrCorrupt, r.off)
	}
	return uint32(v), nil
}

// Apply decodes body, a delta at tick against base, into out, reusing out's storage. A nil base or a base with Tick 0
// is the empty world. out must not be base. On error out holds no meaningful world.
func (c *Codec) Apply(base *World, tick uint32, body []byte, out *World) error {
	if out == nil {
		return errors.New("snapcodec: nil out")
	}
	if out == base {
		return ErrAlias
	}
	var bents []game.Entity
	var dt int32
	if base != nil && base.Tick != 0 {
		bents = base.Entities
		dt = int32(tick - base.Tick)
	}
	out.Tick = tick
	ents := out.Entities[:0]
	defer func() { out.Entities = ents }()

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
	var remID uint32
	var remPrev uint32
	nextRem := func() {
		if remLeft == 0 {
			return
		}
		g, _ := rem.uvarint() // validated above
		remID = remPrev + g
		remPrev = remID
		remLeft--
	}
	hasRem := nRemoved > 0
	if hasRem {
		nextRem()
	}
	// consumeRem reports whether base id is removed, advancing the removed cursor; it fails if the removed list names
	// an id that is not in the baseline.
	i := 0
	copyBaseBelow := func(limit uint64) error {
		for i < len(bents) && uint64(bents[i].ID) < limit {
			b := &bents[i]
			if hasRem && remID < b.ID {
				return fmt.Errorf("%w: removed id %d not in baseline", ErrCorrupt, remID)
			}
			if hasRem && remID == b.ID {
				hasRem = remLeft > 0
				nextRem()
			} else {
				if len(ents) >= MaxEntities {
					return fmt.Errorf("%w: more than %d entities", ErrCorrupt, MaxEntities)
				}
				ents = append(ents, *b) // one copy of the entity, then advanced in place
				c.predict(&ents[len(ents)-1], b, dt)
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
		inBase := i < len(bents) && uint64(bents[i].ID) == id
		removed := inBase && hasRem && uint64(remID) == id
		var e game.Entity
		e.ID = uint32(id)
		var ki *kindInfo
		if mask&1 != 0 {
			kind, err := r.uvarint()
			if err != nil {
				return err
			}
			if kind > 255 || !c.kinds[kind].known {
				return fmt.Errorf("%w: unknown kind %d for id %d", ErrCorrupt, kind, id)
			}
			ki = &c.kinds[kind]
			if mask > ki.maxMask {
				return fmt.Errorf("%w: mask %#x beyond kind %d's fields", ErrCorrupt, mask, kind)
			}
			if inBase && !removed {
				return fmt.Errorf("%w: new id %d already in baseline", ErrCorrupt, id)
			}
			e.Kind = uint8(kind)
			for f := 0; f < int(ki.nFields); f++ {
				if mask&(1<<(1+f)) != 0 {
					u, err := r.uvarint()
					if err != nil {
						return err
					}
					e.Fields[f] = unzigzag(u)
				}
			}
			if ki.hasData && mask&(1<<(1+ki.nFields)) != 0 {
				if err := r.data(&e); err != nil {
					return err
				}
			}
		} else {
			if !inBase || removed {
				return fmt.Errorf("%w: changed id %d not in baseline", ErrCorrupt, id)
			}
			b := &bents[i]
			ki = &c.kinds[b.Kind]
			if mask > ki.maxMask {
				return fmt.Errorf("%w: mask %#x beyond kind %d's fields", ErrCorrupt, mask, b.Kind)
			}
			e.Kind = b.Kind
			for f := 0; f < int(ki.nFields); f++ {
				v := b.Fields[f]
				if rt := ki.rate[f]; rt >= 0 {
					v += b.Fields[rt] * dt
				}
				if mask&(1<<(1+f)) != 0 {
					u, err := r.uvarint()
					if err != nil {
						return err
					}
					v += unzigzag(u)
				}
				e.Fields[f] = v
			}
			e.DataLen, e.Data = b.DataLen, b.Data
			if ki.hasData && mask&(1<<(1+ki.nFields)) != 0 {
				if err := r.data(&e); err != nil {
					return err
				}
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
		if len(ents) >= MaxEntities {
			return fmt.Errorf("%w: more than %d entities", ErrCorrupt, MaxEntities)
		}
		ents = append(ents, e)
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

// predict advances e, a copy of the unlisted baseline entity b, by dt ticks along its rate fields.
func (c *Codec) predict(e, b *game.Entity, dt int32) {
	if dt == 0 {
		return
	}
	ki := &c.kinds[b.Kind]
	for f := 0; f < int(ki.nFields); f++ {
		if r := ki.rate[f]; r >= 0 {
			e.Fields[f] += b.Fields[r] * dt
		}
	}
}

// Hash returns the 32-bit FNV-1a hash of a world (see the package documentation). It does not allocate.
func (c *Codec) Hash(w *World) uint32 {
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
	for k := range w.Entities {
		e := &w.Entities[k]
		word(e.ID)
		h = (h ^ uint32(e.Kind)) * prime
		ki := &c.kinds[e.Kind]
		for f := 0; f < int(ki.nFields); f++ {
			word(uint32(e.Fields[f]))
		}
		if ki.hasData {
			n := min(int(e.DataLen), game.MaxData)
			h = (h ^ uint32(n)) * prime
			for _, b := range e.Data[:n] {
				h = (h ^ uint32(b)) * prime
			}
		}
	}
	return h
}

// changedCount reads a delta's number of changed entities, refusing counts the rest of the body cannot hold (every
// entity takes at least 2 bytes) before any work is done.
func (r *reader) changedCount() (uint32, error) {
	n, err := r.uvarint()
	if err != nil {
		return 0, err
	}
	if n > MaxEntities {
		return 0, fmt.Errorf("%w: %d changed entities", ErrCorrupt, n)
	}
	if uint64(n)*2 > uint64(len(r.b)-r.off) {
		return 0, fmt.Errorf("%w: truncated: %d entities in %d bytes", ErrCorrupt, n, len(r.b)-r.off)
	}
	return n, nil
}

// changedHeader reads the k-th changed entity's id gap (adding it to *id: ids ascend) and its field mask.
func (r *reader) changedHeader(k uint32, id *uint64) (uint64, error) {
	g, err := r.uvarint()
	if err != nil {
		return 0, err
	}
	if k > 0 && g == 0 {
		return 0, fmt.Errorf("%w: changed ids not ascending", ErrCorrupt)
	}
	*id += uint64(g)
	if *id > 0xffffffff {
		return 0, fmt.Errorf("%w: changed id overflows", ErrCorrupt)
	}
	return r.mask()
}
