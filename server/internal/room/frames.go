package room

import (
	"google.golang.org/protobuf/encoding/protowire"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/proto"
)

// Field numbers of the ServerFrame messages the room encodes by hand (see proto/tickwire.proto).
const (
	fServerSnapshot = 2
	fServerEvent    = 3

	fSnapTick     = 1
	fSnapBaseline = 2
	fSnapEntities = 3
	fSnapHash     = 4

	fEventTick   = 1
	fEventType   = 2
	fEventPlayer = 3
	fEventArgs   = 4
	fEventText   = 5
	fEventBytes  = 6
	fEventTarget = 7
)

// AppendSnapshotFrame appends ServerFrame{snapshot: Snapshot{tick, baseline_tick, entities, state_hash}}, encoded as
// protobuf (proto3: zero baseline omitted): the frame a room hands its players, and a recording's viewers get.
func AppendSnapshotFrame(dst []byte, tick, baseline uint32, entities []byte, hash uint32, hasHash bool) []byte {
	n := protowire.SizeTag(fSnapTick) + protowire.SizeVarint(uint64(tick)) +
		protowire.SizeTag(fSnapEntities) + protowire.SizeBytes(len(entities))
	if baseline != 0 {
		n += protowire.SizeTag(fSnapBaseline) + protowire.SizeVarint(uint64(baseline))
	}
	if hasHash {
		n += protowire.SizeTag(fSnapHash) + protowire.SizeFixed32()
	}
	dst = protowire.AppendTag(dst, fServerSnapshot, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(n))
	dst = protowire.AppendTag(dst, fSnapTick, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(tick))
	if baseline != 0 {
		dst = protowire.AppendTag(dst, fSnapBaseline, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(baseline))
	}
	dst = protowire.AppendTag(dst, fSnapEntities, protowire.BytesType)
	dst = protowire.AppendBytes(dst, entities)
	if hasHash {
		dst = protowire.AppendTag(dst, fSnapHash, protowire.Fixed32Type)
		dst = protowire.AppendFixed32(dst, hash)
	}
	return dst
}

// eventFrame encodes ServerFrame{event} into the reliable slab and returns it. The bytes are shared by every player
// and never modified: when the slab is full a new one is started and the old one lives as long as a queue holds it.
// targeted marks an event sent to one player or a set (Event.targeted).
func (r *Room) eventFrame(tick uint32, typ string, player uint32, args []int32, text string, payload string,
	targeted bool) []byte {
	m := r.scratch[:0]
	m = protowire.AppendTag(m, fEventTick, protowire.VarintType)
	m = protowire.AppendVarint(m, uint64(tick))
	if typ != "" {
		m = protowire.AppendTag(m, fEventType, protowire.BytesType)
		m = protowire.AppendString(m, typ)
	}
	if player != 0 {
		m = protowire.AppendTag(m, fEventPlayer, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(player))
	}
	if len(args) > 0 {
		sz := 0
		for _, a := range args {
			sz += protowire.SizeVarint(protowire.EncodeZigZag(int64(a)))
		}
		m = protowire.AppendTag(m, fEventArgs, protowire.BytesType)
		m = protowire.AppendVarint(m, uint64(sz))
		for _, a := range args {
			m = protowire.AppendVarint(m, protowire.EncodeZigZag(int64(a)))
		}
	}
	if text != "" {
		m = protowire.AppendTag(m, fEventText, protowire.BytesType)
		m = protowire.AppendString(m, text)
	}
	if len(payload) > 0 {
		m = protowire.AppendTag(m, fEventBytes, protowire.BytesType)
		m = protowire.AppendString(m, payload)
	}
	if targeted {
		m = protowire.AppendTag(m, fEventTarget, protowire.VarintType)
		m = protowire.AppendVarint(m, 1)
	}
	r.scratch = m
	need := protowire.SizeTag(fServerEvent) + protowire.SizeBytes(len(m))
	if cap(r.slab)-len(r.slab) < need {
		r.slab = make([]byte, 0, max(r.cfg.EventBufferSize, need))
	}
	start := len(r.slab)
	r.slab = protowire.AppendTag(r.slab, fServerEvent, protowire.BytesType)
	r.slab = protowire.AppendBytes(r.slab, m)
	return r.slab[start:len(r.slab):len(r.slab)]
}

// welcomeFrame encodes the Welcome for p.
func (r *Room) welcomeFrame(p *player, token []byte, resumed bool) []byte {
	w := &proto.Welcome{
		ProtocolVersion: proto.ProtocolVersion_PROTOCOL_VERSION_2,
		PlayerId:        uint32(p.id),
		RoomId:          r.cfg.ID,
		RoomEpoch:       r.cfg.Epoch,
		TickRate:        uint32(r.cfg.TickRate),
		SnapshotRate:    uint32(r.cfg.TickRate / r.cfg.SnapshotEvery),
		ResumeToken:     token,
		GraceMs:         uint32(r.cfg.Grace.Milliseconds()),
		Tick:            r.tick,
		Resumed:         resumed,
		LastInputSeq:    p.lastSeq,
		Mode:            r.cfg.Mode,
		Kinds:           r.welcomeKinds,
		Input:           r.welcomeInput,
		Params:          r.welcomeParams,
		HeartbeatMs:     uint32(r.cfg.Heartbeat.Milliseconds()),
		HashInterval:    uint32(r.cfg.HashInterval),
		InputFill:       r.welcomeFill,
		InputWindow:     uint32(r.cfg.InputWindow),
		MaxMessageBytes: uint32(r.cfg.MaxMessageBytes),
		MessageRate:     uint32(r.cfg.MessageRate),
		MessageBurst:    uint32(r.cfg.MessageBurst),
		MaxRewindMs:     r.maxRewindMS,
		UserId:          p.userID,
		Verified:        p.verified,
	}
	if r.cfg.Peers != nil {
		w.Nodes = r.cfg.Peers()
	}
	return marshal(&proto.ServerFrame{Msg: &proto.ServerFrame_Welcome{Welcome: w}})
}

func (r *Room) matchResultFrame(reason string, results []PlayerResult) []byte {
	mr := &proto.MatchResult{Reason: reason, Tick: r.tick}
	for _, pr := range results {
		mr.Players = append(mr.Players, &proto.PlayerResult{
			PlayerId: uint32(pr.Player), Name: pr.Name, Score: pr.Score, Rank: uint32(max(pr.Rank, 0)),
			UserId: pr.UserID, Verified: pr.Verified,
		})
	}
	return marshal(&proto.ServerFrame{Msg: &proto.ServerFrame_MatchResult{MatchResult: mr}})
}

func marshal(m gproto.Message) []byte {
	b, err := gproto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic("room: encoding a ServerFrame: " + err.Error()) // only invalid UTF-8 in a string can fail
	}
	return b
}
