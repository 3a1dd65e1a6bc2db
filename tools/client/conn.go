package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/lxzan/gws"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// maxRedirects bounds the 4003 (CLOSE_MOVED) answers one connect follows.
const maxRedirects = 3

// connect opens one connection, sends Hello and Join and waits for the Welcome (or the refusal). A refusal with
// 4003 (the room lives on another node of a cluster) moves the client to the address in its reason, where the same
// Join is sent again (at most maxRedirects times).
func (c *Client) connect(ctx context.Context, join *proto.Join) error {
	for i := 0; ; i++ {
		err := c.connectOnce(ctx, join)
		var de *DisconnectError
		if i >= maxRedirects || !errors.As(err, &de) || de.Code != CodeMoved || !c.moveTo(de.Reason) {
			return err
		}
	}
}

// moveTo points the client at the WebSocket address a 4003 named; false when it is not a ws(s) URL.
func (c *Client) moveTo(addr string) bool {
	u, a, err := parseURL(addr)
	if err != nil {
		c.log.Debug("moved to an unusable address", "address", addr, "error", err)
		return false
	}
	c.mu.Lock()
	c.url, c.address = u, a
	c.mu.Unlock()
	c.log.Debug("the room lives on another server; following it", "address", u)
	return true
}

// nextNode points the client at the next of the cluster's other nodes (the last Welcome's nodes) after the node it
// resumed at could not be reached at all (it died, or never answered): that node answers 4003 with the room's new
// address, or 4004 while the room is being rebuilt there or elsewhere. tried counts the nodes tried so far.
func (c *Client) nextNode(tried *int) {
	c.mu.Lock()
	nodes := c.welcome.GetNodes()
	c.mu.Unlock()
	if len(nodes) == 0 {
		return
	}
	addr := nodes[*tried%len(nodes)]
	*tried++
	c.moveTo(addr)
}

// connectOnce is one connection attempt of connect.
func (c *Client) connectOnce(ctx context.Context, join *proto.Join) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	dial := c.cfg.NetDial
	if dial == nil {
		dial = DialerFrom(c.cfg.LocalAddr).DialContext
	}
	c.mu.Lock()
	wsURL, address := c.url, c.address
	c.mu.Unlock()
	nc, err := dial(ctx, "tcp", address)
	if err != nil {
		return fmt.Errorf("client: dial: %w", err)
	}
	if tc, ok := nc.(*net.TCPConn); ok && c.cfg.SocketReadBuffer > 0 {
		_ = tc.SetReadBuffer(c.cfg.SocketReadBuffer)
	}
	if strings.HasPrefix(wsURL, "wss:") {
		tcfg := &tls.Config{}
		if c.cfg.TLS != nil {
			tcfg = c.cfg.TLS.Clone()
		}
		if tcfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(address)
			tcfg.ServerName = host
		}
		tc := tls.Client(nc, tcfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return fmt.Errorf("client: tls: %w", err)
		}
		nc = tc
	}
	gc := newGateConn(nc)
	timeout := c.cfg.DialTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	conn, _, err := gws.NewClientFromConn(&connHandler{c: c}, &gws.ClientOption{
		Addr:             wsURL,
		HandshakeTimeout: timeout,
		ReadBufferSize:   4096,
	}, gc)
	if err != nil {
		return fmt.Errorf("client: websocket handshake: %w", err)
	}
	ch := make(chan error, 1)
	c.mu.Lock()
	if c.state == stateClosing || c.state == stateClosed {
		c.mu.Unlock()
		_ = gc.closeNow()
		return ErrClosed
	}
	c.conn, c.gate, c.handshake = conn, gc, ch
	c.pendingClose, c.killed, c.stalled = nil, false, false
	c.lastRecv.Store(time.Now().UnixNano())
	c.lastSnapAt = time.Time{}
	c.lastDeadline = time.Time{}
	c.joinSentAt = time.Now()
	c.mu.Unlock()

	hello, _ := gproto.Marshal(&proto.ClientFrame{Msg: &proto.ClientFrame_Hello{Hello: &proto.Hello{
		ProtocolVersion: ProtocolVersion, MinProtocolVersion: ProtocolVersion, MaxProtocolVersion: ProtocolVersion,
		Client: c.cfg.ClientName}}})
	jf, _ := gproto.Marshal(&proto.ClientFrame{Msg: &proto.ClientFrame_Join{Join: join}})
	_ = conn.WriteMessage(gws.OpcodeBinary, hello)
	_ = conn.WriteMessage(gws.OpcodeBinary, jf)
	c.stats.BytesOut.Add(int64(len(hello) + len(jf) + wsHeaderLen(len(hello), true) + wsHeaderLen(len(jf), true)))
	go c.readLoop(conn, gc)

	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		_ = gc.closeNow()
		if err := <-ch; err == nil {
			return nil // welcomed just in time
		}
		return fmt.Errorf("client: waiting for Welcome: %w", ctx.Err())
	}
}

// ProtocolVersion is the protocol this client speaks (Hello offers exactly this version).
const ProtocolVersion = proto.ProtocolVersion_PROTOCOL_VERSION_2

// connHandler adapts one gws connection to its Client.
type connHandler struct{ c *Client }

func (h *connHandler) OnOpen(*gws.Conn)                   {}
func (h *connHandler) OnPing(s *gws.Conn, payload []byte) { _ = s.WritePong(payload) }
func (h *connHandler) OnPong(*gws.Conn, []byte)           {}
func (h *connHandler) OnClose(s *gws.Conn, err error)     { h.c.onClose(s, err) }
func (h *connHandler) OnMessage(s *gws.Conn, m *gws.Message) {
	b := m.Bytes()
	now := time.Now()
	h.c.lastRecv.Store(now.UnixNano())
	h.c.stats.BytesIn.Add(int64(len(b) + wsHeaderLen(len(b), false)))
	if m.Opcode == gws.OpcodeBinary {
		h.c.onFrame(s, b, now)
	} else {
		h.c.stats.DecodeErrors.Add(1)
	}
	_ = m.Close()
}

// onFrame handles one ServerFrame on the read goroutine.
func (c *Client) onFrame(s *gws.Conn, b []byte, now time.Time) {
	ok, err := decodeSnapshotFrame(b, &c.snap)
	if err != nil {
		c.stats.DecodeErrors.Add(1)
		return
	}
	if ok {
		c.onSnapshot(s, &c.snap, now)
		return
	}
	if err := (gproto.UnmarshalOptions{}).Unmarshal(b, &c.sf); err != nil {
		c.stats.DecodeErrors.Add(1)
		return
	}
	switch m := c.sf.Msg.(type) {
	case *proto.ServerFrame_Welcome:
		c.onWelcome(s, m.Welcome)
	case *proto.ServerFrame_Event:
		c.stats.Events.Add(1)
		if m.Event.GetTargeted() {
			c.stats.EventsTargeted.Add(1)
			if th, ok := c.cfg.Handler.(TargetedHandler); ok {
				th.OnTargetedEvent(c, m.Event)
				return
			}
		}
		c.cfg.Handler.OnEvent(c, m.Event)
	case *proto.ServerFrame_Pong:
		c.onPong(m.Pong)
	case *proto.ServerFrame_Disconnect:
		d := &DisconnectError{Code: uint16(m.Disconnect.GetCode()), Reason: m.Disconnect.GetReason(),
			Reconnect: m.Disconnect.GetReconnect()}
		c.mu.Lock()
		if s == c.conn {
			c.pendingClose = d
		}
		c.mu.Unlock()
	case *proto.ServerFrame_MatchResult:
		c.mu.Lock()
		c.matchResult = m.MatchResult
		c.mu.Unlock()
		c.cfg.Handler.OnMatchResult(c, m.MatchResult)
	default:
		c.stats.DecodeErrors.Add(1)
	}
}

func (c *Client) onWelcome(s *gws.Conn, w *proto.Welcome) {
	now := time.Now()
	c.mu.Lock()
	if s != c.conn {
		c.mu.Unlock()
		return
	}
	if w.GetProtocolVersion() != ProtocolVersion || w.GetTickRate() == 0 {
		c.mu.Unlock()
		c.log.Warn("client: unusable Welcome", "version", w.GetProtocolVersion(), "tick_rate", w.GetTickRate())
		c.stats.DecodeErrors.Add(1)
		c.killConn(s)
		return
	}
	first := c.welcome == nil
	sameRoom := !first && w.GetResumed() && w.GetRoomEpoch() == c.welcome.GetRoomEpoch() &&
		w.GetTickRate() == c.welcome.GetTickRate()
	if !sameRoom || c.codec == nil {
		schema, err := snapcodec.SchemaFromWelcome(w.GetKinds(), w.GetInput(), w.GetParams())
		var codec *snapcodec.Codec
		if err == nil {
			codec, err = snapcodec.New(schema)
		}
		if err != nil {
			c.mu.Unlock()
			c.log.Warn("client: unusable Welcome", "err", err)
			c.stats.DecodeErrors.Add(1)
			c.killConn(s)
			return
		}
		c.codec = codec
	}
	if !sameRoom || c.clock == nil {
		c.clock = NewInputClock(time.Second / time.Duration(w.GetTickRate()))
	}
	c.snapEvery = 1
	if sr := w.GetSnapshotRate(); sr > 0 && sr < w.GetTickRate() {
		c.snapEvery = w.GetTickRate() / sr
	}
	// The Welcome left the room about half the handshake's round trip ago (a measured RTT is better when known).
	rtt := now.Sub(c.joinSentAt)
	if c.rtt > 0 && c.rtt < rtt {
		rtt = c.rtt
	}
	c.clock.Start(now, w.GetTick(), rtt)
	seenTick := c.world.Tick // the newest snapshot of the previous connection
	c.welcome = w
	c.resumeToken = w.GetResumeToken()
	c.grace = time.Duration(w.GetGraceMs()) * time.Millisecond
	c.hashInterval = w.GetHashInterval()
	if c.world.Tick != 0 { // entities entering and leaving the view are reported against what the player last saw
		c.seen.CopyFrom(&c.world)
		c.seenSet = true
	}
	c.world.Reset()
	c.gen++
	c.lastSnapAt = time.Time{}
	c.prevSnapTick, c.firstTick = 0, 0
	pred := c.cfg.Predictor
	if pred != nil {
		pred.welcome(w, sameRoom)
	}
	// The Welcome acknowledges what the room applied before the drop; resend the rest, oldest first, each to a new
	// tick: the room dropped whatever it had buffered for this player, and the old ticks may be past.
	c.ackLocked(w.GetLastInputSeq(), 0, seenTick, time.Time{})
	for i := 0; i < c.count; i++ {
		e := &c.ring[(c.head+i)%len(c.ring)]
		old := e.tick
		var ok bool
		if i == 0 {
			e.tick, ok = c.clock.Take(now, w.GetTick()+1)
		}
		if !ok {
			e.tick = c.clock.TakeNext()
		}
		if c.firstTick == 0 {
			c.firstTick = e.tick
		}
		e.sentAt = now
		c.writeInputLocked(e, now)
		c.stats.InputsResent.Add(1)
		if pred != nil {
			pred.move(old, e.tick, e.values[:e.n])
		}
	}
	ch := c.handshake
	c.handshake = nil
	if c.state == stateConnecting || c.state == stateResuming {
		c.state = stateJoined
	}
	c.stats.Connected.Add(1)
	c.mu.Unlock()
	if ch != nil {
		ch <- nil
	}
	c.cfg.Handler.OnWelcome(c, w)
}

func (c *Client) onSnapshot(s *gws.Conn, f *snapshotFrame, now time.Time) {
	c.mu.Lock()
	if s != c.conn {
		c.mu.Unlock()
		return
	}
	if c.codec == nil {
		c.mu.Unlock()
		c.decodeFailed(s, "snapshot before Welcome")
		return
	}
	var base *snapcodec.Packed
	if f.Baseline != 0 {
		if f.Baseline != c.world.Tick {
			c.mu.Unlock()
			c.decodeFailed(s, "baseline is not the world's tick")
			return
		}
		base = &c.world
	}
	if err := c.codec.ApplyPacked(base, f.Tick, f.Entities, &c.next); err != nil {
		c.mu.Unlock()
		c.decodeFailed(s, err.Error())
		return
	}
	c.world, c.next = c.next, c.world
	c.gen++
	prev := &c.next // the world before this snapshot; only this goroutine writes it until the next one
	if c.seenSet {
		prev, c.seenSet = &c.seen, false
	}
	c.stats.Snapshots.Add(1)
	if f.Baseline == 0 {
		c.stats.FullSnapshots.Add(1)
	}
	if f.HasHash {
		c.stats.HashChecks.Add(1)
		if c.codec.HashPacked(&c.world) != f.Hash {
			c.stats.WorldMismatches.Add(1)
		}
	}
	if !c.lastSnapAt.IsZero() {
		c.stats.SnapshotInterval.Record(now.Sub(c.lastSnapAt))
	}
	c.lastSnapAt = now
	applied := c.ackLocked(f.LastInputSeq, f.Tick, c.prevSnapTick, now)
	c.countTicksLocked(f.Tick, applied)
	if f.HasLead {
		lead := time.Duration(f.LeadUS) * time.Microsecond
		c.stats.InputLead.Record(lead)
		c.clock.OnLead(now, lead)
		if r := c.clock.Resyncs(); r != c.resyncs {
			c.stats.ClockResyncs.Add(int64(r - c.resyncs))
			c.resyncs = r
		}
	}
	if p := c.cfg.Predictor; p != nil {
		p.reconcile(&c.world)
	}
	var full *snapcodec.World
	if _, plain := c.cfg.Handler.(NopHandler); !plain {
		full = c.fullWorldLocked()
	}
	c.mu.Unlock()
	c.viewDiff(prev, &c.world)
	if full != nil {
		c.cfg.Handler.OnSnapshot(c, full, f.LastInputSeq)
	}
}

// viewDiff reports the entities that entered (in cur, not in prev, or there with another kind) and left (the
// reverse) the client's view, to Stats and to a ViewHandler. Both worlds are sorted by id.
func (c *Client) viewDiff(prev, cur *snapcodec.Packed) {
	vh, _ := c.cfg.Handler.(ViewHandler)
	var entered, exited int64
	exit := func(w *snapcodec.Packed, i int) {
		exited++
		if vh != nil {
			w.EntityTo(i, &c.entity)
			vh.OnExit(c, &c.entity)
		}
	}
	enter := func(w *snapcodec.Packed, j int) {
		entered++
		if vh != nil {
			w.EntityTo(j, &c.entity)
			vh.OnEnter(c, &c.entity)
		}
	}
	i, j := 0, 0
	np, nc := prev.Len(), cur.Len()
	for i < np || j < nc {
		switch {
		case j == nc || (i < np && prev.ID(i) < cur.ID(j)):
			exit(prev, i)
			i++
		case i == np || cur.ID(j) < prev.ID(i):
			enter(cur, j)
			j++
		default:
			if prev.Kind(i) != cur.Kind(j) {
				exit(prev, i)
				enter(cur, j)
			}
			i++
			j++
		}
	}
	if entered != 0 {
		c.stats.EntitiesEntered.Add(entered)
	}
	if exited != 0 {
		c.stats.EntitiesExited.Add(exited)
	}
}

// decodeFailed counts a snapshot the client cannot apply. Every later delta would build on the missing one, so the
// client drops the connection (at most once a second) and resumes, which brings a full snapshot.
func (c *Client) decodeFailed(s *gws.Conn, why string) {
	c.stats.DecodeErrors.Add(1)
	c.mu.Lock()
	resync := s == c.conn && time.Since(c.lastResync) > time.Second
	if resync {
		c.lastResync = time.Now()
	}
	c.mu.Unlock()
	c.log.Debug("client: snapshot dropped", "why", why)
	if resync {
		c.killConn(s)
	}
}

func (c *Client) onPong(p *proto.Pong) {
	now := time.Now()
	rtt := time.Duration(now.UnixMicro()-int64(p.GetClientTimeUs())) * time.Microsecond
	if rtt < 0 {
		return
	}
	c.stats.RTT.Record(rtt)
	// The server read its clock about half a round trip before now.
	offset := time.Duration(int64(p.GetServerTimeUs())-now.UnixMicro())*time.Microsecond + rtt/2
	c.mu.Lock()
	c.rtt, c.offset = rtt, offset
	if c.clock != nil {
		c.clock.OnPong(now, p.GetServerTick(), rtt)
	}
	c.mu.Unlock()
}

// closeReason turns how a connection ended into a DisconnectError.
func (c *Client) closeReasonLocked(err error) *DisconnectError {
	if c.pendingClose != nil {
		return c.pendingClose
	}
	if c.killed {
		return ErrConnectionLost
	}
	var ce *gws.CloseError
	if errors.As(err, &ce) && ce.Code != 0 {
		return disconnect(ce.Code, string(ce.Reason))
	}
	return ErrConnectionLost
}

func (c *Client) onClose(s *gws.Conn, err error) {
	c.mu.Lock()
	if s != c.conn {
		c.mu.Unlock()
		return
	}
	derr := c.closeReasonLocked(err)
	c.conn, c.gate = nil, nil
	if ch := c.handshake; ch != nil {
		c.handshake = nil
		c.stats.countClose(derr.Code)
		c.mu.Unlock()
		ch <- derr
		return
	}
	c.stats.Connected.Add(-1)
	switch {
	case c.state == stateClosing || c.state == stateClosed:
		c.mu.Unlock() // our own shutdown
		return
	case derr.Reconnect && !c.cfg.NoResume && len(c.resumeToken) > 0:
		c.stats.countClose(derr.Code)
		if derr.Code == CodeMoved { // the room moved to another node: resume there
			if u, a, err := parseURL(derr.Reason); err == nil {
				c.url, c.address = u, a
			}
		}
		c.state = stateResuming
		c.dropAt = time.Now()
		c.mu.Unlock()
		c.cfg.Handler.OnDisconnect(c, derr, true)
		go c.resumeLoop(derr)
	default:
		c.stats.countClose(derr.Code)
		c.finishLocked(derr)
		c.mu.Unlock()
		c.cfg.Handler.OnDisconnect(c, derr, false)
	}
}

// finishLocked ends the client: whatever is still unacknowledged is lost, unless the match ended (MatchResult, then
// 4509): the room applies no input after its end, so those were not lost but came too late.
func (c *Client) finishLocked(err error) {
	if c.state == stateClosed {
		return
	}
	var de *DisconnectError
	if c.matchResult != nil && errors.As(err, &de) && de.Code == uint16(proto.CloseCode_CLOSE_ROOM_ENDED) {
		c.stats.MatchesEnded.Add(1)
		c.stats.InputsAfterEnd.Add(int64(c.count))
	} else {
		c.stats.InputsLost.Add(int64(c.count))
	}
	c.state = stateClosed
	c.err = err
	close(c.done)
}

func (c *Client) resumeLoop(cause *DisconnectError) {
	c.mu.Lock()
	grace := c.grace
	if grace <= 0 {
		grace = 10 * time.Second
	}
	deadline := c.dropAt.Add(grace)
	c.mu.Unlock()
	backoff := 10 * time.Millisecond
	last := error(cause)
	tried := 0 // the cluster nodes tried (nextNode)
	for {
		c.mu.Lock()
		st, token := c.state, c.resumeToken
		c.mu.Unlock()
		if st != stateResuming {
			return // Close took over
		}
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), left)
		err := c.connect(ctx, &proto.Join{Target: &proto.Join_ResumeToken{ResumeToken: token}, Name: c.cfg.Name})
		cancel()
		if err == nil {
			c.stats.Resumed.Add(1)
			c.mu.Lock()
			c.resumes++
			c.mu.Unlock()
			return
		}
		last = err
		var de *DisconnectError
		if errors.As(err, &de) && !de.Reconnect {
			break
		}
		if de == nil {
			c.nextNode(&tried)
		}
		select {
		case <-time.After(min(backoff, time.Until(deadline))):
		case <-c.done:
			return
		}
		backoff = min(backoff*2, 500*time.Millisecond)
	}
	c.stats.ResumeFailed.Add(1)
	c.mu.Lock()
	if c.state == stateResuming {
		c.finishLocked(fmt.Errorf("%w: %w", ErrResumeFailed, last))
	}
	c.mu.Unlock()
}

// Close waits for the server to acknowledge the inputs in flight (until Config.DrainTimeout passes without a frame
// from the server or a resume under way), leaves the room and closes the connection. Inputs still unacknowledged count as lost. It returns the error that ended the client
// earlier, if any.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.state == stateClosed {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.draining = true
	c.mu.Unlock()

	deadline := time.Now().Add(c.cfg.DrainTimeout)
	for now := time.Now(); now.Before(deadline); now = time.Now() {
		c.mu.Lock()
		settled := c.count == 0 || c.state == stateClosed
		// Acknowledgements come while the server is talking or a resume is under way (it ends within the grace
		// period): give up only after DrainTimeout without either, however slowly the machines run.
		if c.state == stateResuming {
			deadline = now.Add(c.cfg.DrainTimeout)
		} else if heard := time.Unix(0, c.lastRecv.Load()).Add(c.cfg.DrainTimeout); heard.After(deadline) {
			deadline = heard
		}
		var silent *gws.Conn
		if c.silentLocked(time.Now()) {
			silent = c.conn
		}
		c.mu.Unlock()
		if settled {
			break
		}
		if silent != nil {
			c.killConn(silent) // resume: the Welcome acknowledges what the server applied
		}
		time.Sleep(5 * time.Millisecond)
	}

	c.mu.Lock()
	if c.state == stateClosed {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.state = stateClosing
	conn, gate := c.conn, c.gate
	if conn != nil {
		leave, _ := gproto.Marshal(&proto.ClientFrame{Msg: &proto.ClientFrame_Leave{Leave: &proto.Leave{}}})
		_ = c.writeLocked(leave, time.Now())
	}
	c.finishLocked(nil)
	c.mu.Unlock()
	if conn != nil {
		_ = conn.WriteClose(1000, nil)
		_ = gate.closeNow()
	}
	return nil
}

// Drop kills the current connection without a close frame, as a network failure would; the client then resumes
// (unless NoResume). For chaos testing.
func (c *Client) Drop() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		c.killConn(conn)
	}
}

func (c *Client) killConn(s *gws.Conn) {
	c.mu.Lock()
	if s != c.conn || c.gate == nil {
		c.mu.Unlock()
		return
	}
	c.killed = true
	g := c.gate
	c.mu.Unlock()
	_ = g.closeNow()
}

// Stall stops (true) or restarts (false) reading from the connection, making this client a slow consumer. What the
// server sends meanwhile waits in the kernel; if the server gives up on the client, its Disconnect is still read.
func (c *Client) Stall(on bool) {
	c.mu.Lock()
	g := c.gate
	c.stalled = on
	if !on {
		c.lastRecv.Store(time.Now().UnixNano()) // silence is measured from when reading restarts
	}
	c.mu.Unlock()
	if g != nil {
		g.setStalled(on)
	}
}
