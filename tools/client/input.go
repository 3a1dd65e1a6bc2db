package client

import (
	"errors"
	"math/rand/v2"
	"net"
	"time"

	"github.com/lxzan/gws"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
)

// ackLocked records that the server applied every input up to seq (last_input_seq) as of tick snapTick (0: a
// Welcome, which records no latency and proves nothing late), and returns how many pending inputs that acknowledged.
// Pending inputs addressed to ticks up to snapTick with a higher sequence are late: the room ran their tick without
// them and dropped them. seenTick is the newest tick of a snapshot seen before this one on the connection (0: none):
// an acknowledged input whose tick lies beyond it, other than the one with sequence seq itself, had no snapshot of
// its own tick, so it may also have been dropped late before a later one was applied (InputsAckedBlind).
func (c *Client) ackLocked(seq, snapTick, seenTick uint32, now time.Time) (applied int) {
	if seq > c.sent {
		c.stats.AckBeyondSent.Add(1)
		seq = c.sent
	}
	if seq < c.acked {
		c.stats.AckRegress.Add(1)
		return 0
	}
	exact := snapTick != 0 && seenTick != 0 && snapTick == seenTick+1 // one tick since the last snapshot seen
	for c.count > 0 && c.ring[c.head].seq <= seq {
		e := &c.ring[c.head]
		if !now.IsZero() {
			c.stats.AckLatency.Record(now.Sub(e.sentAt))
		}
		if !exact && e.seq < seq && e.tick > seenTick {
			c.stats.InputsAckedBlind.Add(1)
		}
		c.head = (c.head + 1) % len(c.ring)
		c.count--
		applied++
	}
	for snapTick != 0 && c.count > 0 && c.ring[c.head].tick <= snapTick {
		if p := c.cfg.Predictor; p != nil {
			p.dropped(c.ring[c.head].tick)
		}
		c.head = (c.head + 1) % len(c.ring)
		c.count--
		c.stats.InputsLate.Add(1)
	}
	c.stats.InputsAcked.Add(int64(applied))
	c.acked = seq
	return applied
}

// countTicksLocked counts, for the ticks since the previous snapshot of this connection, how many had this client's
// input applied (applied of them) and how many had none (the room applied its fill). Only ticks from the first one
// this connection addressed an input to, up to the last one addressed, are counted: before and after, the client
// sent nothing.
func (c *Client) countTicksLocked(tick uint32, applied int) {
	prev := c.prevSnapTick
	c.prevSnapTick = tick
	if prev == 0 || c.firstTick == 0 || prev+1 < c.firstTick || tick <= prev || tick > c.clock.LastTick() {
		return
	}
	ticks := int(tick - prev)
	switch {
	case applied > ticks && ticks == 1:
		c.stats.TicksMulti.Add(1)
	default:
		// Over several ticks, an input dropped late and then acknowledged with a later one looks applied
		// (InputsAckedBlind): at most one per tick was.
		applied = min(applied, ticks)
		c.stats.TicksWithInput.Add(int64(applied))
		c.stats.TicksMissed.Add(int64(ticks - applied))
	}
}

// writeInputLocked writes pending input e (addressed to e.tick) with the latest snapshot as its ack and view.
func (c *Client) writeInputLocked(e *sentInput, now time.Time) error {
	f := inputFrame{seq: e.seq, tick: e.tick, values: e.values[:e.n], ackTick: c.world.Tick}
	// Bots do not interpolate: they see the newest snapshot, drawn one snapshot interval late.
	if c.world.Tick > c.snapEvery {
		f.renderTick = c.world.Tick - c.snapEvery
	}
	c.wbuf = appendInputFrame(c.wbuf[:0], &f)
	return c.writeLocked(c.wbuf, now)
}

// writeLocked writes one binary frame on the current connection.
func (c *Client) writeLocked(b []byte, now time.Time) error {
	conn := c.conn
	if conn == nil {
		return ErrNotConnected
	}
	// Refreshing the deadline once a second keeps a blocked write bounded without a timer per write.
	if now.Sub(c.lastDeadline) > time.Second {
		c.lastDeadline = now
		_ = conn.SetWriteDeadline(now.Add(c.cfg.WriteTimeout))
	}
	var err error
	if g := c.gate; g != nil && g.raw != nil {
		// A plain socket, read by Client.readLoop: frame the message here and write it in one call, as gws would
		// (a Write is never interleaved with another), without gws's allocation per message.
		c.fbuf = appendClientFrame(c.fbuf[:0], b, rand.Uint32())
		if err = g.writeFrame(c.fbuf); err != nil && !errors.Is(err, net.ErrClosed) {
			_ = g.Close() // as gws does after a failed write: the read loop ends and the client resumes
		}
	} else {
		err = conn.WriteMessage(gws.OpcodeBinary, b)
	}
	if err == nil {
		c.stats.BytesOut.Add(int64(len(b) + wsHeaderLen(len(b), true)))
	}
	return err
}

// silentLocked reports whether the current connection has been silent past Config.SilenceTimeout.
func (c *Client) silentLocked(now time.Time) bool {
	return c.cfg.SilenceTimeout > 0 && c.state == stateJoined && c.conn != nil && !c.stalled &&
		now.UnixNano()-c.lastRecv.Load() > int64(c.cfg.SilenceTimeout)
}

// NextInputAt is when the input clock wants the next input sent (one per tick); the zero time while the client is
// not joined. Call SendInput at (or just after) that time: a per-client timer, or a shared scheduler for many clients.
func (c *Client) NextInputAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateJoined || c.clock == nil {
		return time.Time{}
	}
	return c.clock.NextAt()
}

// SendInput sends the given values (one per Welcome.input field) as the input for the input clock's current tick
// and returns its sequence number. See SendInputTick.
func (c *Client) SendInput(values []int32) (uint32, error) {
	seq, _, err := c.SendInputTick(values)
	return seq, err
}

// SendInputTick sends the given values (one per Welcome.input field) as the input for the input clock's current tick
// and returns its sequence number and tick. It returns ErrNotConnected while the client is resuming, ErrInputBacklog
// when Config.InputHistory inputs are pending, and ErrInputEarly when called more than a tick before NextInputAt;
// then the input is not sent and takes neither a sequence number nor a tick. Called late, it addresses the input to
// the next tick it can still reach in time (the room applies its fill for the ticks skipped).
func (c *Client) SendInputTick(values []int32) (seq, tick uint32, err error) {
	if len(values) > game.MaxInputValues {
		return 0, 0, errors.New("client: too many input values")
	}
	now := time.Now()
	c.mu.Lock()
	if c.silentLocked(now) {
		conn := c.conn
		c.mu.Unlock()
		c.log.Debug("client: connection silent, dropping it", "client", c.cfg.Name)
		c.killConn(conn)
		return 0, 0, ErrNotConnected
	}
	defer c.mu.Unlock()
	switch {
	case c.state == stateClosed || c.state == stateClosing || c.draining:
		return 0, 0, ErrClosed
	case c.state != stateJoined || c.conn == nil:
		return 0, 0, ErrNotConnected
	case c.count == len(c.ring):
		// Nothing acknowledged for a while: the client may not be reading, or the server may be gone. Keep pinging
		// (once a second) so that the heartbeat holds and a dead connection shows up as a failed write. The tick
		// passes without an input (the room fills it): the clock moves on to the next.
		if now.Sub(c.lastPing) >= time.Second {
			_ = c.pingLocked(now)
		}
		c.clock.Take(now, c.world.Tick+1)
		return 0, 0, ErrInputBacklog
	}
	skipped := c.clock.Skipped()
	tick, ok := c.clock.Take(now, c.world.Tick+1)
	if !ok {
		return 0, 0, ErrInputEarly
	}
	c.stats.TicksSkipped.Add(int64(c.clock.Skipped() - skipped))
	seq = c.sent + 1
	e := &c.ring[(c.head+c.count)%len(c.ring)]
	e.seq, e.tick, e.n, e.sentAt = seq, tick, uint8(len(values)), now
	copy(e.values[:], values)
	if err := c.writeInputLocked(e, now); errors.Is(err, net.ErrClosed) {
		return 0, 0, ErrNotConnected // certainly not written: the sequence number stays free (the tick is skipped)
	}
	// Any other write error may have happened after the frame reached the socket: keep it for the resume.
	c.count++
	c.sent = seq
	if c.firstTick == 0 {
		c.firstTick = tick
	}
	c.stats.InputsSent.Add(1)
	if p := c.cfg.Predictor; p != nil {
		p.Input(tick, values)
	}
	if c.cfg.PingInterval > 0 && now.Sub(c.lastPing) >= c.cfg.PingInterval {
		_ = c.pingLocked(now)
	}
	return seq, tick, nil
}

// Ping sends a Ping; the Pong updates RTT and ClockOffset. Pings also keep an idle connection alive.
func (c *Client) Ping() error {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateJoined {
		return ErrNotConnected
	}
	return c.pingLocked(now)
}

func (c *Client) pingLocked(now time.Time) error {
	c.lastPing = now
	c.wbuf = c.wbuf[:0]
	b, err := gproto.MarshalOptions{}.MarshalAppend(c.wbuf, &proto.ClientFrame{Msg: &proto.ClientFrame_Ping{
		Ping: &proto.Ping{ClientTimeUs: uint64(now.UnixMicro())}}})
	if err != nil {
		return err
	}
	c.wbuf = b
	return c.writeLocked(b, now)
}

// Ack acknowledges the latest snapshot (inputs do this implicitly; use it when not sending inputs).
func (c *Client) Ack() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateJoined {
		return ErrNotConnected
	}
	b, _ := gproto.Marshal(&proto.ClientFrame{Msg: &proto.ClientFrame_Ack{Ack: &proto.Ack{Tick: c.world.Tick}}})
	return c.writeLocked(b, time.Now())
}
