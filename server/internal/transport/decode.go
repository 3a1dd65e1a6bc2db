package transport

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	pb "github.com/tickwire/tickwire/proto"
)

// Limits on client-supplied strings (bytes of UTF-8).
const (
	maxClientName = 64
	maxPlayerName = 32
	maxJoinToken  = 128
	maxMode       = 32
)

// errBadFrame is wrapped by every decoding or validation failure (close code 4500).
var errBadFrame = errors.New("transport: bad frame")

func badFrame(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errBadFrame}, args...)...)
}

var unmarshal = proto.UnmarshalOptions{RecursionLimit: 4}

// DecodeClientFrame parses one client frame strictly: the bytes must decode, carry no unknown fields (which is also
// how protobuf-go keeps a known field sent with the wrong wire type) at any level, and set the oneof.
func DecodeClientFrame(b []byte, f *pb.ClientFrame) error {
	if err := unmarshal.Unmarshal(b, f); err != nil {
		return badFrame("undecodable: %v", err)
	}
	if len(f.ProtoReflect().GetUnknown()) != 0 {
		return badFrame("unknown fields")
	}
	var inner proto.Message
	switch m := f.Msg.(type) {
	case *pb.ClientFrame_Hello:
		inner = m.Hello
	case *pb.ClientFrame_Join:
		inner = m.Join
	case *pb.ClientFrame_Input:
		inner = m.Input
	case *pb.ClientFrame_Ack:
		inner = m.Ack
	case *pb.ClientFrame_Ping:
		inner = m.Ping
	case *pb.ClientFrame_Leave:
		inner = m.Leave
	case nil:
		return badFrame("empty frame")
	default:
		return badFrame("unknown message %T", m)
	}
	if len(inner.ProtoReflect().GetUnknown()) != 0 {
		return badFrame("unknown fields in %s", inner.ProtoReflect().Descriptor().Name())
	}
	return nil
}

// errVersion: Hello names a protocol version this server does not speak (4501).
var errVersion = errors.New("transport: unsupported protocol version")

// checkHello validates a Hello.
func checkHello(h *pb.Hello) error {
	if h.GetProtocolVersion() != pb.ProtocolVersion_PROTOCOL_VERSION_1 {
		return fmt.Errorf("%w: %d", errVersion, int32(h.GetProtocolVersion()))
	}
	if len(h.GetClient()) > maxClientName {
		return badFrame("client name longer than %d bytes", maxClientName)
	}
	return nil
}

// checkJoin validates a Join's shape (whether its token is good is the session table's business).
func checkJoin(j *pb.Join) error {
	if len(j.GetName()) > maxPlayerName || !utf8.ValidString(j.GetName()) {
		return badFrame("name longer than %d bytes", maxPlayerName)
	}
	switch t := j.Target.(type) {
	case *pb.Join_JoinToken:
		if t.JoinToken == "" || len(t.JoinToken) > maxJoinToken {
			return badFrame("join token length %d", len(t.JoinToken))
		}
	case *pb.Join_ResumeToken:
		if len(t.ResumeToken) == 0 || len(t.ResumeToken) > maxJoinToken {
			return badFrame("resume token length %d", len(t.ResumeToken))
		}
	case *pb.Join_Mode:
		if t.Mode == "" || len(t.Mode) > maxMode {
			return badFrame("mode length %d", len(t.Mode))
		}
	case nil:
		return badFrame("join without a target")
	}
	return nil
}

// checkInput validates an Input against the room's input schema and copies it into out.
func checkInput(in *pb.Input, schema []game.InputField, out *game.Input) error {
	if in.GetSeq() == 0 {
		return badFrame("input seq 0")
	}
	vals := in.GetValues()
	if len(vals) != len(schema) {
		return badFrame("input has %d values, want %d", len(vals), len(schema))
	}
	*out = game.Input{Seq: in.GetSeq(), RenderTick: game.Tick(in.GetRenderTick())}
	for i, v := range vals {
		if v < schema[i].Min || v > schema[i].Max {
			return badFrame("input value %s=%d outside [%d, %d]", schema[i].Name, v, schema[i].Min, schema[i].Max)
		}
		out.Values[i] = v
	}
	return nil
}
