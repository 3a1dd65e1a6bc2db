package client

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/proto"
)

func TestInputFrameMatchesGeneratedCode(t *testing.T) {
	for _, tc := range []inputFrame{
		{seq: 1, tick: 1, values: []int32{-1, 1, 65535, 0}},
		{seq: 1 << 31, ackTick: 12345, renderTick: 12344, tick: 12349, renderFrac: 255, values: []int32{0, 0, 0, 1}},
		{seq: 7, ackTick: 3, tick: 9},
		{values: []int32{-2147483648, 2147483647}},
		{seq: 3, renderFrac: 17},
	} {
		want, err := gproto.MarshalOptions{Deterministic: true}.Marshal(&proto.ClientFrame{Msg: &proto.ClientFrame_Input{
			Input: &proto.Input{Seq: tc.seq, Values: tc.values, AckTick: tc.ackTick, RenderTick: tc.renderTick,
				Tick: tc.tick, RenderFrac: tc.renderFrac}}})
		if err != nil {
			t.Fatal(err)
		}
		got := appendInputFrame([]byte{0xff}, &tc)
		if !bytes.Equal(got[1:], want) || got[0] != 0xff {
			t.Errorf("%+v:\n got %x\nwant %x", tc, got[1:], want)
		}
	}
}

func TestInputFrameDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 64)
	in := inputFrame{seq: 99, ackTick: 5, renderTick: 4, tick: 8, values: []int32{1, -1, 40000, 1}}
	if n := testing.AllocsPerRun(100, func() { buf = appendInputFrame(buf[:0], &in) }); n != 0 {
		t.Errorf("%v allocs", n)
	}
}

func snapshotFrameBytes(t testing.TB, snap *proto.Snapshot, lastInputSeq uint32, lead ...int32) []byte {
	b, err := gproto.Marshal(&proto.ServerFrame{Msg: &proto.ServerFrame_Snapshot{Snapshot: snap}})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lead {
		b = protowire.AppendTag(b, 14, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(l)))
	}
	if lastInputSeq != 0 {
		b = append(b, 0x78)
		for v := lastInputSeq; ; v >>= 7 {
			if v < 0x80 {
				b = append(b, byte(v))
				break
			}
			b = append(b, byte(v)|0x80)
		}
	}
	return b
}

func TestDecodeSnapshotFrame(t *testing.T) {
	h := uint32(0xdeadbeef)
	b := snapshotFrameBytes(t, &proto.Snapshot{Tick: 300, BaselineTick: 299, Entities: []byte{0, 1, 5, 2, 8}, StateHash: &h}, 4242, -1234)
	var f snapshotFrame
	ok, err := decodeSnapshotFrame(b, &f)
	if !ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	want := snapshotFrame{Tick: 300, Baseline: 299, Entities: []byte{0, 1, 5, 2, 8}, Hash: h, HasHash: true, LastInputSeq: 4242,
		LeadUS: -1234, HasLead: true}
	if f.Tick != want.Tick || f.Baseline != want.Baseline || !bytes.Equal(f.Entities, want.Entities) ||
		f.Hash != want.Hash || !f.HasHash || f.LastInputSeq != want.LastInputSeq || f.LeadUS != want.LeadUS || !f.HasLead {
		t.Errorf("got %+v, want %+v", f, want)
	}
	// The generated code agrees.
	var sf proto.ServerFrame
	if err := gproto.Unmarshal(b, &sf); err != nil || sf.GetInputLeadUs() != -1234 || sf.GetLastInputSeq() != 4242 {
		t.Errorf("generated: %v, %v", &sf, err)
	}
	// Other frames go to the generated code.
	pong, _ := gproto.Marshal(&proto.ServerFrame{Msg: &proto.ServerFrame_Pong{Pong: &proto.Pong{ServerTick: 3}}})
	if ok, err := decodeSnapshotFrame(pong, &f); ok || err != nil {
		t.Errorf("pong: ok=%v err=%v", ok, err)
	}
	if _, err := decodeSnapshotFrame(b[:len(b)-1], &f); err == nil {
		t.Errorf("truncated frame accepted")
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = decodeSnapshotFrame(b, &f) }); n != 0 {
		t.Errorf("%v allocs", n)
	}
}

// FuzzDecodeSnapshotFrame checks the hand decoder against the generated one: whenever it claims a snapshot frame,
// the generated code must decode the same values; whenever the generated code sees a snapshot-only frame, so must it.
func FuzzDecodeSnapshotFrame(f *testing.F) {
	h := uint32(7)
	f.Add(snapshotFrameBytes(f, &proto.Snapshot{Tick: 30, BaselineTick: 29, Entities: []byte{0, 1, 1, 6, 2, 4}, StateHash: &h}, 12))
	f.Add(snapshotFrameBytes(f, &proto.Snapshot{Tick: 1, Entities: []byte{0, 0}}, 0))
	pong, _ := gproto.Marshal(&proto.ServerFrame{Msg: &proto.ServerFrame_Pong{Pong: &proto.Pong{ServerTick: 3}}})
	f.Add(pong)
	f.Add([]byte{0x12, 0x03, 0x08, 0x01, 0x20, 0x78, 0x05})
	f.Add(snapshotFrameBytes(f, &proto.Snapshot{Tick: 31, BaselineTick: 30}, 13, 2500))
	f.Add(snapshotFrameBytes(f, &proto.Snapshot{Tick: 32, BaselineTick: 31}, 14, -70000, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got snapshotFrame
		ok, err := decodeSnapshotFrame(b, &got)
		var sf proto.ServerFrame
		perr := gproto.Unmarshal(b, &sf)
		if err != nil {
			if perr == nil {
				t.Fatalf("hand decoder rejects what protobuf accepts: %v", err)
			}
			return
		}
		if !ok {
			return
		}
		if perr != nil {
			t.Fatalf("hand decoder accepts what protobuf rejects: %v", perr)
		}
		s := sf.GetSnapshot()
		if s == nil {
			t.Fatalf("hand decoder saw a snapshot, protobuf %v", &sf)
		}
		if got.Tick != s.GetTick() || got.Baseline != s.GetBaselineTick() || !bytes.Equal(got.Entities, s.GetEntities()) ||
			got.HasHash != (s.StateHash != nil) || got.Hash != s.GetStateHash() || got.LastInputSeq != sf.GetLastInputSeq() ||
			got.LeadUS != sf.GetInputLeadUs() || (!got.HasLead && got.LeadUS != 0) {
			t.Fatalf("hand %+v, protobuf %v", got, &sf)
		}
	})
}
