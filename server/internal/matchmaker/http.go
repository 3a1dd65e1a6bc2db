package matchmaker

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/tickwire/tickwire/server/internal/auth"
)

// maxBody bounds request bodies.
const maxBody = 64 << 10

// RoomView is one room in GET /v1/rooms.
type RoomView struct {
	ID       string `json:"room_id"`
	Mode     string `json:"mode"`
	Players  int    `json:"players"`
	Capacity int    `json:"capacity"`
	State    string `json:"state"`
}

// RoomList is the body of GET /v1/rooms.
type RoomList struct {
	Rooms []RoomView `json:"rooms"`
}

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error   string `json:"error"`   // a stable code: bad_request, unknown_mode, not_found, conflict, ...
	Message string `json:"message"` // for humans
}

// WriteError writes an error response with a JSON ErrorBody.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	WriteJSON(w, status, ErrorBody{Error: code, Message: msg})
}

// WriteJSON writes v as a JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// DecodeJSON decodes a bounded request body into v, refusing unknown fields and trailing data.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON body")
	}
	return nil
}

// WSAddress is the WebSocket address for players: public when configured, else ws(s)://<request host>/ws: wss when
// the request came over TLS or its URL.Scheme is "https" (which the server sets from a trusted proxy's headers, and
// overwrites on every request it hands here).
func WSAddress(public string, r *http.Request) string {
	if public != "" {
		return public
	}
	scheme := "ws://"
	if r.TLS != nil || r.URL.Scheme == "https" {
		scheme = "wss://"
	}
	return scheme + r.Host + "/ws"
}

// Handler serves the matchmaking and room-listing routes (see the package documentation).
func (m *Matchmaker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/matchmaking/tickets", m.handleSubmit)
	mux.HandleFunc("GET /v1/matchmaking/tickets/{id}", m.handleGet)
	mux.HandleFunc("DELETE /v1/matchmaking/tickets/{id}", m.handleCancel)
	mux.HandleFunc("GET /v1/rooms", m.handleRooms)
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "not_found", "no such route")
	})
	return mux
}

func (m *Matchmaker) fillAddress(t *Ticket, r *http.Request) {
	if t.Status == StatusPlaced && t.Address == "" {
		t.Address = WSAddress("", r)
	}
}

func (m *Matchmaker) handleSubmit(w http.ResponseWriter, r *http.Request) {
	var req TicketRequest
	if err := DecodeJSON(w, r, &req); err != nil {
		WriteError(w, http.StatusBadRequest, "bad_request", "invalid JSON body: "+err.Error())
		return
	}
	var hold TicketHold
	if m.cfg.Gate != nil {
		h, err := m.cfg.Gate.Admit(r, req.Code != "")
		if err != nil {
			writeMatchError(w, err)
			return
		}
		hold = h
	}
	t, err := m.submit(r.Context(), req, hold)
	if err != nil {
		writeMatchError(w, err)
		return
	}
	w.Header().Set("Location", "/v1/matchmaking/tickets/"+t.ID)
	WriteJSON(w, http.StatusCreated, t)
}

func (m *Matchmaker) handleGet(w http.ResponseWriter, r *http.Request) {
	var wait time.Duration
	if s := r.URL.Query().Get("wait"); s != "" {
		d, err := parseWait(s)
		if err != nil || d < 0 {
			WriteError(w, http.StatusBadRequest, "bad_request", "wait must be a duration such as 10s (or seconds)")
			return
		}
		wait = min(d, m.cfg.MaxWait)
	}
	t, err := m.Wait(r.Context(), r.PathValue("id"), wait)
	if err != nil {
		writeMatchError(w, err)
		return
	}
	m.fillAddress(&t, r)
	WriteJSON(w, http.StatusOK, t)
}

// parseWait accepts a Go duration ("10s", "500ms") or a plain number of seconds ("10").
func parseWait(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	var secs float64
	if err := json.Unmarshal([]byte(s), &secs); err != nil {
		return 0, err
	}
	if secs > 3600 {
		secs = 3600
	}
	return time.Duration(secs * float64(time.Second)), nil
}

func (m *Matchmaker) handleCancel(w http.ResponseWriter, r *http.Request) {
	t, err := m.Cancel(r.PathValue("id"))
	if errors.Is(err, ErrNotQueued) {
		m.fillAddress(&t, r)
		WriteJSON(w, http.StatusConflict, struct {
			ErrorBody
			Ticket Ticket `json:"ticket"`
		}{ErrorBody{Error: "conflict", Message: "the ticket is " + t.Status}, t})
		return
	}
	if err != nil {
		writeMatchError(w, err)
		return
	}
	WriteJSON(w, http.StatusOK, t)
}

func (m *Matchmaker) handleRooms(w http.ResponseWriter, r *http.Request) {
	mode := r.URL.Query().Get("mode")
	out := RoomList{Rooms: []RoomView{}}
	m.mu.Lock()
	private := make(map[string]bool)
	for id, tr := range m.tracks {
		if tr.private {
			private[id] = true
		}
	}
	m.mu.Unlock()
	for _, info := range m.rooms.List() {
		if info.Private || private[info.ID] || (mode != "" && info.Mode != mode) {
			continue
		}
		out.Rooms = append(out.Rooms, RoomView{ID: info.ID, Mode: info.Mode, Players: info.Players, Capacity: info.Capacity, State: info.State})
	}
	sort.Slice(out.Rooms, func(i, j int) bool { return out.Rooms[i].ID < out.Rooms[j].ID })
	WriteJSON(w, http.StatusOK, out)
}

func writeMatchError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrUnknownMode):
		WriteError(w, http.StatusBadRequest, "unknown_mode", err.Error())
	case errors.Is(err, ErrBadRequest):
		WriteError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, ErrUnauthenticated):
		code := "unauthenticated"
		if auth.Expired(err) {
			code = "player_token_expired"
		}
		WriteError(w, http.StatusUnauthorized, code, err.Error())
	case errors.Is(err, ErrPlayerQueued):
		WriteError(w, http.StatusConflict, "player_queued", err.Error())
	case errors.Is(err, ErrQueueFull):
		w.Header().Set("Retry-After", "1")
		WriteError(w, http.StatusServiceUnavailable, "queue_full", err.Error())
	case errors.Is(err, ErrTooManyTickets), errors.Is(err, ErrTooManyCodeMisses):
		w.Header().Set("Retry-After", "5")
		WriteError(w, http.StatusTooManyRequests, "too_many_requests", err.Error())
	case errors.Is(err, ErrTicketNotFound):
		WriteError(w, http.StatusNotFound, "ticket_not_found", err.Error())
	default:
		WriteError(w, http.StatusInternalServerError, "internal", err.Error())
	}
}
