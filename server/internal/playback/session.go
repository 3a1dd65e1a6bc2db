package playback

import (
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/journal"
	"github.com/tickwire/tickwire/server/internal/transport"
)

// session is one viewer's playback.
type session struct {
	// Static after the upgrade.
	h      *Handler
	id     string
	conn   *transport.Stream
	authed bool // the key came in the request's headers, or none is needed

	ctl      chan Control  // from the read loop; bounded (ctlQueue)
	done     chan struct{} // closed once the connection is gone
	doneOnce sync.Once

	// Owned by run.
	p       *Player
	enc     *encoder
	paused  bool
	stopped bool // at the end, after a divergence or an error: only a seek (or play, from the start) goes on
	speed   float64
	text    []byte
}

func (s *session) end() { s.doneOnce.Do(func() { close(s.done) }) }

// close sends a close frame and ends the session. Any goroutine.
func (s *session) close(code uint16, reason string) {
	s.conn.Close(code, reason)
	s.end()
}

// State messages (text frames; see the package documentation).
type infoMsg struct {
	Type        string      `json:"type"`
	ID          string      `json:"id"`
	Room        string      `json:"room"`
	Mode        string      `json:"mode"`
	Epoch       uint64      `json:"epoch"`
	TickRate    int         `json:"tick_rate"`
	FirstTick   game.Tick   `json:"first_tick"`
	LastTick    game.Tick   `json:"last_tick"`
	Checkpoints []game.Tick `json:"checkpoints"`
	Truncated   string      `json:"truncated,omitempty"`
}

type stateMsg struct {
	Type    string    `json:"type"`
	Tick    game.Tick `json:"tick"`
	Paused  bool      `json:"paused"`
	Speed   float64   `json:"speed"`
	Checked int       `json:"checked"`
}

type divergenceMsg struct {
	Type    string    `json:"type"`
	Tick    game.Tick `json:"tick"`
	What    string    `json:"what"`
	Want    string    `json:"want"`
	Got     string    `json:"got"`
	Message string    `json:"message"`
}

type tickMsg struct {
	Type    string    `json:"type"` // "seeked", "end"
	Tick    game.Tick `json:"tick"`
	Message string    `json:"message,omitempty"`
}

// run is the playback: it alone steps the Player and writes the socket.
func (s *session) run() {
	h := s.h
	defer func() {
		h.active.Dec()
		h.forget(s)
		s.end()
	}()
	if !s.authed && !s.awaitAuth() {
		return
	}
	rec, files, err := Load(h.root, s.id, h.cfg.MaxBytes)
	if err != nil {
		code := uint16(CloseInternal)
		switch {
		case errors.Is(err, ErrNotFound), errors.Is(err, ErrBadID):
			code = CloseRoomNotFound
		case errors.Is(err, ErrTooLarge):
			code = CloseMessageTooBig
		}
		s.fail(code, err)
		return
	}
	factory, ok := h.cfg.Games[rec.Mode]
	if !ok {
		s.fail(CloseRoomNotFound, ErrNoGame)
		return
	}
	if s.p, err = Open(files, factory); err != nil {
		s.fail(CloseInternal, err)
		return
	}
	if s.enc, err = newEncoder(s.p.Sim().Schema()); err != nil {
		s.fail(CloseInternal, err)
		return
	}
	p := s.p
	info := infoMsg{Type: "info", ID: s.id, Room: p.Header().Room, Mode: p.Header().Mode, Epoch: p.Header().Epoch,
		TickRate: p.Header().Game.TickRate, FirstTick: p.First(), LastTick: p.Last(), Checkpoints: p.Checkpoints()}
	if t := p.Truncated(); t != nil {
		info.Truncated = t.Error()
	}
	s.speed = 1
	if !s.writeJSON(info) || !s.write(welcomeFrame(p, p.Tick())) || !s.sendPosition() || !s.sendState() {
		return
	}
	s.loop()
}

// loop plays at the tick rate times the speed, taking controls between ticks.
func (s *session) loop() {
	tickRate := max(s.p.Header().Game.TickRate, 1)
	interval := time.Second / time.Duration(tickRate)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	report := time.NewTicker(250 * time.Millisecond)
	defer report.Stop()
	next := time.Now()
	for {
		playing := !s.paused && !s.stopped
		var tick <-chan time.Time
		if playing {
			timer.Reset(time.Until(next))
			tick = timer.C
		}
		select {
		case <-s.done:
			return
		case c := <-s.ctl:
			if !s.control(c) {
				return
			}
			if c.Op == "play" || c.Op == "seek" {
				next = time.Now() // the first tick from here now; other controls keep the schedule
			}
		case <-report.C:
			if playing && !s.sendState() {
				return
			}
		case now := <-tick:
			if !s.step() {
				return
			}
			next = next.Add(time.Duration(float64(interval) / s.speed))
			if now.Sub(next) > time.Second { // held up (a slow viewer, a stalled machine): do not race to catch up
				next = now
			}
		}
	}
}

// control applies one control; false when the socket failed.
func (s *session) control(c Control) bool {
	switch c.Op {
	case "pause":
		s.paused = true
	case "play":
		if s.stopped && s.p.Tick() >= s.p.Last() { // at the end: from the start again
			return s.seek(s.p.First(), false)
		}
		s.paused = false
	case "speed":
		s.speed = c.Speed
	case "seek":
		return s.seek(game.Tick(c.Tick), s.paused)
	case "auth": // already authenticated
	}
	return s.sendState()
}

// seek re-runs the recording up to t and sends the new position.
func (s *session) seek(t game.Tick, paused bool) bool {
	if err := s.p.Seek(t); err != nil {
		return s.stop(err)
	}
	s.stopped, s.paused = false, paused
	return s.writeJSON(tickMsg{Type: "seeked", Tick: s.p.Tick()}) && s.sendPosition() && s.sendState()
}

// sendPosition sends a full snapshot of the current tick (none before the first tick: there is no world yet).
func (s *session) sendPosition() bool {
	s.enc.restart()
	if s.p.Tick() == 0 {
		return true
	}
	return s.write(s.enc.snapshot(s.p.Tick(), s.p.World()))
}

// step plays one tick: its events, then its snapshot, then the match result when the match ended there.
func (s *session) step() bool {
	p := s.p
	if err := p.Step(); err != nil {
		return s.stop(err)
	}
	t := p.Tick()
	evs := p.Events()
	for i := range evs {
		if !s.write(s.enc.event(t, &evs[i])) {
			return false
		}
	}
	if !s.write(s.enc.snapshot(t, p.World())) {
		return false
	}
	if r := p.Result(); r != nil && s.enc.resultSent != r {
		s.enc.resultSent = r
		if b := matchResultFrame(p, r); b != nil && !s.write(b) {
			return false
		}
	}
	return true
}

// stop ends playing after the last tick, a divergence or an unreadable recording, and tells the viewer.
func (s *session) stop(err error) bool {
	s.stopped = true
	var div *journal.DivergenceError
	ok := false
	switch {
	case errors.Is(err, io.EOF):
		ok = s.writeJSON(tickMsg{Type: "end", Tick: s.p.Tick()})
	case errors.As(err, &div):
		s.h.divergences.Inc()
		s.h.cfg.Logger.Warn("playback: the replay diverges from the recording", "recording", s.id,
			"tick", div.Tick, "err", err.Error())
		ok = s.writeJSON(divergenceMsg{Type: "divergence", Tick: div.Tick, What: div.What,
			Want: hex(div.Want), Got: hex(div.Got), Message: div.Error()})
	default:
		ok = s.writeJSON(tickMsg{Type: "error", Tick: s.p.Tick(), Message: err.Error()})
	}
	return ok && s.sendState()
}

func hex(v uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b[:])
}

func (s *session) sendState() bool {
	return s.writeJSON(stateMsg{Type: "state", Tick: s.p.Tick(), Paused: s.paused || s.stopped, Speed: s.speed,
		Checked: s.p.Checked()})
}

// awaitAuth waits for {"op":"auth"} with the right key.
func (s *session) awaitAuth() bool {
	t := time.NewTimer(s.h.cfg.AuthTimeout)
	defer t.Stop()
	select {
	case c := <-s.ctl:
		if c.Op == "auth" && s.h.keyOK(c.Key) {
			return true
		}
	case <-t.C:
	case <-s.done:
		return false
	}
	s.h.refused.WithLabelValues("unauthorized").Inc()
	s.close(CloseUnauthenticated, "this server needs its service API key: send {\"op\":\"auth\",\"key\":...} first")
	return false
}

// fail tells the viewer why the playback cannot start and closes the socket.
func (s *session) fail(code uint16, err error) {
	if s.writeJSON(tickMsg{Type: "error", Message: err.Error()}) {
		s.close(code, "")
	}
}

func (s *session) writeJSON(v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	return s.check(s.conn.WriteText(b))
}

func (s *session) write(b []byte) bool { return s.check(s.conn.WriteBinary(b)) }

// check ends the session after a failed write.
func (s *session) check(err error) bool {
	if err != nil {
		s.end()
		return false
	}
	return true
}
