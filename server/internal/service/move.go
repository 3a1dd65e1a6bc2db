package service

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/tickwire/tickwire/server/internal/matchmaker"
)

// Mover is implemented by the Rooms of a cluster node: Move moves a running room to another node (live migration:
// its players are redirected and resume there), node "" meaning the live node with the most headroom. It returns the
// room as it runs now (Address: its node's WebSocket URL). ErrRoomNotFound for no such room, ErrCannotMove for a
// node that cannot take it.
type Mover interface {
	Move(ctx context.Context, id, node string) (matchmaker.RoomInfo, error)
}

// ErrCannotMove: the node named to move a room to is not a live node taking rooms, or runs the room already.
var ErrCannotMove = errors.New("service: the room cannot be moved there")

// MoveRequest is the (optional) body of POST /v1/service/rooms/{id}/move.
type MoveRequest struct {
	Node string `json:"node,omitempty"` // the node to move the room to; empty: the one with the most headroom
}

// MovedRoom answers POST /v1/service/rooms/{id}/move: the room where it runs now.
type MovedRoom struct {
	RoomStatus
	Address string `json:"address"` // the WebSocket URL of the room's node
}

// moveTimeout bounds one move request (an export, the imports tried, the first tick on the new node).
const moveTimeout = 15 * time.Second

func (s *Service) handleMove(w http.ResponseWriter, r *http.Request) {
	var req MoveRequest
	if err := matchmaker.DecodeJSON(w, r, &req); err != nil && !errors.Is(err, io.EOF) {
		matchmaker.WriteError(w, http.StatusBadRequest, "bad_request", "invalid JSON body: "+err.Error())
		return
	}
	m, ok := s.rooms.(Mover)
	if !ok {
		matchmaker.WriteError(w, http.StatusNotImplemented, "not_supported", "rooms move only between cluster nodes")
		return
	}
	id := r.PathValue("id")
	ctx, cancel := context.WithTimeout(r.Context(), moveTimeout)
	defer cancel()
	info, err := m.Move(ctx, id, req.Node)
	if errors.Is(err, ErrCannotMove) {
		matchmaker.WriteError(w, http.StatusConflict, "cannot_move", err.Error())
		return
	}
	if err != nil {
		s.writeRoomError(w, id, err)
		return
	}
	matchmaker.WriteJSON(w, http.StatusOK, MovedRoom{RoomStatus: statusOf(info), Address: info.Address})
}
