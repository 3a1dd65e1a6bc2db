package playback

import (
	"google.golang.org/protobuf/encoding/protowire"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server/internal/room"
)

// The frames a viewer gets are those a live room sends its players: snapshots through room.AppendSnapshotFrame,
// events encoded by hand like the room's, into reused buffers, so that a playback tick allocates nothing.

// Field numbers of ServerFrame, Snapshot and Event (proto/tickwire.proto).
const (
	fServerEvent = 3

	fEventTick   = 1
	fEventType   = 2
	fEventPlayer = 3
	fEventArgs   = 4
	fEventText   = 5
	fEventBytes  = 6
)

// HashInterval is how often, in ticks, a playback's snapshots carry the state hash (Welcome.hash_interval).
const HashInterval = 30

// appendEventFrame appends ServerFrame{event: Event{...}}; scratch is a buffer for the event's body.
func appendEventFrame(dst, scratch []byte, tick uint32, ev *RoomEvent) ([]byte, []byte) {
	m := scratch[:0]
	m = protowire.AppendTag(m, fEventTick, protowire.VarintType)
	m = protowire.AppendVarint(m, uint64(tick))
	if ev.Type != "" {
		m = protowire.AppendTag(m, fEventType, protowire.BytesType)
		m = protowire.AppendString(m, ev.Type)
	}
	if ev.Player != 0 {
		m = protowire.AppendTag(m, fEventPlayer, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(ev.Player))
	}
	if len(ev.Args) > 0 {
		sz := 0
		for _, a := range ev.Args {
			sz += protowire.SizeVarint(protowire.EncodeZigZag(int64(a)))
		}
		m = protowire.AppendTag(m, fEventArgs, protowire.BytesType)
		m = protowire.AppendVarint(m, uint64(sz))
		for _, a := range ev.Args {
			m = protowire.AppendVarint(m, protowire.EncodeZigZag(int64(a)))
		}
	}
	if ev.Text != "" {
		m = protowire.AppendTag(m, fEventText, protowire.BytesType)
		m = protowire.AppendString(m, ev.Text)
	}
	if ev.Payload != "" {
		m = protowire.AppendTag(m, fEventBytes, protowire.BytesType)
		m = protowire.AppendString(m, ev.Payload)
	}
	dst = protowire.AppendTag(dst, fServerEvent, protowire.BytesType)
	dst = protowire.AppendBytes(dst, m)
	return dst, m
}

// welcomeFrame is the Welcome of a playback: the recorded room's identity and the game's schema; player id 0 (a
// spectator), one snapshot per tick.
func welcomeFrame(p *Player, tick game.Tick) []byte {
	h := p.Header()
	kinds, input, params := snapcodec.SchemaToWelcome(p.Sim().Schema())
	w := &proto.Welcome{
		ProtocolVersion: proto.ProtocolVersion_PROTOCOL_VERSION_2,
		RoomId:          h.Room,
		RoomEpoch:       h.Epoch,
		TickRate:        uint32(h.Game.TickRate),
		SnapshotRate:    uint32(h.Game.TickRate),
		Tick:            uint32(tick),
		Mode:            h.Mode,
		Kinds:           kinds,
		Input:           input,
		Params:          params,
		HashInterval:    HashInterval,
		InputFill:       snapcodec.InputFillToWelcome(p.Sim().Schema()),
	}
	return marshal(&proto.ServerFrame{Msg: &proto.ServerFrame_Welcome{Welcome: w}})
}

// matchResultFrame is the MatchResult of a recorded match.
func matchResultFrame(p *Player, r *game.Result) []byte {
	mr := &proto.MatchResult{Reason: r.Reason, Tick: uint32(p.Tick())}
	for _, pr := range r.Players {
		mr.Players = append(mr.Players, &proto.PlayerResult{PlayerId: uint32(pr.Player), Name: p.Name(pr.Player),
			Score: pr.Score, Rank: uint32(max(pr.Rank, 0))})
	}
	return marshal(&proto.ServerFrame{Msg: &proto.ServerFrame_MatchResult{MatchResult: mr}})
}

func marshal(m gproto.Message) []byte {
	b, err := gproto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		// Only invalid UTF-8 in a string fails; recorded names and modes were valid when the room accepted them.
		return nil
	}
	return b
}

// encoder turns a Player's worlds into snapshot frames: a full one after every (re)start, then deltas against the
// previous tick sent. It reuses its buffers.
type encoder struct {
	codec     *snapcodec.Codec
	base, cur snapcodec.World
	body      []byte
	frame     []byte
	scratch   []byte
	// resultSent is the match result already sent (a seek makes a new one).
	resultSent *game.Result
}

func newEncoder(s *game.Schema) (*encoder, error) {
	c, err := snapcodec.New(s)
	if err != nil {
		return nil, err
	}
	return &encoder{codec: c}, nil
}

// restart makes the next snapshot a full one.
func (e *encoder) restart() { e.base.Reset() }

// snapshot encodes the world of tick t as a delta against the previous snapshot (full after restart).
func (e *encoder) snapshot(t game.Tick, world []game.Entity) []byte {
	e.cur.Tick = uint32(t)
	e.cur.Entities = append(e.cur.Entities[:0], world...)
	e.body = e.codec.AppendDelta(e.body[:0], &e.base, &e.cur)
	hasHash := uint32(t)%HashInterval == 0
	var h uint32
	if hasHash {
		h = e.codec.Hash(&e.cur)
	}
	e.frame = room.AppendSnapshotFrame(e.frame[:0], e.cur.Tick, e.base.Tick, e.body, h, hasHash)
	e.base, e.cur = e.cur, e.base
	return e.frame
}

// event encodes a room event of tick t.
func (e *encoder) event(t game.Tick, ev *RoomEvent) []byte {
	e.frame, e.scratch = appendEventFrame(e.frame[:0], e.scratch, uint32(t), ev)
	return e.frame
}
