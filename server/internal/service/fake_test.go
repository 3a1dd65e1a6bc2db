package service

import (
	"context"
	"fmt"
	"sync"

	"github.com/tickwire/tickwire/server/internal/matchmaker"
)

// fakeRooms is an in-memory room directory that records commands.
type fakeRooms struct {
	mu         sync.Mutex
	capacity   map[string]int
	rooms      map[string]*matchmaker.RoomInfo
	settings   map[string]map[string]string
	ended      map[string]string
	broadcasts map[string][]ServerEvent
	n          int
}

func newFakeRooms() *fakeRooms {
	return &fakeRooms{capacity: map[string]int{"arena": 16}, rooms: map[string]*matchmaker.RoomInfo{},
		settings: map[string]map[string]string{}, ended: map[string]string{}, broadcasts: map[string][]ServerEvent{}}
}

func (f *fakeRooms) Capacity(mode string) (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.capacity[mode]
	return c, ok
}

func (f *fakeRooms) Create(mode string, settings map[string]string, private bool) (matchmaker.RoomInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.capacity[mode]
	if !ok {
		return matchmaker.RoomInfo{}, matchmaker.ErrUnknownMode
	}
	f.n++
	info := &matchmaker.RoomInfo{ID: fmt.Sprintf("r%d", f.n), Mode: mode, Capacity: c, State: matchmaker.StateWaiting, Private: private}
	f.rooms[info.ID] = info
	f.settings[info.ID] = settings
	return *info, nil
}

func (f *fakeRooms) Get(id string) (matchmaker.RoomInfo, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.rooms[id]
	if !ok {
		return matchmaker.RoomInfo{}, false
	}
	return *r, true
}

func (f *fakeRooms) List() []matchmaker.RoomInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []matchmaker.RoomInfo
	for _, r := range f.rooms {
		out = append(out, *r)
	}
	return out
}

func (f *fakeRooms) End(id, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.rooms[id]
	if !ok {
		return matchmaker.ErrRoomNotFound
	}
	r.State = matchmaker.StateEnded
	f.ended[id] = reason
	return nil
}

func (f *fakeRooms) Broadcast(id string, ev ServerEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.rooms[id]; !ok {
		return matchmaker.ErrRoomNotFound
	}
	f.broadcasts[id] = append(f.broadcasts[id], ev)
	return nil
}

// Signal answers "ping" with "pong", "quiet" with no reply, and anything else as a game that takes no messages.
func (f *fakeRooms) Signal(_ context.Context, id, typ string, payload []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.rooms[id]; !ok {
		return nil, matchmaker.ErrRoomNotFound
	}
	switch typ {
	case "ping":
		return append([]byte("pong:"), payload...), nil
	case "quiet":
		return nil, nil
	}
	return nil, ErrNotSupported
}

type fakeTokens struct {
	mu     sync.Mutex
	n      int
	issued map[string][2]string
}

func (f *fakeTokens) Issue(roomID string, p matchmaker.Player) (string, error) {
	player := p.Name
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.issued == nil {
		f.issued = map[string][2]string{}
	}
	f.n++
	tok := fmt.Sprintf("tok%d", f.n)
	f.issued[tok] = [2]string{roomID, player}
	return tok, nil
}
