package client

import (
	"encoding/binary"
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// The hot paths of the protocol, hand-coded with protowire so that a client neither allocates per snapshot nor per
// input: decoding ServerFrame{snapshot, last_input_seq, input_lead_us} and encoding ClientFrame{input}. Every other
// frame goes through the generated code.

// Field numbers from proto/tickwire.proto.
const (
	fieldServerSnapshot     = 2
	fieldServerInputLead    = 14
	fieldServerLastInputSeq = 15

	fieldSnapTick     = 1
	fieldSnapBaseline = 2
	fieldSnapEntities = 3
	fieldSnapHash     = 4

	fieldClientInput = 3

	fieldInputSeq        = 1
	fieldInputValues     = 2
	fieldInputAckTick    = 3
	fieldInputRenderTick = 4
	fieldInputTick       = 5
	fieldInputRenderFrac = 6
)

var errWire = errors.New("client: malformed frame")

// snapshotFrame is a decoded ServerFrame that carries a snapshot. Entities aliases the frame's bytes.
type snapshotFrame struct {
	Tick, Baseline uint32
	Entities       []byte
	Hash           uint32
	HasHash        bool
	LastInputSeq   uint32
	// LeadUS is ServerFrame.input_lead_us (the least lead of this player's inputs since the previous report), valid
	// when HasLead.
	LeadUS  int32
	HasLead bool
}

// decodeSnapshotFrame decodes b when it is a ServerFrame whose only top-level fields are snapshot (2),
// input_lead_us (14) and last_input_seq (15), with protobuf's semantics (last scalar wins, repeated message fields merge, fields with an
// unexpected wire type are unknown and skipped). ok is false when b is some other frame: decode it with the generated
// code. err is set only when b is not valid protobuf.
func decodeSnapshotFrame(b []byte, f *snapshotFrame) (ok bool, err error) {
	*f = snapshotFrame{}
	sawSnapshot := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || !num.IsValid() {
			return false, errWire
		}
		b = b[n:]
		switch {
		case num == fieldServerSnapshot && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return false, errWire
			}
			if err := decodeSnapshot(v, f); err != nil {
				return false, err
			}
			sawSnapshot = true
			b = b[n:]
		case num == fieldServerLastInputSeq && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return false, errWire
			}
			f.LastInputSeq = uint32(v)
			b = b[n:]
		case num == fieldServerInputLead && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return false, errWire
			}
			f.LeadUS, f.HasLead = int32(protowire.DecodeZigZag(v&0xffffffff)), true
			b = b[n:]
		default:
			// Another oneof member or an unknown field: leave it to the generated code, which also validates it.
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return false, errWire
			}
			return false, nil
		}
	}
	return sawSnapshot, nil
}

func decodeSnapshot(b []byte, f *snapshotFrame) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || !num.IsValid() { // field numbers above 2^29-1 are invalid, though ConsumeTag accepts them
			return errWire
		}
		b = b[n:]
		switch {
		case num == fieldSnapTick && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return errWire
			}
			f.Tick = uint32(v)
			b = b[n:]
		case num == fieldSnapBaseline && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return errWire
			}
			f.Baseline = uint32(v)
			b = b[n:]
		case num == fieldSnapEntities && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return errWire
			}
			f.Entities = v
			b = b[n:]
		case num == fieldSnapHash && typ == protowire.Fixed32Type:
			v, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				return errWire
			}
			f.Hash, f.HasHash = v, true
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return errWire
			}
			b = b[n:]
		}
	}
	return nil
}

// inputFrame is the content of one ClientFrame{input}.
type inputFrame struct {
	seq, ackTick, renderTick, tick, renderFrac uint32
	values                                     []int32
}

// appendInputFrame appends the encoding of ClientFrame{input: Input{seq, values, ack_tick, render_tick, tick,
// render_frac}}, byte for byte what proto.Marshal produces (fields in number order, zero scalars omitted, values
// packed).
func appendInputFrame(dst []byte, in *inputFrame) []byte {
	packed := 0
	for _, v := range in.values {
		packed += protowire.SizeVarint(protowire.EncodeZigZag(int64(v)))
	}
	scalars := [...]struct {
		num protowire.Number
		v   uint32
	}{{fieldInputAckTick, in.ackTick}, {fieldInputRenderTick, in.renderTick}, {fieldInputTick, in.tick},
		{fieldInputRenderFrac, in.renderFrac}}
	size := 0
	if in.seq != 0 {
		size += 1 + protowire.SizeVarint(uint64(in.seq))
	}
	if len(in.values) > 0 {
		size += 1 + protowire.SizeBytes(packed)
	}
	for _, f := range scalars {
		if f.v != 0 {
			size += 1 + protowire.SizeVarint(uint64(f.v))
		}
	}
	dst = protowire.AppendTag(dst, fieldClientInput, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(size))
	if in.seq != 0 {
		dst = protowire.AppendTag(dst, fieldInputSeq, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(in.seq))
	}
	if len(in.values) > 0 {
		dst = protowire.AppendTag(dst, fieldInputValues, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(packed))
		for _, v := range in.values {
			dst = protowire.AppendVarint(dst, protowire.EncodeZigZag(int64(v)))
		}
	}
	for _, f := range scalars {
		if f.v != 0 {
			dst = protowire.AppendTag(dst, f.num, protowire.VarintType)
			dst = protowire.AppendVarint(dst, uint64(f.v))
		}
	}
	return dst
}

// wsHeaderLen is the size of a WebSocket frame header for a payload of n bytes; masked adds the 4-byte client mask.
func wsHeaderLen(n int, masked bool) int {
	h := 2
	switch {
	case n >= 65536:
		h = 10
	case n >= 126:
		h = 4
	}
	if masked {
		h += 4
	}
	return h
}

// appendClientFrame appends payload as one final binary WebSocket frame from a client: the header (with the mask
// bit), the masking key and the payload masked with it (RFC 6455 section 5.3).
func appendClientFrame(dst, payload []byte, key uint32) []byte {
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, 0x82, 0x80|byte(n))
	case n < 65536:
		dst = append(dst, 0x82, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x82, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], key)
	dst = append(dst, k[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	for i := range payload {
		dst[start+i] ^= k[i&3]
	}
	return dst
}
