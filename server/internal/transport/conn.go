package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/lxzan/gws"
	"golang.org/x/time/rate"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tickwire/tickwire/game"
	pb "github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/server/internal/auth"
	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/limits"
	"github.com/tickwire/tickwire/server/internal/metrics"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/session"
)

// Connection states.
const (
	stateHello   int32 = iota // waiting for Hello
	stateJoin                 // waiting for Join
	statePlaying              // in a room
	stateDone                 // left, refused or closed
)

// ackEvery is the least time between two acks forwarded to the room (they only measure latency).
const ackEvery = 250 * time.Millisecond

// conn is one WebSocket connection. It implements session.Conn for its session's writer.
type conn struct {
	// Static after construction.
	h           *Handler
	ws          *gws.Conn
	sc          *sealConn // under ws
	sess        *session.Session
	hbInterval  int64  // heartbeat timeout in ns
	handshakeTO int64  // handshake timeout in ns
	arrival     uint64 // the order the connection was accepted in (Tokens.Arrival): resume attempts go by it

	// Atomics, shared by the read loop, the sweeper, the session's writer and Shutdown.
	state     atomic.Int32
	closing   atomic.Bool   // our close is under way: ignore further frames
	closeCode atomic.Uint32 // the code we closed with (0: none)
	deadline  atomic.Int64  // unix ns: handshake deadline, then the last frame's time + heartbeat timeout
	isAborted atomic.Bool
	joining   atomic.Bool // the Join arrived and is being handled: the handshake deadline no longer applies
	wasLeft   atomic.Bool
	counted   atomic.Bool // counted in the sessions gauge
	// handshaking: the connection holds a place under the handshake cap until it joins or closes.
	handshaking atomic.Bool
	ended       atomic.Bool // closed has run

	// Set before the read loop starts.
	hold *limits.Hold // the source's place for this connection, released when it closes

	// Owned by the read loop (set once while joining, read after).
	limiter   rate.Limiter
	msgLimit  rate.Limiter // Messages only (game messages outside the input stream)
	room      *directory.Room
	player    game.PlayerID
	resumeTok []byte
	confirmed bool // the client proved it holds resumeTok (or there is nothing to prove)
	lastAck   uint32
	lastAckAt int64
	frame     pb.ClientFrame
	raw       rawInput
	input     game.Input
}

func newConn(h *Handler, ws *gws.Conn, sc *sealConn, arrival uint64) *conn {
	c := &conn{
		h:           h,
		ws:          ws,
		sc:          sc,
		hbInterval:  int64(h.cfg.HeartbeatTimeout),
		handshakeTO: int64(h.cfg.HandshakeTimeout),
		arrival:     arrival,
	}
	c.limiter = *rate.NewLimiter(rate.Limit(h.cfg.InputRate), h.cfg.InputBurst)
	c.msgLimit = *rate.NewLimiter(rate.Limit(h.cfg.MessageRate), h.cfg.MessageBurst)
	c.deadline.Store(time.Now().UnixNano() + c.handshakeTO)
	c.sess = session.New(h.cfg.Session, c)
	return c
}

// refuse closes the connection with a Disconnect frame and code (through the session's writer, after anything it
// has queued). The first refusal wins.
func (c *conn) refuse(code uint16, reason string) {
	if c.closing.Swap(true) {
		return
	}
	c.state.Store(stateDone)
	c.closeCode.CompareAndSwap(0, uint32(code))
	c.sess.Close(code, reason)
}

// checkDeadline is called by the sweeper.
func (c *conn) checkDeadline(now int64) {
	if c.closing.Load() || now < c.deadline.Load() {
		return
	}
	switch c.state.Load() {
	case stateHello, stateJoin:
		if c.joining.Load() {
			return // the client sent its Join in time; JoinTimeout bounds the server's handling of it
		}
		c.refuse(CodeHandshakeTimeout, "hello and join did not arrive in time")
	case statePlaying:
		c.refuse(CodeHeartbeatTimeout, "no frame within the heartbeat timeout")
	}
}

// message handles one client frame on the read loop.
func (c *conn) message(op gws.Opcode, data []byte) {
	if c.closing.Load() {
		return // our close frame is out: drain until the peer answers
	}
	c.h.m.Read(len(data))
	if op != gws.OpcodeBinary {
		c.refuse(CodeUnsupportedData, "only binary frames are accepted")
		return
	}
	if !c.limiter.Allow() {
		c.refuse(CodeRateLimited, "frames arrive faster than the rate limit")
		return
	}
	if c.state.Load() == statePlaying && decodeInputFast(data, &c.raw) {
		c.deadline.Store(c.h.now.Load() + c.hbInterval)
		c.confirm()
		c.applyInput(c.raw.head, c.raw.values[:c.raw.n], c.raw.ack)
		return
	}
	f := &c.frame
	if err := DecodeClientFrame(data, f); err != nil {
		c.refuse(CodeBadFrame, err.Error())
		return
	}
	switch c.state.Load() {
	case stateHello:
		h, ok := f.Msg.(*pb.ClientFrame_Hello)
		if !ok {
			c.refuse(CodeBadFrame, "expected hello")
			return
		}
		if _, err := checkHello(h.Hello); err != nil {
			if errors.Is(err, errVersion) {
				c.refuse(CodeUnsupportedVer, err.Error())
			} else {
				c.refuse(CodeBadFrame, err.Error())
			}
			return
		}
		c.state.CompareAndSwap(stateHello, stateJoin) // unless refused meanwhile
	case stateJoin:
		j, ok := f.Msg.(*pb.ClientFrame_Join)
		if !ok {
			c.refuse(CodeBadFrame, "expected join")
			return
		}
		if err := checkJoin(j.Join); err != nil {
			c.refuse(CodeBadFrame, err.Error())
			return
		}
		c.joining.Store(true)
		c.join(j.Join)
	case statePlaying:
		c.play(f)
	}
}

// join attaches the connection to a room, or refuses it with the code that says why.
func (c *conn) join(j *pb.Join) {
	ctx, cancel := context.WithTimeout(context.Background(), c.h.cfg.JoinTimeout)
	defer cancel()
	h := c.h
	var (
		r   *directory.Room
		res room.JoinResult
		err error
	)
	tok := session.NewResumeToken()
	var resv *session.ResumeReservation
	if _, resume := j.Target.(*pb.Join_ResumeToken); !resume {
		// Stored before the room can send the Welcome that carries it: a resume racing this join waits for its end.
		resv = h.cfg.Tokens.ReserveResume(tok)
		defer resv.Cancel() // nothing once bound
	}
	switch t := j.Target.(type) {
	case *pb.Join_JoinToken:
		g, ok := h.cfg.Tokens.TakeJoin(t.JoinToken)
		if !ok && c.moved(ctx, t.JoinToken, nil) {
			return
		}
		if !ok {
			c.refuse(CodeInvalidToken, "join token unknown, used or expired")
			return
		}
		if r, ok = h.cfg.Directory.Get(g.RoomID); !ok {
			c.refuse(CodeRoomNotFound, "the room of this join token is gone")
			return
		}
		id := auth.Identity{Name: g.Name, UserID: g.UserID, Claims: g.Claims, Verified: g.Verified}
		if j.GetPlayerToken() != "" { // the seat's identity, proven again or (for a seat issued by name) established
			pt, aerr := h.cfg.Auth.Authenticate(ctx, auth.AtJoin, j.GetPlayerToken(), g.Name, false)
			switch {
			case aerr != nil:
				c.refuseAuth(aerr)
				return
			case g.Verified && pt.UserID != g.UserID:
				c.refuseAuth(auth.Refuse(auth.ReasonRefused, errors.New("the player token is for another user than the seat")))
				return
			case !g.Verified:
				id = pt
			}
		}
		res, err = r.Join(ctx, room.JoinRequest{Sink: c.sess, Name: id.Name, UserID: id.UserID, Claims: id.Claims,
			Verified: id.Verified, ResumeToken: tok, Reservation: t.JoinToken})
		if code, _ := joinErrorCode(err); err != nil && code == CodeServerBusy {
			// The room did not take the join in time, and never will (room.Join): the token stays good for the
			// retry that 4002 asks for. Given back before the refusal is sent, so the retry cannot arrive first.
			h.cfg.Tokens.ReturnJoin(t.JoinToken, g)
		}
	case *pb.Join_ResumeToken:
		claim, cerr := h.cfg.Tokens.TakeResume(ctx, t.ResumeToken, tok, c.arrival)
		switch {
		case errors.Is(cerr, session.ErrUnknownToken) && c.moved(ctx, "", t.ResumeToken):
			h.m.Resume("moved")
			return
		case errors.Is(cerr, session.ErrUnknownToken) && h.cfg.Recovering != nil && h.cfg.Recovering():
			h.m.Resume("recovering")
			c.refuse(CodeRecovering, "the room is being recovered: resume again shortly")
			return
		case errors.Is(cerr, session.ErrUnknownToken):
			h.m.Resume("invalid_token")
			c.refuse(CodeInvalidToken, "resume token unknown or already used")
			return
		case errors.Is(cerr, session.ErrSupersededAttempt):
			// A connection opened after this one resumed already: the client moved on from this one.
			h.m.Resume("superseded")
			c.refuse(CodeSuperseded, "a newer connection resumed this player")
			return
		case cerr != nil:
			h.m.Resume("failed")
			c.refuse(CodeServerBusy, "another resume with this token is under way")
			return
		}
		resumed := false
		defer func() { claim.Done(resumed) }() // also on a panic: the token must not stay held
		g := claim.Grant
		var ok bool
		r, ok = h.cfg.Directory.Get(g.RoomID)
		// A room that ended here may have moved (it is exported, then forgotten once its loop returns).
		if (!ok || r.Info().State == room.StateEnded) && h.cfg.MovedTo != nil {
			if addr := h.cfg.MovedTo(g.RoomID); addr != "" && len(addr) <= maxCloseReason {
				h.m.Resume("moved")
				c.refuse(CodeMoved, addr)
				return
			}
		}
		if !ok {
			h.m.Resume("expired")
			c.refuse(CodeResumeExpired, "the room is gone")
			return
		}
		res, err = r.Resume(ctx, g.Player, c.sess, tok)
		resumed = err == nil
		switch {
		case err == nil:
			h.m.Resume("ok")
		case errors.Is(err, room.ErrResumeExpired):
			h.m.Resume("expired")
		default:
			h.m.Resume("failed")
		}
	case *pb.Join_Mode:
		if !h.cfg.OpenJoin {
			c.refuse(CodeRoomNotFound, "open join is disabled: use matchmaking")
			return
		}
		id, aerr := h.cfg.Auth.Authenticate(ctx, auth.AtJoin, j.GetPlayerToken(), j.GetName(), h.cfg.Auth.Require)
		if aerr != nil {
			c.refuseAuth(aerr)
			return
		}
		r, res, err = h.cfg.Directory.QuickJoin(ctx, t.Mode, room.JoinRequest{Sink: c.sess, Name: id.Name,
			UserID: id.UserID, Claims: id.Claims, Verified: id.Verified, ResumeToken: tok})
	}
	if err != nil {
		code, reason := joinErrorCode(err)
		c.refuse(code, reason)
		return
	}
	if resv != nil {
		resv.Bind(r.ID(), res.Player) // a resume's token was reserved by TakeResume
		c.confirmed = true            // nothing to confirm: the token has no predecessor
	}
	c.room, c.player, c.resumeTok = r, res.Player, tok
	c.deadline.Store(h.now.Load() + c.hbInterval)
	if !c.state.CompareAndSwap(stateJoin, statePlaying) {
		return // refused while joining (shutdown, sweeper): closed tells the room when the socket is gone
	}
	c.counted.Store(true)
	h.m.Sessions.Inc()
	c.handshakeDone()
}

// moved asks the cluster (Config.Locate) where a token this server does not know was issued, and when another node
// claims it, refuses the join with 4003 and that node's address (the client reconnects there with the same token).
func (c *conn) moved(ctx context.Context, joinToken string, resumeToken []byte) bool {
	if c.h.cfg.Locate == nil {
		return false
	}
	addr := c.h.cfg.Locate(ctx, joinToken, resumeToken)
	if addr == "" || len(addr) > maxCloseReason {
		return false
	}
	c.refuse(CodeMoved, addr)
	return true
}

// maxCloseReason is the longest close reason a close frame carries (125 bytes of payload, 2 of them the code).
const maxCloseReason = 123

// handshakeDone gives back the connection's place under the handshake cap (once).
func (c *conn) handshakeDone() {
	if c.handshaking.Swap(false) {
		c.h.cfg.Limits.HandshakeDone()
	}
}

// refuseAuth refuses a join whose identity check failed: 4513 for an expired player token (fetch a new one), else
// 4512. The reason names the refusal's Reason.
func (c *conn) refuseAuth(err error) {
	code := CodeUnauthenticated
	if auth.Expired(err) {
		code = CodeTokenExpired
	}
	c.refuse(code, "player token refused: "+string(auth.ReasonOf(err)))
}

// joinErrorCode maps a room or directory error to a close code.
func joinErrorCode(err error) (uint16, string) {
	switch {
	case errors.Is(err, room.ErrFull):
		return CodeRoomFull, "the room is full"
	case errors.Is(err, room.ErrEnded):
		return CodeRoomEnded, "the room has ended"
	case errors.Is(err, room.ErrResumeExpired):
		return CodeResumeExpired, "the grace period is over"
	case errors.Is(err, room.ErrUnknownPlayer):
		return CodeInvalidToken, "no such player in the room"
	case errors.Is(err, room.ErrRejected):
		return CodeRoomFull, "the game refused the player"
	case errors.Is(err, room.ErrBusy), errors.Is(err, context.DeadlineExceeded):
		return CodeServerBusy, "the room is busy"
	case errors.Is(err, directory.ErrLimited):
		return CodeServerBusy, "no room can be opened now"
	case errors.Is(err, directory.ErrUnknownMode):
		return CodeRoomNotFound, "no such mode"
	case errors.Is(err, directory.ErrClosed):
		return CodeGoingAway, "server is shutting down"
	case errors.Is(err, directory.ErrFactoryPanic):
		return CodeRoomFailed, "the game failed to create a room"
	}
	return CodeInternalError, "join failed"
}

// play handles a frame of a joined player.
func (c *conn) play(f *pb.ClientFrame) {
	now := c.h.now.Load()
	c.deadline.Store(now + c.hbInterval)
	r := c.room
	switch f.Msg.(type) {
	case *pb.ClientFrame_Input, *pb.ClientFrame_Ack, *pb.ClientFrame_Ping, *pb.ClientFrame_Leave, *pb.ClientFrame_Message:
		c.confirm()
	}
	switch m := f.Msg.(type) {
	case *pb.ClientFrame_Input:
		in := m.Input
		c.applyInput(inputHead{in.GetSeq(), in.GetTick(), in.GetRenderTick(), in.GetRenderFrac()}, in.GetValues(),
			in.GetAckTick())
	case *pb.ClientFrame_Ack:
		c.ack(m.Ack.GetTick(), now)
	case *pb.ClientFrame_Ping:
		if !c.sess.SendReliable(pongFrame(m.Ping.GetClientTimeUs(), r.Info().Tick)) {
			c.refuse(session.CodeSlowConsumer, "outbound queue full")
		}
	case *pb.ClientFrame_Leave:
		c.wasLeft.Store(true)
		c.h.cfg.Tokens.DropResume(c.resumeTok)
		r.Leave(c.player, c.sess)
		c.refuse(CodeLeft, "left")
	case *pb.ClientFrame_Message:
		c.gameMessage(m.Message)
	default:
		c.refuse(CodeBadFrame, "hello or join after the handshake")
	}
}

// confirm runs on a joined connection's first valid frame: the client has the Welcome, so after a resume the token
// it redeemed is dead from now on (until then it stays redeemable, in case this connection dies before the client
// reads the Welcome).
func (c *conn) confirm() {
	if !c.confirmed {
		c.confirmed = true
		c.h.cfg.Tokens.ConfirmResume(c.resumeTok)
	}
}

// gameMessage checks a Message against the limits and the connection's message rate, and queues it in the room.
func (c *conn) gameMessage(m *pb.Message) {
	code, reason := checkMessage(m)
	result := metrics.MessageBadType
	if code == CodeMessageTooBig {
		result = metrics.MessageTooBig
	}
	if code == 0 && len(m.GetPayload()) > c.h.cfg.MaxMessageBytes {
		code, reason, result = CodeMessageTooBig, c.h.msgTooBig, metrics.MessageTooBig
	}
	if code == 0 && !c.msgLimit.Allow() {
		code, reason, result = CodeRateLimited, "messages arrive faster than the message rate limit", metrics.MessageRateLimited
	}
	if code != 0 {
		c.h.m.Message(result)
		c.refuse(code, reason)
		return
	}
	err := c.room.Message(c.player, c.sess, m.GetType(), m.GetPayload(), m.GetSeq())
	switch {
	case err == nil:
		c.h.m.Message(metrics.MessageQueued)
	case errors.Is(err, room.ErrEnded): // an ended room closes the connection itself
		c.h.m.Message(metrics.MessageRoomEnded)
	case errors.Is(err, room.ErrMessageQueueFull):
		c.h.m.Message(metrics.MessageQueueFull)
		c.refuse(CodeServerBusy, "the room's message queue is full")
	default:
		c.h.m.Message(metrics.MessageBadType)
		c.refuse(CodeBadFrame, err.Error())
	}
}

// applyInput validates an input and hands it to the room with the snapshot tick it acknowledges (every input's, so
// that the room bounds its View by what the client really held; Ack frames are forwarded less often, see ack).
func (c *conn) applyInput(h inputHead, vals []int32, ack uint32) {
	if err := checkInputValues(h, vals, c.room.InputSchema, &c.input); err != nil {
		c.refuse(CodeBadFrame, err.Error())
		return
	}
	c.room.Input(c.player, c.sess, c.input, ack)
	if ack > c.lastAck {
		c.lastAck = ack
	}
}

// ack forwards the client's latest snapshot tick, at most every ackEvery (acks only measure latency: baselines
// follow what the writer wrote).
func (c *conn) ack(tick uint32, now int64) {
	if tick == 0 || tick <= c.lastAck || now-c.lastAckAt < int64(ackEvery) {
		return
	}
	c.lastAck, c.lastAckAt = tick, now
	c.room.Ack(c.player, c.sess, tick)
}

// pongFrame encodes ServerFrame{pong{client_time_us, server_time_us, server_tick}}.
func pongFrame(clientUS uint64, tick uint32) []byte {
	var inner [32]byte
	p := protowire.AppendTag(inner[:0], 1, protowire.VarintType)
	p = protowire.AppendVarint(p, clientUS)
	p = protowire.AppendTag(p, 2, protowire.VarintType)
	p = protowire.AppendVarint(p, uint64(time.Now().UnixMicro()))
	if tick != 0 {
		p = protowire.AppendTag(p, 3, protowire.VarintType)
		p = protowire.AppendVarint(p, uint64(tick))
	}
	b := make([]byte, 0, len(p)+2)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	return protowire.AppendBytes(b, p)
}

// closed runs when the read loop has ended, whatever the reason.
func (c *conn) closed(err error) {
	if c.ended.Swap(true) {
		return
	}
	c.state.Store(stateDone)
	code := uint16(c.closeCode.Load())
	if code == 0 {
		code = c.sess.CloseCode() // decided, but the socket failed before the close frame (slow consumer)
	}
	if code == 0 {
		code = closeCodeOf(err)
	}
	c.closing.Store(true)
	c.sess.Abort()
	c.handshakeDone()
	c.hold.Release()
	c.h.m.Disconnect(code)
	if c.room != nil {
		if c.counted.Load() {
			c.h.m.Sessions.Dec()
		}
		if !c.wasLeft.Load() {
			c.room.Disconnected(c.player, c.sess)
			c.h.cfg.Tokens.Disconnected(c.resumeTok) // the token's lifetime starts now
		}
	}
	c.h.forget(c)
}

// session.Conn, called by the session's writer goroutine.

// AppendHeader appends the header of an unmasked, final, binary frame of n bytes. Without compression the session
// frames its messages itself and writes a whole batch (reliable frames and the snapshot) with one Write: one system
// call, no copy by gws and no allocation. That is safe next to gws's own writes (pongs, close frames) because a
// net.Conn writes each Write call's bytes whole, under its write lock, and an uncompressed server frame needs
// nothing from gws's per-connection state.
func (c *conn) AppendHeader(dst []byte, n int) ([]byte, bool) {
	if c.h.cfg.Compression {
		return dst, false
	}
	const b0 = 0x80 | byte(gws.OpcodeBinary) // FIN, binary
	switch {
	case n <= 125:
		return append(dst, b0, byte(n)), true
	case n <= 65535:
		return binary.BigEndian.AppendUint16(append(dst, b0, 126), uint16(n)), true
	default:
		return binary.BigEndian.AppendUint64(append(dst, b0, 127), uint64(n)), true
	}
}

// Write writes frames made with AppendHeader.
func (c *conn) Write(b []byte) error {
	_, err := c.sc.writeFrames(b)
	return err
}

// WriteMessage frames (and, when negotiated, compresses) one binary message through gws.
func (c *conn) WriteMessage(p []byte) error { return c.ws.WriteMessage(gws.OpcodeBinary, p) }

// SetWriteDeadline bounds the following writes.
func (c *conn) SetWriteDeadline(t time.Time) error { return c.ws.NetConn().SetWriteDeadline(t) }

// CloseWith sends the close frame and gives the peer CloseTimeout to answer with its own before the read loop gives
// up. Reading on (instead of closing the socket at once) lets the peer's unread frames drain, so it receives our
// Disconnect and close frame instead of a TCP reset.
func (c *conn) CloseWith(code uint16, reason string) {
	c.closing.Store(true)
	c.closeCode.CompareAndSwap(0, uint32(code))
	for len(reason) > 120 || !utf8.ValidString(reason) {
		reason = reason[:min(len(reason), 120)-1]
	}
	frame := make([]byte, 0, 4+len(reason))
	frame = append(frame, 0x80|byte(gws.OpcodeCloseConnection), byte(2+len(reason)), byte(code>>8), byte(code))
	frame = append(frame, reason...)
	_ = c.sc.writeFinal(frame)
	_ = c.sc.SetReadDeadline(time.Now().Add(c.h.cfg.CloseTimeout))
}

// Abort drops the connection without a close frame. When a write found that the peer reset the connection, the
// socket is not closed here: what the peer sent before its reset (typically a Leave, then its close) is still in the
// kernel's receive buffer, and closing would lose it (the player would wait out its grace period instead of
// leaving). The read loop takes those frames and ends at the reset; CloseTimeout bounds it in any case.
func (c *conn) Abort() {
	if c.isAborted.Swap(true) {
		return
	}
	if c.sc.reset.Load() {
		_ = c.sc.SetReadDeadline(time.Now().Add(c.h.cfg.CloseTimeout))
		return
	}
	_ = c.ws.NetConn().Close()
}
