package service

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/transport"
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
	conn *transport.Stream
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
	st := &stream{s: s, sub: sub, stop: make(chan struct{})}
	// The peer's close (or a read error) ends the stream without a close frame of ours.
	conn, err := s.upgrader.Upgrade(w, r, func(uint16) { st.end(0) })
	if err != nil {
		s.hub.Unsubscribe(sub)
		return // the upgrader has answered
	}
	st.conn = conn
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		st.end(CloseGoingAway)
	} else {
		s.streams[st] = struct{}{}
		s.mu.Unlock()
	}
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
				// The server drains rooms before it closes the streams: the events they published on the way out
				// (match_ended, player_left) are queued here and go out before the close frame.
				st.flush()
				st.close(st.code, "server shutting down")
			}
			return
		}
	}
}

// flush writes the events already queued for the subscriber, without waiting for more.
func (st *stream) flush() {
	for {
		select {
		case b := <-st.sub.Events():
			if !st.write(b) {
				return
			}
		default:
			return
		}
	}
}

func (st *stream) write(b []byte) bool {
	if err := st.conn.WriteText(b); err != nil {
		if !errors.Is(err, transport.ErrStreamClosed) {
			st.close(CloseInternal, "write failed")
		}
		return false
	}
	return true
}

func (st *stream) close(code uint16, reason string) { st.conn.Close(code, reason) }
