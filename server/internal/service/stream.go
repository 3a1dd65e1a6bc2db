package service

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/lxzan/gws"

	"github.com/tickwire/tickwire/server/internal/matchmaker"
)

// Close codes of the event stream.
const (
	CloseSlowConsumer = 4000 // the subscriber fell a whole queue behind and was dropped
	CloseGoingAway    = 1001 // the server is shutting down
	CloseInternal     = 1011 // a write failed
)

// stream is one event subscriber's WebSocket.
type stream struct {
	s    *Service
	conn *gws.Conn
	sub  *Subscriber
	// stop is closed (once) when the stream must end: the peer went away, or the server shuts down.
	stop     chan struct{}
	stopOnce sync.Once
	// Guarded by stopOnce: the close code to send (0: the peer is gone, send nothing).
	code uint16
}

func (st *stream) end(code uint16) {
	st.stopOnce.Do(func() {
		st.code = code
		close(st.stop)
	})
}

func (st *stream) shutdown() { st.end(CloseGoingAway) }

func (s *Service) handleStream(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := Filter{Rooms: q["room"], Modes: q["mode"], Types: q["type"]}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		matchmaker.WriteError(w, http.StatusServiceUnavailable, "unavailable", "the server is shutting down")
		return
	}
	sub, err := s.hub.Subscribe(f)
	if err != nil {
		matchmaker.WriteError(w, http.StatusServiceUnavailable, "too_many_subscribers", err.Error())
		return
	}
	conn, err := s.upgrader.Upgrade(w, r)
	if err != nil {
		s.hub.Unsubscribe(sub)
		return // the upgrader has answered
	}
	st := &stream{s: s, conn: conn, sub: sub, stop: make(chan struct{})}
	conn.Session().Store(streamKey, st)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		st.end(CloseGoingAway)
	} else {
		s.streams[st] = struct{}{}
		s.mu.Unlock()
	}
	go conn.ReadLoop()
	go st.writeLoop()
}

// writeLoop is the only writer of the stream's socket.
func (st *stream) writeLoop() {
	s := st.s
	defer func() {
		s.hub.Unsubscribe(st.sub)
		s.mu.Lock()
		delete(s.streams, st)
		s.mu.Unlock()
	}()
	hello, _ := json.Marshal(Event{Seq: s.hub.Seq(), Type: EventSubscribed, Time: time.Now().UTC()})
	if !st.write(hello) {
		return
	}
	for {
		select {
		case b := <-st.sub.Events():
			if !st.write(b) {
				return
			}
		case <-st.sub.Dropped():
			s.log.Warn("service: event subscriber dropped: too slow", "remote", st.conn.RemoteAddr().String())
			st.close(CloseSlowConsumer, "slow consumer: event queue overflowed")
			return
		case <-st.stop:
			if st.code != 0 {
				st.close(st.code, "server shutting down")
			}
			return
		}
	}
}

func (st *stream) write(b []byte) bool {
	_ = st.conn.SetWriteDeadline(time.Now().Add(st.s.cfg.WriteTimeout))
	if err := st.conn.WriteMessage(gws.OpcodeText, b); err != nil {
		if !errors.Is(err, gws.ErrConnClosed) {
			st.close(CloseInternal, "write failed")
		}
		return false
	}
	return true
}

func (st *stream) close(code uint16, reason string) {
	_ = st.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_ = st.conn.WriteClose(code, []byte(reason))
}

const streamKey = "stream"

// streamEvents handles the read side of every stream: subscribers have nothing to say, so only pings and the close
// matter.
type streamEvents struct {
	gws.BuiltinEventHandler
	s *Service
}

func streamOf(c *gws.Conn) *stream {
	v, _ := c.Session().Load(streamKey)
	st, _ := v.(*stream)
	return st
}

func (e *streamEvents) OnPing(c *gws.Conn, payload []byte) { _ = c.WritePong(payload) }

func (e *streamEvents) OnMessage(c *gws.Conn, m *gws.Message) { m.Close() }

func (e *streamEvents) OnClose(c *gws.Conn, err error) {
	if st := streamOf(c); st != nil {
		st.end(0)
	}
}
