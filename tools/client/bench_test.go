package client

import (
	"testing"
	"time"

	"github.com/lxzan/gws"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// benchClient is a joined client without a socket, fed frames directly (the read path of one connection).
func benchClient(tb testing.TB) (*Client, *gws.Conn, [][]byte) {
	codec, err := snapcodec.New(fakeSchema)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := Config{URL: "ws://x"}
	cfg.setDefaults()
	conn := new(gws.Conn)
	c := &Client{cfg: cfg, stats: cfg.Stats, log: cfg.Logger, done: make(chan struct{}), ring: make([]sentInput, 128),
		state: stateJoined, conn: conn, codec: codec, welcome: &proto.Welcome{PlayerId: 1}}
	// Sixteen moving players and some projectiles; frames alternate between deltas so each applies to the last.
	var frames [][]byte
	var prev *snapcodec.World
	for tick := uint32(1); tick <= 31; tick++ {
		w := &snapcodec.World{Tick: tick}
		for id := uint32(1); id <= 16; id++ {
			vx := int32(id%3) - 1
			w.Entities = append(w.Entities, game.Entity{ID: id, Kind: 1, Fields: [8]int32{int32(id)*100 + vx*int32(tick), 50, vx, 0}})
		}
		for p := uint32(0); p < 20; p++ {
			w.Entities = append(w.Entities, game.Entity{ID: 65536 + p + tick/10, Kind: 2, Fields: [8]int32{int32(tick * 9), 9}})
		}
		baseline := uint32(0)
		if prev != nil {
			baseline = prev.Tick
		}
		h := codec.Hash(w)
		b, _ := gproto.Marshal(&proto.ServerFrame{Msg: &proto.ServerFrame_Snapshot{Snapshot: &proto.Snapshot{
			Tick: tick, BaselineTick: baseline, Entities: codec.AppendDelta(nil, prev, w), StateHash: &h}}})
		frames = append(frames, append(b, 0x78, byte(tick)))
		prev = w
	}
	return c, conn, frames
}

// BenchmarkSnapshotReadPath: decode one frame, apply the delta, check the hash, acknowledge inputs.
func BenchmarkSnapshotReadPath(b *testing.B) {
	c, conn, frames := benchClient(b)
	now := time.Now()
	c.onFrame(conn, frames[0], now)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i%30 + 1
		if k == 1 {
			c.world.Tick = 1 // replay the same sequence of deltas
			c.onFrame(conn, frames[0], now)
		}
		c.onFrame(conn, frames[k], now)
	}
	if c.stats.DecodeErrors.Load() != 0 || c.stats.WorldMismatches.Load() != 0 {
		b.Fatalf("decode errors %d, mismatches %d", c.stats.DecodeErrors.Load(), c.stats.WorldMismatches.Load())
	}
}

func TestSnapshotReadPathDoesNotAllocate(t *testing.T) {
	c, conn, frames := benchClient(t)
	now := time.Now()
	k := 0
	allocs := testing.AllocsPerRun(200, func() {
		if k%31 == 0 {
			c.world.Tick = 0
		}
		c.onFrame(conn, frames[k%31], now)
		k++
	})
	if allocs != 0 {
		t.Errorf("%v allocs per snapshot", allocs)
	}
	if c.stats.DecodeErrors.Load() != 0 || c.stats.WorldMismatches.Load() != 0 || c.stats.HashChecks.Load() == 0 {
		t.Errorf("decode errors %d, mismatches %d", c.stats.DecodeErrors.Load(), c.stats.WorldMismatches.Load())
	}
}
