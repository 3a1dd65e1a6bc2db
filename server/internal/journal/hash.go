package journal

import "github.com/tickwire/tickwire/game"

// Hasher hashes a world: 64-bit FNV-1a taken a 32-bit word at a time over each entity's id, kind, the fields its kind
// declares and its byte string. It costs about a nanosecond per word and allocates nothing. Immutable after NewHasher.
type Hasher struct {
	fields [256]uint8 // fields per kind; kinds the schema does not list hash all MaxFields
}

// NewHasher makes a Hasher for a schema's kinds.
func NewHasher(s *game.Schema) *Hasher {
	h := &Hasher{}
	for i := range h.fields {
		h.fields[i] = game.MaxFields
	}
	for _, k := range s.Kinds {
		h.fields[k.ID] = uint8(min(len(k.Fields), game.MaxFields))
	}
	return h
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// Hash returns the hash of a world (entities sorted by id, as AppendEntities gives them).
func (h *Hasher) Hash(es []game.Entity) uint64 {
	x := uint64(fnvOffset)
	for i := range es {
		e := &es[i]
		x = (x ^ uint64(e.ID)) * fnvPrime
		x = (x ^ uint64(e.Kind)<<8 ^ uint64(e.DataLen)) * fnvPrime
		for _, f := range e.Fields[:h.fields[e.Kind]] {
			x = (x ^ uint64(uint32(f))) * fnvPrime
		}
		for _, c := range e.Data[:min(int(e.DataLen), game.MaxData)] {
			x = (x ^ uint64(c)) * fnvPrime
		}
	}
	return x
}
