package transport

import (
	"encoding/binary"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	pb "github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/server/internal/room"
)

func messageFrame(t testing.TB, typ string, payload []byte, seq uint32) []byte {
	return marshal(t, &pb.ClientFrame{Msg: &pb.ClientFrame_Message{Message: &pb.Message{Type: typ, Payload: payload, Seq: seq}}})
}

// FuzzMessageFrame: decoding a frame and checking it as a Message never panics, and a frame accepted as a Message
// is within the documented limits; the only refusals are 4500 (malformed, bad type) and 1009 (payload too big).
func FuzzMessageFrame(f *testing.F) {
	f.Add(messageFrame(f, "chat", []byte("hello"), 1))
	f.Add(messageFrame(f, "ready", nil, 0))
	f.Add(messageFrame(f, "buy", []byte{0, 1, 2, 3}, 1<<31))
	f.Add(messageFrame(f, "x", make([]byte, game.MaxMessageBytes), 7))
	f.Add(messageFrame(f, "x", make([]byte, game.MaxMessageBytes+1), 7))
	f.Add(messageFrame(f, string(make([]byte, game.MaxMessageType+1)), nil, 0))
	f.Add([]byte{0x3a, 0x00})                           // an empty Message: no type
	f.Add([]byte{0x3a, 0x03, 0x0a, 0x01, 0xff})         // type not UTF-8
	f.Add([]byte{0x3a, 0x04, 0x0a, 0x01, 'a', 0x20})    // truncated field
	f.Add([]byte{0x3a, 0x05, 0x0a, 0x01, 'a', 0x20, 1}) // unknown field 4
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr pb.ClientFrame
		if err := DecodeClientFrame(b, &fr); err != nil {
			return
		}
		m := fr.GetMessage()
		if m == nil {
			return
		}
		code, reason := checkMessage(m)
		switch code {
		case 0:
			if typ := m.GetType(); typ == "" || len(typ) > game.MaxMessageType || !utf8.ValidString(typ) ||
				len(m.GetPayload()) > game.MaxMessageBytes {
				t.Fatalf("accepted a message out of bounds: type %q, %d bytes", typ, len(m.GetPayload()))
			}
			again, err := proto.Marshal(&fr)
			if err != nil {
				t.Fatal(err)
			}
			var back pb.ClientFrame
			if err := DecodeClientFrame(again, &back); err != nil || !proto.Equal(&fr, &back) {
				t.Fatalf("accepted message does not round-trip: %v", err)
			}
		case CodeBadFrame, CodeMessageTooBig:
			if reason == "" {
				t.Fatal("refused without a reason")
			}
		default:
			t.Fatalf("unexpected close code %d", code)
		}
	})
}

func TestCheckMessage(t *testing.T) {
	for _, c := range []struct {
		name string
		m    *pb.Message
		code uint16
	}{
		{"chat", &pb.Message{Type: "chat", Payload: []byte("hi")}, 0},
		{"no payload", &pb.Message{Type: "ready"}, 0},
		{"largest payload", &pb.Message{Type: "x", Payload: make([]byte, game.MaxMessageBytes)}, 0},
		{"longest type", &pb.Message{Type: string(make([]byte, game.MaxMessageType))}, 0},
		{"payload too big", &pb.Message{Type: "x", Payload: make([]byte, game.MaxMessageBytes+1)}, CodeMessageTooBig},
		{"no type", &pb.Message{}, CodeBadFrame},
		{"type too long", &pb.Message{Type: string(make([]byte, game.MaxMessageType+1))}, CodeBadFrame},
	} {
		if code, _ := checkMessage(c.m); code != c.code {
			t.Errorf("%s: code %d, want %d", c.name, code, c.code)
		}
	}
	// A type that is not UTF-8 never reaches checkMessage: proto3 strings are checked while decoding.
	bad := protowire.AppendBytes(protowire.AppendTag(nil, 7, protowire.BytesType),
		protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte{0xff}))
	var fr pb.ClientFrame
	if err := DecodeClientFrame(bad, &fr); err == nil {
		t.Error("a message type that is not UTF-8 decoded")
	}
}

// closeCode returns the code of the server's close frame in out (0: none).
func closeCode(out []byte) uint16 {
	var code uint16
	for b := out; len(b) >= 2; {
		op, n, h := b[0]&0x0f, int(b[1]&0x7f), 2
		if n == 126 {
			if len(b) < 4 {
				break
			}
			n, h = int(binary.BigEndian.Uint16(b[2:])), 4
		}
		if len(b) < h+n {
			break
		}
		if op == 0x8 && n >= 2 {
			code = binary.BigEndian.Uint16(b[h:])
		}
		b = b[h+n:]
	}
	return code
}

// Messages through a real connection: accepted chat, then each way of breaking the rules gets its documented code.
func TestConnMessageEndings(t *testing.T) {
	fr := realFrames(t)
	hello, join, leave := fr[0], fr[2], fr[9]
	chat := messageFrame(t, "chat", []byte("hi"), 1)
	flood := [][]byte{hello, join}
	for range room.DefaultMessageBurst + 5 {
		flood = append(flood, chat)
	}
	kinds := func(n int) []byte { return make([]byte, n) }
	s := newSeqServer(t)
	for _, c := range []struct {
		name string
		seq  [][]byte
		code uint16
	}{
		{"chat then leave", [][]byte{hello, join, chat, chat, leave}, CodeLeft},
		{"oversized payload", [][]byte{hello, join, messageFrame(t, "chat", make([]byte, game.MaxMessageBytes+1), 1)}, CodeMessageTooBig},
		{"empty type", [][]byte{hello, join, messageFrame(t, "", nil, 1)}, CodeBadFrame},
		{"before join", [][]byte{hello, chat}, CodeBadFrame},
		{"flood", flood, CodeRateLimited},
	} {
		out := s.run(t, wire(encodeSeq(kinds(len(c.seq)), c.seq)), 5*time.Second)
		checkServerFrames(t, out)
		if code := closeCode(out); code != c.code {
			t.Errorf("%s: close code %d, want %d (%d bytes out)", c.name, code, c.code, len(out))
		}
	}
}
