package transport

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
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
	case *pb.ClientFrame_Message:
		inner = m.Message
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

// Input errors, preallocated: a client that sends them is closed, but building a message per bad input would let
// it make the server allocate.
var (
	errSeqZero    = badFrame("input seq 0")
	errTickZero   = badFrame("input tick 0")
	errFrac       = badFrame("input render_frac above 255")
	errValueCount = badFrame("input has the wrong number of values")
	errValueRange = badFrame("input value outside its bounds")
)

// The protocol versions this server speaks (Welcome.protocol_version states the one picked).
const (
	minProtocol = pb.ProtocolVersion_PROTOCOL_VERSION_2
	maxProtocol = pb.ProtocolVersion_PROTOCOL_VERSION_2
)

// errVersion: Hello offers no protocol version this server speaks (4501).
var errVersion = errors.New("transport: unsupported protocol version")

// versionError is an errVersion whose text is the close reason: both ranges.
type versionError struct{ lo, hi pb.ProtocolVersion }

func (e versionError) Error() string {
	return fmt.Sprintf("client speaks %d..%d, server speaks %d..%d", int32(e.lo), int32(e.hi), int32(minProtocol),
		int32(maxProtocol))
}

func (e versionError) Is(target error) bool { return target == errVersion }

// checkHello validates a Hello and picks the protocol version: the newest in both the client's range
// (min_protocol_version..max_protocol_version, where 0 stands for protocol_version) and the server's.
func checkHello(h *pb.Hello) (pb.ProtocolVersion, error) {
	if len(h.GetClient()) > maxClientName {
		return 0, badFrame("client name longer than %d bytes", maxClientName)
	}
	lo, hi := h.GetMinProtocolVersion(), h.GetMaxProtocolVersion()
	if lo == 0 {
		lo = h.GetProtocolVersion()
	}
	if hi == 0 {
		hi = h.GetProtocolVersion()
	}
	v := min(hi, maxProtocol)
	if v < max(lo, minProtocol) {
		return 0, versionError{lo, hi}
	}
	return v, nil
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

// Message errors, preallocated (a flood of bad messages must not make the server allocate per frame).
var (
	errMessageType = badFrame("message type must be 1-%d bytes", game.MaxMessageType)
	errMessageSize = fmt.Sprintf("message payload larger than %d bytes", game.MaxMessageBytes)
)

// checkMessage validates a Message's shape: its close code and reason, or 0 when it is fine. A type out of bounds is
// a bad frame (4500); a payload over game.MaxMessageBytes is too big (1009, as Welcome.max_message_bytes says).
func checkMessage(m *pb.Message) (uint16, string) {
	if t := m.GetType(); t == "" || len(t) > game.MaxMessageType || !utf8.ValidString(t) {
		return CodeBadFrame, errMessageType.Error()
	}
	if len(m.GetPayload()) > game.MaxMessageBytes {
		return CodeMessageTooBig, errMessageSize
	}
	return 0, ""
}

// checkInput validates an Input against the room's input schema and copies it into out.
func checkInput(in *pb.Input, schema []game.InputField, out *game.Input) error {
	return checkInputValues(inputHead{in.GetSeq(), in.GetTick(), in.GetRenderTick(), in.GetRenderFrac()}, in.GetValues(),
		schema, out)
}

// inputHead is an Input's scalar fields other than ack_tick.
type inputHead struct {
	seq, tick, render, frac uint32
}

// checkInputValues validates an input's parts against the room's input schema and copies them into out.
func checkInputValues(h inputHead, vals []int32, schema []game.InputField, out *game.Input) error {
	switch {
	case h.seq == 0:
		return errSeqZero
	case h.tick == 0:
		return errTickZero
	case h.frac > 255:
		return errFrac
	}
	if len(vals) != len(schema) {
		return errValueCount
	}
	*out = game.Input{Seq: h.seq, Tick: game.Tick(h.tick), View: game.Tick(h.render), ViewFrac: uint8(h.frac)}
	for i, v := range vals {
		if v < schema[i].Min || v > schema[i].Max {
			return errValueRange
		}
		out.Values[i] = v
	}
	return nil
}

// decodeInputFast decodes the common frame, ClientFrame{input: Input{...}} in canonical layout (one input field
// spanning the frame; seq, ack_tick, render_tick, tick and render_frac at most once each; values at most once,
// packed), without
// allocating. ok is false for anything else, including every malformed frame: the caller then takes the general
// path (DecodeClientFrame), which decides. FuzzInputFastPath checks that whatever this accepts, the general path
// decodes to the same values.
func decodeInputFast(b []byte, in *rawInput) bool {
	*in = rawInput{}
	num, typ, l := protowire.ConsumeTag(b)
	if l < 0 || num != 3 || typ != protowire.BytesType {
		return false
	}
	body, m := protowire.ConsumeBytes(b[l:])
	if m < 0 || l+m != len(b) {
		return false
	}
	var seen [7]bool
	for len(body) > 0 {
		num, typ, l := protowire.ConsumeTag(body)
		if l < 0 || num < 1 || num > 6 || seen[num] {
			return false
		}
		seen[num] = true
		body = body[l:]
		if num == 2 {
			if typ != protowire.BytesType {
				return false
			}
			packed, m := protowire.ConsumeBytes(body)
			if m < 0 {
				return false
			}
			body = body[m:]
			for len(packed) > 0 {
				v, k := protowire.ConsumeVarint(packed)
				if k < 0 || v > 0xffffffff || in.n == len(in.values) {
					return false
				}
				in.values[in.n] = int32(protowire.DecodeZigZag(v))
				in.n++
				packed = packed[k:]
			}
			continue
		}
		if typ != protowire.VarintType {
			return false
		}
		v, k := protowire.ConsumeVarint(body)
		if k < 0 || v > 0xffffffff {
			return false
		}
		body = body[k:]
		switch num {
		case 1:
			in.head.seq = uint32(v)
		case 3:
			in.ack = uint32(v)
		case 4:
			in.head.render = uint32(v)
		case 5:
			in.head.tick = uint32(v)
		case 6:
			in.head.frac = uint32(v)
		}
	}
	return true
}

// rawInput is an Input decoded by decodeInputFast.
type rawInput struct {
	head   inputHead
	ack    uint32
	values [game.MaxInputValues]int32
	n      int
}
