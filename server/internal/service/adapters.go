package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/session"
)

// DirectoryRooms adapts the server's room directory to Rooms (and so to matchmaker.Rooms).
type DirectoryRooms struct{ D *directory.Directory }

var (
	_ Rooms                   = DirectoryRooms{}
	_ matchmaker.Tokens       = SessionTokens{}
	_ matchmaker.SeatReserver = DirectoryRooms{}
)

func stateName(s room.State) string {
	switch s {
	case room.StateWaiting:
		return matchmaker.StateWaiting
	case room.StateRunning:
		return matchmaker.StateRunning
	}
	return matchmaker.StateEnded
}

func infoOf(i room.Info, private bool) matchmaker.RoomInfo {
	return matchmaker.RoomInfo{ID: i.ID, Mode: i.Mode, Players: i.Players, Capacity: i.Capacity,
		State: stateName(i.State), Private: private}
}

// Capacity implements matchmaker.Rooms.
func (a DirectoryRooms) Capacity(mode string) (int, bool) { return a.D.Capacity(mode) }

// Create implements matchmaker.Rooms.
func (a DirectoryRooms) Create(mode string, settings map[string]string, private bool) (matchmaker.RoomInfo, error) {
	r, err := a.D.Create(mode, directory.CreateOptions{Settings: settings, Private: private})
	if errors.Is(err, directory.ErrUnknownMode) {
		return matchmaker.RoomInfo{}, fmt.Errorf("%w: %w", matchmaker.ErrUnknownMode, err)
	}
	if err != nil {
		return matchmaker.RoomInfo{}, err
	}
	return infoOf(r.Info(), r.Private), nil
}

// Get implements matchmaker.Rooms.
func (a DirectoryRooms) Get(id string) (matchmaker.RoomInfo, bool) {
	r, ok := a.D.Get(id)
	if !ok {
		return matchmaker.RoomInfo{}, false
	}
	return infoOf(r.Info(), r.Private), true
}

// List implements matchmaker.Rooms.
func (a DirectoryRooms) List() []matchmaker.RoomInfo {
	ls := a.D.List("", true)
	out := make([]matchmaker.RoomInfo, len(ls))
	for i, l := range ls {
		out[i] = infoOf(l.Info, l.Private)
	}
	return out
}

// Reserve implements matchmaker.SeatReserver: the room itself holds the placed players' seats.
func (a DirectoryRooms) Reserve(roomID string, keys []string, ttl time.Duration) error {
	err := a.D.Reserve(roomID, keys, ttl)
	switch {
	case errors.Is(err, directory.ErrNotFound), errors.Is(err, room.ErrEnded):
		return fmt.Errorf("%w: %w", matchmaker.ErrRoomNotFound, err)
	case errors.Is(err, room.ErrFull):
		return fmt.Errorf("%w: %w", matchmaker.ErrRoomFull, err)
	}
	return err
}

// End implements Rooms.
func (a DirectoryRooms) End(id, reason string) error {
	r, ok := a.D.Get(id)
	if !ok {
		return matchmaker.ErrRoomNotFound
	}
	r.End(reason)
	return nil
}

// Broadcast implements Rooms.
func (a DirectoryRooms) Broadcast(id string, ev ServerEvent) error {
	r, ok := a.D.Get(id)
	if !ok {
		return matchmaker.ErrRoomNotFound
	}
	ge := game.Event{Type: ev.Type, Player: game.PlayerID(ev.PlayerID), NArgs: uint8(len(ev.Args))}
	copy(ge.Args[:], ev.Args)
	if err := r.Broadcast(ge, ev.Text); err != nil {
		if errors.Is(err, room.ErrEnded) {
			return fmt.Errorf("%w: %w", matchmaker.ErrRoomNotFound, err)
		}
		return err
	}
	return nil
}

// Signal implements Rooms.
func (a DirectoryRooms) Signal(ctx context.Context, id, typ string, payload []byte) ([]byte, error) {
	r, ok := a.D.Get(id)
	if !ok {
		return nil, matchmaker.ErrRoomNotFound
	}
	reply, err := r.Signal(ctx, typ, payload)
	switch {
	case errors.Is(err, room.ErrEnded):
		return nil, fmt.Errorf("%w: %w", matchmaker.ErrRoomNotFound, err)
	case errors.Is(err, room.ErrNotSupported):
		return nil, fmt.Errorf("%w: %w", ErrNotSupported, err)
	case errors.Is(err, room.ErrMessageQueueFull):
		return nil, fmt.Errorf("%w: %w", ErrRoomBusy, err)
	}
	return reply, err
}

// SessionTokens adapts the server's token table to matchmaker.Tokens.
type SessionTokens struct {
	T *session.Tokens
	// TTL is each token's lifetime (0: the table's maximum). Keep matchmaker.Config.JoinTTL equal to it.
	TTL time.Duration
}

// Issue implements matchmaker.Tokens.
func (a SessionTokens) Issue(roomID string, p matchmaker.Player) (string, error) {
	return a.T.IssueJoinGrant(session.JoinGrant{RoomID: roomID, Name: p.Name, UserID: p.UserID, Claims: p.Claims,
		Verified: p.Verified}, a.TTL), nil
}

// OnRoomEvent publishes a room event (the directory's Config.OnEvent, or one of the server's event listeners). It
// runs on the room's goroutine and never blocks: the room's mode is looked up in the directory (a map read under a
// lock the directory never holds while calling into rooms) when d is not nil.
func (s *Service) OnRoomEvent(ev room.Event, d *directory.Directory) { s.Publish(s.event(ev, d)) }

// event is the hub's Event of a room event (stamped with the current time).
func (s *Service) event(ev room.Event, d *directory.Directory) Event {
	out := Event{Time: time.Now().UTC(), Type: ev.Type, RoomID: ev.Room, Epoch: ev.Epoch, Tick: ev.Tick, PlayerID: uint32(ev.Player),
		Player: ev.Name, UserID: ev.UserID, Verified: ev.Verified, Reason: ev.Reason}
	if ev.Type == room.EventCreated {
		out.Type = EventRoomCreated
	}
	if d != nil {
		if r, ok := d.Get(ev.Room); ok {
			out.Mode = r.Mode
		}
	}
	if len(ev.Results) > 0 {
		out.Results = make([]PlayerScore, len(ev.Results))
		for i, r := range ev.Results {
			out.Results[i] = PlayerScore{PlayerID: uint32(r.Player), Name: r.Name, UserID: r.UserID,
				Verified: r.Verified, Score: r.Score, Rank: r.Rank}
		}
	}
	return out
}
