package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
)

// CreateRoomRequest is the body of POST /v1/service/rooms.
type CreateRoomRequest struct {
	Mode     string            `json:"mode"`               // required
	Settings map[string]string `json:"settings,omitempty"` // game settings, e.g. {"time_limit_s": "120"}
	Players  []string          `json:"players,omitempty"`  // names to issue join tokens for
	// Public lets matchmaking fill the room and lists it in GET /v1/rooms; by default a service room is private.
	Public bool `json:"public,omitempty"`
}

// TokensRequest is the body of POST /v1/service/rooms/{id}/tokens.
type TokensRequest struct {
	Players []string `json:"players"`
}

// EndRequest is the (optional) body of POST /v1/service/rooms/{id}/end.
type EndRequest struct {
	Reason string `json:"reason,omitempty"` // default "ended_by_service"
}

// RoomStatus describes a room.
type RoomStatus struct {
	RoomID   string `json:"room_id"`
	Mode     string `json:"mode"`
	Players  int    `json:"players"`
	Capacity int    `json:"capacity"`
	State    string `json:"state"`
	Private  bool   `json:"private"`
}

// RoomGrant is a room plus join tokens: players connect to Address and send Join{join_token}.
type RoomGrant struct {
	RoomStatus
	Address string            `json:"address"`
	Seats   []matchmaker.Seat `json:"seats"`
}

func statusOf(info matchmaker.RoomInfo) RoomStatus {
	return RoomStatus{RoomID: info.ID, Mode: info.Mode, Players: info.Players, Capacity: info.Capacity,
		State: info.State, Private: info.Private}
}

func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/service/rooms", s.handleCreate)
	mux.HandleFunc("GET /v1/service/rooms/{id}", s.handleRoom)
	mux.HandleFunc("POST /v1/service/rooms/{id}/tokens", s.handleTokens)
	mux.HandleFunc("POST /v1/service/rooms/{id}/end", s.handleEnd)
	mux.HandleFunc("POST /v1/service/rooms/{id}/move", s.handleMove)
	mux.HandleFunc("POST /v1/service/rooms/{id}/events", s.handlePush)
	mux.HandleFunc("POST /v1/service/rooms/{id}/messages", s.handleSignal)
	mux.HandleFunc("GET /v1/service/events", s.handleStream)
	mux.HandleFunc("/v1/service/", func(w http.ResponseWriter, r *http.Request) {
		matchmaker.WriteError(w, http.StatusNotFound, "not_found", "no such route")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.APIKey == "" {
			matchmaker.WriteError(w, http.StatusNotFound, "not_found", "the service API is not enabled")
			return
		}
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tickwire-service"`)
			matchmaker.WriteError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong API key (X-API-Key)")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (s *Service) checkPlayers(w http.ResponseWriter, players []string) bool {
	if len(players) > s.cfg.MaxPlayersPerRequest {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "too many players in one request")
		return false
	}
	seen := make(map[string]bool, len(players))
	for _, p := range players {
		if !validName(p) || seen[p] {
			matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "player names must be distinct, 1-32 bytes of UTF-8")
			return false
		}
		seen[p] = true
	}
	return true
}

// grant issues a join token per player for room info.
func (s *Service) grant(w http.ResponseWriter, r *http.Request, status int, info matchmaker.RoomInfo, players []string) {
	g := RoomGrant{RoomStatus: statusOf(info), Address: matchmaker.WSAddress(s.cfg.PublicURL, r), Seats: []matchmaker.Seat{}}
	for _, p := range players {
		tok, err := s.tokens.Issue(info.ID, matchmaker.Player{Name: p})
		if err != nil {
			s.log.Warn("service: cannot issue a join token", "room", info.ID, "err", err)
			matchmaker.WriteError(w, http.StatusInternalServerError, "internal", "cannot issue a join token")
			return
		}
		g.Seats = append(g.Seats, matchmaker.Seat{Player: p, JoinToken: tok})
	}
	matchmaker.WriteJSON(w, status, g)
}

func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) {
	var req CreateRoomRequest
	if err := matchmaker.DecodeJSON(w, r, &req); err != nil {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "invalid JSON body: "+err.Error())
		return
	}
	capacity, ok := s.rooms.Capacity(req.Mode)
	if !ok {
		matchmaker.WriteError(w, http.StatusBadRequest, "unknown_mode", "mode "+quote(req.Mode)+" is not registered")
		return
	}
	if !s.checkPlayers(w, req.Players) {
		return
	}
	if len(req.Players) > capacity {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "more players than the room holds")
		return
	}
	if len(req.Settings) > matchmaker.MaxSettings {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "too many settings")
		return
	}
	info, err := s.rooms.Create(req.Mode, req.Settings, !req.Public)
	if err != nil {
		if errors.Is(err, matchmaker.ErrUnknownMode) {
			matchmaker.WriteError(w, http.StatusBadRequest, "unknown_mode", err.Error())
			return
		}
		s.log.Warn("service: cannot create a room", "mode", req.Mode, "err", err)
		matchmaker.WriteError(w, http.StatusServiceUnavailable, "unavailable", "cannot create the room: "+err.Error())
		return
	}
	w.Header().Set("Location", "/v1/service/rooms/"+info.ID)
	s.grant(w, r, http.StatusCreated, info, req.Players)
}

func (s *Service) room(w http.ResponseWriter, r *http.Request) (matchmaker.RoomInfo, bool) {
	info, ok := s.rooms.Get(r.PathValue("id"))
	if !ok {
		matchmaker.WriteError(w, http.StatusNotFound, "room_not_found", "no room "+quote(r.PathValue("id")))
	}
	return info, ok
}

func (s *Service) handleRoom(w http.ResponseWriter, r *http.Request) {
	if info, ok := s.room(w, r); ok {
		matchmaker.WriteJSON(w, http.StatusOK, statusOf(info))
	}
}

func (s *Service) handleTokens(w http.ResponseWriter, r *http.Request) {
	var req TokensRequest
	if err := matchmaker.DecodeJSON(w, r, &req); err != nil {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "invalid JSON body: "+err.Error())
		return
	}
	if !s.checkPlayers(w, req.Players) {
		return
	}
	info, ok := s.room(w, r)
	if !ok {
		return
	}
	if info.State == matchmaker.StateEnded {
		matchmaker.WriteError(w, http.StatusConflict, "room_ended", "the room has ended")
		return
	}
	s.grant(w, r, http.StatusOK, info, req.Players)
}

func (s *Service) handleEnd(w http.ResponseWriter, r *http.Request) {
	var req EndRequest
	if err := matchmaker.DecodeJSON(w, r, &req); err != nil && !errors.Is(err, io.EOF) {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "invalid JSON body: "+err.Error())
		return
	}
	if req.Reason == "" {
		req.Reason = "ended_by_service"
	}
	if len(req.Reason) > MaxEventText {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "reason too long")
		return
	}
	id := r.PathValue("id")
	if err := s.rooms.End(id, req.Reason); err != nil {
		s.writeRoomError(w, id, err)
		return
	}
	info, ok := s.rooms.Get(id)
	if !ok { // already gone: it ended
		info = matchmaker.RoomInfo{ID: id, State: matchmaker.StateEnded}
	}
	matchmaker.WriteJSON(w, http.StatusOK, statusOf(info))
}

func (s *Service) handlePush(w http.ResponseWriter, r *http.Request) {
	var ev ServerEvent
	if err := matchmaker.DecodeJSON(w, r, &ev); err != nil {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "invalid JSON body: "+err.Error())
		return
	}
	if err := validateServerEvent(&ev); err != nil {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	id := r.PathValue("id")
	if err := s.rooms.Broadcast(id, ev); err != nil {
		s.writeRoomError(w, id, err)
		return
	}
	mode := ""
	if info, ok := s.rooms.Get(id); ok {
		mode = info.Mode
	}
	s.Publish(Event{Type: EventServer, RoomID: id, Mode: mode, PlayerID: ev.PlayerID, Reason: ev.Type, Text: ev.Text, Args: ev.Args})
	matchmaker.WriteJSON(w, http.StatusAccepted, struct {
		Status string `json:"status"`
	}{"accepted"})
}

// handleSignal hands a message to the room's game and answers with its reply (200) or 202 when it had none.
func (s *Service) handleSignal(w http.ResponseWriter, r *http.Request) {
	var req SignalRequest
	if err := matchmaker.DecodeJSON(w, r, &req); err != nil {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "invalid JSON body: "+err.Error())
		return
	}
	payload := req.Payload
	switch {
	case req.Type == "" || len(req.Type) > game.MaxMessageType || !utf8.ValidString(req.Type):
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("type must be 1-%d bytes of UTF-8", game.MaxMessageType))
		return
	case len(req.Payload) > 0 && req.Text != "":
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "set payload or text, not both")
		return
	case req.Text != "":
		payload = []byte(req.Text)
	}
	if len(payload) > game.MaxMessageBytes {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("payload larger than %d bytes", game.MaxMessageBytes))
		return
	}
	id := r.PathValue("id")
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.SignalTimeout)
	defer cancel()
	reply, err := s.rooms.Signal(ctx, id, req.Type, payload)
	switch {
	case err == nil && reply == nil:
		matchmaker.WriteJSON(w, http.StatusAccepted, struct {
			Status string `json:"status"`
		}{"accepted"})
	case err == nil:
		out := SignalReply{Reply: reply}
		if utf8.Valid(reply) {
			out.ReplyText = string(reply)
		}
		matchmaker.WriteJSON(w, http.StatusOK, out)
	case errors.Is(err, ErrNotSupported):
		matchmaker.WriteError(w, http.StatusConflict, "not_supported", "the room's game does not take messages")
	case errors.Is(err, ErrRoomBusy):
		matchmaker.WriteError(w, http.StatusServiceUnavailable, "room_busy", "the room's message queue is full; retry later")
	case errors.Is(err, context.DeadlineExceeded):
		matchmaker.WriteError(w, http.StatusGatewayTimeout, "timeout", "the game did not handle the message in time")
	default:
		s.writeRoomError(w, id, err)
	}
}

func (s *Service) writeRoomError(w http.ResponseWriter, id string, err error) {
	if errors.Is(err, matchmaker.ErrRoomNotFound) {
		matchmaker.WriteError(w, http.StatusNotFound, "room_not_found", "no room "+quote(id))
		return
	}
	s.log.Warn("service: room command failed", "room", id, "err", err)
	matchmaker.WriteError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return `"` + s + `"`
}
