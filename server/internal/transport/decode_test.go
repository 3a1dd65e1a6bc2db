package transport

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	pb "github.com/tickwire/tickwire/proto"
)

var arenaInput = []game.InputField{{Name: "dx", Min: -1, Max: 1}, {Name: "dy", Min: -1, Max: 1},
	{Name: "aim", Min: 0, Max: 65535}, {Name: "fire", Min: 0, Max: 1}}

func marshal(t testing.TB, f *pb.ClientFrame) []byte {
	b, err := proto.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// realFrames are frames a well-behaved client sends.
func realFrames(t testing.TB) [][]byte {
	return [][]byte{
		marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Hello{Hello: &pb.Hello{ProtocolVersion: 2, Client: "tickwire-web/0.1"}}}),
		marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Hello{Hello: &pb.Hello{ProtocolVersion: 2, MinProtocolVersion: 1, MaxProtocolVersion: 2}}}),
		marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_Mode{Mode: "arena"}, Name: "ann"}}}),
		marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_ResumeToken{ResumeToken: make([]byte, 24)}}}}),
		marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_JoinToken{JoinToken: "abcdefabcdefabcdefabcdefabcdefab"}}}}),
		marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 7, Values: []int32{1, -1, 40000, 1}, AckTick: 99, RenderTick: 97, Tick: 104, RenderFrac: 200}}}),
		marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 1, Tick: 1, Values: []int32{0, 0, 0, 0}}}}),
		marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Ack{Ack: &pb.Ack{Tick: 1234}}}),
		marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Ping{Ping: &pb.Ping{ClientTimeUs: 1700000000000000}}}),
		marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Leave{Leave: &pb.Leave{}}}),
		marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Message{Message: &pb.Message{Type: "chat", Payload: []byte("gg"), Seq: 1}}}),
	}
}

// validate runs the checks the connection applies to a frame in any state.
func validate(b []byte) (*pb.ClientFrame, error) {
	var f pb.ClientFrame
	if err := DecodeClientFrame(b, &f); err != nil {
		return nil, err
	}
	var err error
	switch m := f.Msg.(type) {
	case *pb.ClientFrame_Hello:
		_, err = checkHello(m.Hello)
	case *pb.ClientFrame_Join:
		err = checkJoin(m.Join)
	case *pb.ClientFrame_Input:
		var in game.Input
		err = checkInput(m.Input, arenaInput, &in)
	}
	return &f, err
}

func TestDecodeAcceptsRealFrames(t *testing.T) {
	for i, b := range realFrames(t) {
		if _, err := validate(b); err != nil {
			t.Errorf("frame %d: %v", i, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	input := marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 1, Tick: 1, Values: []int32{0, 0, 0, 0}}}})
	withTag := func(b []byte, num protowire.Number, typ protowire.Type, v uint64) []byte {
		b = protowire.AppendTag(append([]byte(nil), b...), num, typ)
		if typ == protowire.BytesType {
			return protowire.AppendBytes(b, make([]byte, v))
		}
		return protowire.AppendVarint(b, v)
	}
	nested := func(inner []byte) []byte { // ClientFrame{input: inner}
		return protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType), inner)
	}
	inputInner := func(f *pb.Input) []byte { b, _ := proto.Marshal(f); return b }
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, errBadFrame},
		{"garbage", []byte{0xff, 0xff, 0xff}, errBadFrame},
		{"truncated", input[:len(input)-1], errBadFrame},
		{"unknown top-level field", withTag(input, 99, protowire.VarintType, 1), errBadFrame},
		{"unknown nested field", nested(withTag(inputInner(&pb.Input{Seq: 1, Tick: 1, Values: []int32{0, 0, 0, 0}}), 9, protowire.VarintType, 1)), errBadFrame},
		{"known field, wrong wire type", nested(withTag(nil, 1, protowire.BytesType, 2)), errBadFrame},
		{"oneof field with wrong wire type", withTag(nil, 3, protowire.VarintType, 1), errBadFrame},
		{"seq 0", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Tick: 1, Values: []int32{0, 0, 0, 0}}}}), errBadFrame},
		{"tick 0", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 1, Values: []int32{0, 0, 0, 0}}}}), errBadFrame},
		{"render_frac 256", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 1, Tick: 1, RenderFrac: 256, Values: []int32{0, 0, 0, 0}}}}), errBadFrame},
		{"tick 0 after a tick (the last one counts)", nested(slices.Concat(inputInner(&pb.Input{Seq: 1, Tick: 3, Values: []int32{0, 0, 0, 0}}),
			protowire.AppendVarint(protowire.AppendTag(nil, 5, protowire.VarintType), 0))), errBadFrame},
		{"version 1 only", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Hello{Hello: &pb.Hello{ProtocolVersion: 1}}}), errVersion},
		{"too few values", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 1, Tick: 1, Values: []int32{0, 0, 0}}}}), errBadFrame},
		{"too many values", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 1, Tick: 1, Values: []int32{0, 0, 0, 0, 0}}}}), errBadFrame},
		{"value above max", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 1, Tick: 1, Values: []int32{0, 0, 65536, 0}}}}), errBadFrame},
		{"value below min", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 1, Tick: 1, Values: []int32{-2, 0, 0, 0}}}}), errBadFrame},
		{"int32 extremes", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 1, Tick: 1, Values: []int32{-1 << 31, 1<<31 - 1, 0, 0}}}}), errBadFrame},
		{"version 0", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Hello{Hello: &pb.Hello{}}}), errVersion},
		{"version out of the enum", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Hello{Hello: &pb.Hello{ProtocolVersion: 1 << 20}}}), errVersion},
		{"long client name", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Hello{Hello: &pb.Hello{ProtocolVersion: 2, Client: string(make([]byte, 65))}}}), errBadFrame},
		{"join without target", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Name: "x"}}}), errBadFrame},
		{"long name", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_Mode{Mode: "arena"}, Name: string(make([]byte, 33))}}}), errBadFrame},
		{"empty mode", marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_Mode{}}}}), errBadFrame},
		{"invalid utf-8 string", protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType),
			protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType), []byte{0xff})), errBadFrame},
		{"deep nesting", func() []byte {
			b := []byte{}
			for i := 0; i < 10; i++ {
				b = protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType), b)
			}
			return b
		}(), errBadFrame},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := validate(tc.b)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzClientFrame: the decoder and validator never panic, and whatever they accept is a well-formed frame: it
// re-encodes to a message that decodes equal, carries no unknown fields, and (for an Input) stays within bounds.
func FuzzClientFrame(f *testing.F) {
	for _, b := range realFrames(f) {
		f.Add(b)
	}
	f.Add([]byte{0x1a, 0x02, 0x08, 0x00})
	f.Add([]byte{0x1a, 0x03, 0x4a, 0x01, 0x01})
	f.Add([]byte{0x0a, 0x06, 0x08, 0x02, 0x18, 0x01, 0x20, 0x03}) // hello 1..3
	f.Add([]byte{0x0a, 0x04, 0x18, 0x03, 0x20, 0x01})             // hello min above max
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := validate(b)
		if err != nil {
			if !errors.Is(err, errBadFrame) && !errors.Is(err, errVersion) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		again, err := proto.Marshal(fr)
		if err != nil {
			t.Fatalf("accepted frame does not re-encode: %v", err)
		}
		var back pb.ClientFrame
		if err := DecodeClientFrame(again, &back); err != nil || !proto.Equal(fr, &back) {
			t.Fatalf("accepted frame does not round-trip: %v", err)
		}
		if in := fr.GetInput(); in != nil {
			var out game.Input
			if err := checkInput(in, arenaInput, &out); err != nil {
				t.Fatal(err)
			}
			for i, fld := range arenaInput {
				if out.Values[i] < fld.Min || out.Values[i] > fld.Max {
					t.Fatalf("accepted value %d outside [%d,%d]", out.Values[i], fld.Min, fld.Max)
				}
			}
		}
	})
}

func BenchmarkDecodeInput(b *testing.B) {
	frame := realFrames(b)[5]
	var in game.Input
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var f pb.ClientFrame
		if err := DecodeClientFrame(frame, &f); err != nil {
			b.Fatal(err)
		}
		if err := checkInput(f.GetInput(), arenaInput, &in); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzInputFastPath: the allocation-free Input decoder accepts nothing the general decoder would not, and agrees
// with it on every field of what it accepts.
func FuzzInputFastPath(f *testing.F) {
	for _, b := range realFrames(f) {
		f.Add(b)
	}
	f.Add(append(marshal(f, &pb.ClientFrame{Msg: &pb.ClientFrame_Input{Input: &pb.Input{Seq: 3}}}), 0x1a, 0x02, 0x08, 0x05))
	f.Add([]byte{0x1a, 0x06, 0x08, 0x01, 0x28, 0x07, 0x30, 0x80})       // render_frac truncated
	f.Add([]byte{0x1a, 0x06, 0x28, 0x01, 0x28, 0x02, 0x08, 0x01})       // tick twice
	f.Add([]byte{0x1a, 0x07, 0x08, 0x01, 0x28, 0x01, 0x30, 0x80, 0x02}) // render_frac 256
	f.Fuzz(func(t *testing.T, b []byte) {
		var raw rawInput
		if !decodeInputFast(b, &raw) {
			return
		}
		var fr pb.ClientFrame
		if err := DecodeClientFrame(b, &fr); err != nil {
			t.Fatalf("fast path accepted what the general decoder refuses: %v", err)
		}
		in := fr.GetInput()
		if in == nil {
			t.Fatalf("fast path accepted a %T", fr.Msg)
		}
		if in.Seq != raw.head.seq || in.AckTick != raw.ack || in.RenderTick != raw.head.render || len(in.Values) != raw.n ||
			in.Tick != raw.head.tick || in.RenderFrac != raw.head.frac {
			t.Fatalf("fast %+v, general %v", raw, in)
		}
		for i, v := range in.Values {
			if raw.values[i] != v {
				t.Fatalf("value %d: fast %d, general %d", i, raw.values[i], v)
			}
		}
	})
}

func TestInputFastPath(t *testing.T) {
	frames := realFrames(t)
	var raw rawInput
	if !decodeInputFast(frames[5], &raw) || raw.head != (inputHead{seq: 7, tick: 104, render: 97, frac: 200}) || raw.ack != 99 || raw.n != 4 ||
		raw.values != [8]int32{1, -1, 40000, 1} {
		t.Fatalf("decoded %+v", raw)
	}
	for i, b := range frames {
		if i != 5 && i != 6 && decodeInputFast(b, &raw) {
			t.Errorf("frame %d is not an input but took the fast path", i)
		}
	}
	var in game.Input
	allocs := testing.AllocsPerRun(1000, func() {
		if !decodeInputFast(frames[5], &raw) {
			t.Fatal("fast path refused")
		}
		if err := checkInputValues(raw.head, raw.values[:raw.n], arenaInput, &in); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per input", allocs)
	}
}

func BenchmarkDecodeInputFast(b *testing.B) {
	frame := realFrames(b)[5]
	var raw rawInput
	var in game.Input
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !decodeInputFast(frame, &raw) {
			b.Fatal("refused")
		}
		if err := checkInputValues(raw.head, raw.values[:raw.n], arenaInput, &in); err != nil {
			b.Fatal(err)
		}
	}
}

func TestHelloNegotiation(t *testing.T) {
	for _, tc := range []struct {
		v, lo, hi pb.ProtocolVersion
		want      pb.ProtocolVersion // 0: refused
		reason    string
	}{
		{v: 1, reason: "client speaks 1..1, server speaks 2..2"},
		{v: 2, want: 2},
		{v: 3, reason: "client speaks 3..3, server speaks 2..2"},
		{v: 2, lo: 1, hi: 2, want: 2},
		{v: 1, lo: 1, hi: 3, want: 2},
		{lo: 1, hi: 2, want: 2},
		{v: 2, lo: 1, want: 2}, // 1..2
		{v: 1, hi: 2, want: 2}, // 1..2
		{v: 1, lo: 3, hi: 4, reason: "client speaks 3..4, server speaks 2..2"},
		{lo: 2, hi: 1, reason: "client speaks 2..1, server speaks 2..2"},
		{reason: "client speaks 0..0, server speaks 2..2"},
	} {
		got, err := checkHello(&pb.Hello{ProtocolVersion: tc.v, MinProtocolVersion: tc.lo, MaxProtocolVersion: tc.hi})
		switch {
		case tc.want != 0 && (err != nil || got != tc.want):
			t.Errorf("%d %d..%d: %v %v, want %v", tc.v, tc.lo, tc.hi, got, err, tc.want)
		case tc.want == 0 && (!errors.Is(err, errVersion) || err.Error() != tc.reason):
			t.Errorf("%d %d..%d: %v %v, want refused with %q", tc.v, tc.lo, tc.hi, got, err, tc.reason)
		}
	}
}
