package client

import (
	"errors"
	"net"
	"time"

	"github.com/lxzan/gws"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
)

// ackLocked records that the server applied every input up to seq. A zero now (a Welcome) records no latency.
func (c *Client) ackLocked(seq uint32, now time.Time) {
	if seq > c.sent {
		c.stats.AckBeyondSent.Add(1)
		seq = c.sent
	}
	if seq < c.acked {
		c.stats.AckRegress.Add(1)
		return
	}
	for c.count > 0 && c.ring[c.head].seq <= seq {
		if !now.IsZero() {
			c.stats.AckLatency.Record(now.Sub(c.ring[c.head].sentAt))
		}
		c.head = (c.head + 1) % len(c.ring)
		c.count--
	}
	c.stats.InputsAcked.Add(int64(seq - c.acked))
	c.acked = seq
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
	err := conn.WriteMessage(gws.OpcodeBinary, b)
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

// SendInput sends the next input with the given values (one per Welcome.input field) and returns its sequence
// number. It returns ErrNotConnected while the client is resuming (the input is not sent and takes no sequence
// number) and ErrInputBacklog when Config.InputHistory inputs are unacknowledged.
func (c *Client) SendInput(values []int32) (uint32, error) {
	if len(values) > game.MaxInputValues {
		return 0, errors.New("client: too many input values")
	}
	now := time.Now()
	c.mu.Lock()
	if c.silentLocked(now) {
		conn := c.conn
		c.mu.Unlock()
		c.log.Debug("client: connection silent, dropping it", "client", c.cfg.Name)
		c.killConn(conn)
		return 0, ErrNotConnected
	}
	defer c.mu.Unlock()
	switch {
	case c.state == stateClosed || c.state == stateClosing || c.draining:
		return 0, ErrClosed
	case c.state != stateJoined || c.conn == nil:
		return 0, ErrNotConnected
	case c.count == len(c.ring):
		// Nothing acknowledged for a while: the client may not be reading, or the server may be gone. Keep pinging
		// (once a second) so that the heartbeat holds and a dead connection shows up as a failed write.
		if now.Sub(c.lastPing) >= time.Second {
			_ = c.pingLocked(now)
		}
		return 0, ErrInputBacklog
	}
	seq := c.sent + 1
	e := &c.ring[(c.head+c.count)%len(c.ring)]
	e.seq, e.n, e.sentAt = seq, uint8(len(values)), now
	copy(e.values[:], values)
	c.wbuf = appendInputFrame(c.wbuf[:0], seq, values, c.world.Tick, c.world.Tick)
	if err := c.writeLocked(c.wbuf, now); errors.Is(err, net.ErrClosed) {
		return 0, ErrNotConnected // certainly not written: the sequence number stays free
	}
	// Any other write error may have happened after the frame reached the socket: keep it for the resume.
	c.count++
	c.sent = seq
	c.stats.InputsSent.Add(1)
	if c.cfg.PingInterval > 0 && now.Sub(c.lastPing) >= c.cfg.PingInterval {
		c.pingLocked(now)
	}
	return seq, nil
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
