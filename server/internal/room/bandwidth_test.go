package room

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tickwire/tickwire/proto/snapcodec"
)

// plainProtoSize is the size of the world as plain protobuf, the naive alternative to snapcodec: a ServerFrame
// carrying message State { uint32 tick = 1; repeated Entity entities = 2; } with
// message Entity { uint32 id = 1; uint32 kind = 2; repeated sint32 fields = 3 [packed]; } (only the kind's fields).
func plainProtoSize(c *snapcodec.Codec, w *snapcodec.World) int {
	n := protowire.SizeTag(1) + protowire.SizeVarint(uint64(w.Tick))
	for i := range w.Entities {
		e := &w.Entities[i]
		m := protowire.SizeTag(1) + protowire.SizeVarint(uint64(e.ID)) + protowire.SizeTag(2) + protowire.SizeVarint(uint64(e.Kind))
		packed := 0
		for f := range c.FieldCount(e.Kind) {
			packed += protowire.SizeVarint(protowire.EncodeZigZag(int64(e.Fields[f])))
		}
		if packed > 0 {
			m += protowire.SizeTag(3) + protowire.SizeBytes(packed)
		}
		n += protowire.SizeTag(2) + protowire.SizeBytes(m)
	}
	return protowire.SizeTag(2) + protowire.SizeBytes(n)
}

// wire is what one frame costs on the socket: payload, the 2-byte last_input_seq tail (seq < 16384) and the
// WebSocket header of a server frame (unmasked).
func wire(payload, seq int) int {
	n := payload + 1 + uvarintLen(uint32(seq))
	return n + wsHeader(n)
}

// TestSnapshotBandwidth measures bytes per player-second in a 16-player arena at 30 Hz under the standard workload:
// the deltas the room sends, versus a full snapcodec snapshot every tick, versus the full state as plain protobuf.
func TestSnapshotBandwidth(t *testing.T) {
	const players, warm, measure = 16, 300, 900 // 10 s to fill the world with projectiles, then 30 s measured
	r, ids, sinks, bots := benchRoom(t, players)
	tick := func() {
		for i, bt := range bots {
			directInput(r, ids[i], sinks[i], bt.next())
		}
		r.step()
	}
	for range warm {
		tick()
	}
	for _, s := range sinks {
		s.bytes, s.frames, s.reliable = 0, 0, 0
	}
	var fullCodec, fullProto, entities int
	buf := make([]byte, 0, 4096)
	for range measure {
		tick()
		w := r.worldAt(r.tick)
		entities += len(w.Entities)
		body := r.codec.AppendDelta(buf[:0], nil, w)
		hasHash := w.Tick%uint32(r.cfg.HashInterval) == 0
		frame := AppendSnapshotFrame(nil, w.Tick, 0, body, 0, hasHash)
		seq := int(bots[0].seq)
		fullCodec += players * wire(len(frame), seq)
		fullProto += players * wire(plainProtoSize(r.codec, w), seq)
	}
	var delta, reliable, frames int
	for _, s := range sinks {
		delta += s.bytes
		reliable += s.reliable
		frames += s.frames
	}
	perPS := func(total int) float64 { return float64(total) / players / (measure / 30.0) }
	t.Logf("16 players, 30 Hz, %.1f entities on average, %d of %d frames written", float64(entities)/measure, frames, players*measure)
	t.Logf("bytes per player-second (WebSocket headers and last_input_seq included):")
	t.Logf("  deltas (what the room sends): %7.0f  (%.1f bytes per snapshot)", perPS(delta), float64(delta)/float64(frames))
	t.Logf("  full snapcodec every tick:    %7.0f", perPS(fullCodec))
	t.Logf("  full plain protobuf per tick: %7.0f  (%.1fx the deltas)", perPS(fullProto), float64(fullProto)/float64(delta))
	t.Logf("  reliable events on top:       %7.0f", perPS(reliable))
	if frames != players*measure {
		t.Errorf("%d frames written, want %d", frames, players*measure)
	}
	if perPS(delta) > 4096 {
		t.Errorf("deltas cost %.0f bytes per player-second, budget 4096", perPS(delta))
	}
	if fullProto < 10*delta {
		t.Errorf("deltas only %.1fx smaller than plain protobuf", float64(fullProto)/float64(delta))
	}
}
