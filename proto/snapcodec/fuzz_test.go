package snapcodec

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/tickwire/tickwire/game"
)

// fuzzBase is the baseline the fuzzer decodes against: the bench room's baseline when useBase is set, else empty.
func fuzzBase(useBase bool) *World {
	if !useBase {
		return nil
	}
	base, _ := benchWorlds()
	return base
}

// worldFromBytes builds a valid world from arbitrary bytes: 6-byte records of id gap, kind choice and field values.
func worldFromBytes(c *Codec, tick uint32, data []byte) *World {
	w := &World{Tick: tick}
	kinds := []uint8{1, 2, 7, 9, 11}
	var id uint32
	for len(data) >= 6 {
		gap := uint32(binary.LittleEndian.Uint16(data))
		if len(w.Entities) > 0 && gap == 0 {
			gap = 1
		}
		if uint64(id)+uint64(gap) > 0xffffffff {
			break
		}
		id += gap
		e := game.Entity{ID: id, Kind: kinds[int(data[2])%len(kinds)]}
		v := int32(binary.LittleEndian.Uint32(data[2:]))
		for f := range c.FieldCount(e.Kind) {
			e.Fields[f] = v >> (f % 32)
		}
		if c.HasData(e.Kind) {
			e.SetData(data[3 : 3+int(data[5])%4])
		}
		w.Entities = append(w.Entities, e)
		data = data[6:]
	}
	return w
}

// FuzzApply feeds hostile bodies to the decoder (which must fail cleanly, never panic) and checks that what it accepts
// is a valid world that re-encodes to itself; it also encodes worlds built from the input and requires an exact
// round trip.
func FuzzApply(f *testing.F) {
	c := mustCodec(f)
	base, cur := benchWorlds()
	f.Add(c.AppendDelta(nil, base, cur), cur.Tick, true)
	f.Add(c.AppendDelta(nil, nil, cur), cur.Tick, false)
	f.Add(c.AppendDelta(nil, base, base), base.Tick, true)
	f.Add(c.AppendDelta(nil, base, &World{Tick: 130}), uint32(130), true)
	kindChange := &World{Tick: 102, Entities: slices.Clone(cur.Entities)}
	kindChange.Entities[3].Kind = 2
	f.Add(c.AppendDelta(nil, base, kindChange), kindChange.Tick, true)
	f.Add([]byte{0, 1, 1, 0xff, 0x01, 7, 1, 2, 3, 4, 5, 6, 7, 8}, uint32(1), false)
	f.Add([]byte{0, 0}, uint32(0), false)
	card := game.Entity{ID: 9, Kind: 11}
	card.Fields[game.MaxFields-1] = 3
	card.SetData([]byte("jack"))
	f.Add(c.AppendDelta(nil, nil, &World{Tick: 4, Entities: []game.Entity{card}}), uint32(4), false)

	f.Fuzz(func(t *testing.T, body []byte, tick uint32, useBase bool) {
		b := fuzzBase(useBase)
		var out World
		err := c.Apply(b, tick, body, &out)
		// The packed decoder accepts exactly what Apply accepts, and decodes it to the same world.
		var pb *Packed
		if b != nil {
			pb = &Packed{}
			c.PackWorld(pb, b)
		}
		var pout Packed
		perr := c.ApplyPacked(pb, tick, body, &pout)
		if (err == nil) != (perr == nil) {
			t.Fatalf("Apply: %v, ApplyPacked: %v", err, perr)
		}
		if err == nil {
			var w World
			c.Unpack(&w, &pout)
			if !slices.Equal(w.Entities, out.Entities) {
				t.Fatalf("ApplyPacked's world differs\n got %+v\nwant %+v", w.Entities, out.Entities)
			}
			if !slices.Equal(c.AppendDeltaPacked(nil, pb, &pout), c.AppendDelta(nil, b, &out)) {
				t.Fatal("AppendDeltaPacked differs from AppendDelta")
			}
		}
		if err == nil {
			for k := range out.Entities {
				e := &out.Entities[k]
				if k > 0 && out.Entities[k-1].ID >= e.ID {
					t.Fatalf("accepted a world with ids not ascending: %+v", out.Entities)
				}
				if !c.KnownKind(e.Kind) {
					t.Fatalf("accepted unknown kind %d", e.Kind)
				}
				if (!c.HasData(e.Kind) && e.DataLen != 0) || e.DataLen > game.MaxData {
					t.Fatalf("bad data length %+v", e)
				}
				for _, b := range e.Data[e.DataLen:] {
					if b != 0 {
						t.Fatalf("data bytes beyond its length %+v", e)
					}
				}
				for f := c.FieldCount(e.Kind); f < game.MaxFields; f++ {
					if e.Fields[f] != 0 {
						t.Fatalf("field %d beyond kind %d is %d", f, e.Kind, e.Fields[f])
					}
				}
			}
			again := c.AppendDelta(nil, b, &out)
			var out2 World
			if err := c.Apply(b, tick, again, &out2); err != nil {
				t.Fatalf("re-encoding of an accepted world fails: %v", err)
			}
			if !slices.Equal(out.Entities, out2.Entities) {
				t.Fatal("re-encoding of an accepted world differs")
			}
		}

		w := worldFromBytes(c, tick, body)
		enc := c.AppendDelta(nil, b, w)
		var got World
		if err := c.Apply(b, tick, enc, &got); err != nil {
			t.Fatalf("Apply of AppendDelta output: %v", err)
		}
		if !slices.Equal(got.Entities, w.Entities) {
			t.Fatalf("round trip differs\n got %+v\nwant %+v", got.Entities, w.Entities)
		}
		var pw Packed
		c.PackWorld(&pw, w)
		if !slices.Equal(c.AppendDeltaPacked(nil, pb, &pw), enc) || c.HashPacked(&pw) != c.Hash(w) {
			t.Fatal("packed encoding or hash differs")
		}
	})
}
