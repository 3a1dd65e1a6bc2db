package client

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// The hot paths of the protocol, hand-coded with protowire so that a client neither allocates per snapshot nor per
// input: decoding ServerFrame{snapshot, last_input_seq} and encoding ClientFrame{input}. Every other frame goes
// through the generated code.

// Field numbers from proto/tickwire.proto.
const (
	fieldServerSnapshot     = 2
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
)

var errWire = errors.New("client: malformed frame")

// snapshotFrame is a decoded ServerFrame that carries a snapshot. Entities aliases the frame's bytes.
type snapshotFrame struct {
	Tick, Baseline uint32
	Entities       []byte
	Hash           uint32
	HasHash        bool
	LastInputSeq   uint32
}

// decodeSnapshotFrame decodes b when it is a ServerFrame whose only top-level fields are snapshot (2) and
// last_input_seq (15), with protobuf's semantics (last scalar wins, repeated message fields merge, fields with an
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

// appendInputFrame appends the encoding of ClientFrame{input: Input{seq, values, ack_tick, render_tick}}, byte for
// byte what proto.Marshal produces (fields in number order, zero scalars omitted, values packed).
func appendInputFrame(dst []byte, seq uint32, values []int32, ackTick, renderTick uint32) []byte {
	packed := 0
	for _, v := range values {
		packed += protowire.SizeVarint(protowire.EncodeZigZag(int64(v)))
	}
	size := 0
	if seq != 0 {
		size += 1 + protowire.SizeVarint(uint64(seq))
	}
	if len(values) > 0 {
		size += 1 + protowire.SizeBytes(packed)
	}
	if ackTick != 0 {
		size += 1 + protowire.SizeVarint(uint64(ackTick))
	}
	if renderTick != 0 {
		size += 1 + protowire.SizeVarint(uint64(renderTick))
	}
	dst = protowire.AppendTag(dst, fieldClientInput, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(size))
	if seq != 0 {
		dst = protowire.AppendTag(dst, fieldInputSeq, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(seq))
	}
	if len(values) > 0 {
		dst = protowire.AppendTag(dst, fieldInputValues, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(packed))
		for _, v := range values {
			dst = protowire.AppendVarint(dst, protowire.EncodeZigZag(int64(v)))
		}
	}
	if ackTick != 0 {
		dst = protowire.AppendTag(dst, fieldInputAckTick, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(ackTick))
	}
	if renderTick != 0 {
		dst = protowire.AppendTag(dst, fieldInputRenderTick, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(renderTick))
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
