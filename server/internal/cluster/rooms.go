package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/service"
)

// Rooms is the cluster's room directory as the matchmaker and the service API use it: every room of every live node;
// operations on a room run on the room's node. New rooms go to the node with the most headroom.
type Rooms struct{ n *Node }

var (
	_ service.Rooms           = Rooms{}
	_ matchmaker.SeatReserver = Rooms{}
	_ matchmaker.Tokens       = Rooms{}
)

// Rooms returns the node's cluster-wide Rooms (also its matchmaker.Tokens: join tokens are issued by the room's node).
func (n *Node) Rooms() Rooms { return Rooms{n} }

// defaultRoomCost is the tick cost (cores) assumed for a room placed on a node that has not measured one yet: a full
// arena room (16 players at 30 Hz) costs about this.
const defaultRoomCost = 0.01

// pickNode returns the live node with the most headroom, counting the rooms this node placed on each since its last
// heartbeat at their measured (or assumed) cost.
func (n *Node) pickNode() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	best, bestScore, bestPlayers := "", 0.0, 0
	consider := func(info NodeInfo) {
		cost := defaultRoomCost
		if info.Rooms > 0 && info.TickCost > 0 {
			cost = info.TickCost / float64(info.Rooms)
		}
		score := info.Headroom - float64(n.placed[info.ID])*cost
		if best == "" || score > bestScore || (score == bestScore && (info.Players < bestPlayers ||
			info.Players == bestPlayers && info.ID < best)) {
			best, bestScore, bestPlayers = info.ID, score, info.Players
		}
	}
	for id, p := range n.nodes {
		if id != n.cfg.NodeID && !p.info.Draining && n.liveLocked(id, now) {
			consider(p.info)
		}
	}
	if !n.left && !n.paused {
		consider(n.self)
	}
	if best != "" {
		n.placed[best]++
	}
	return best
}

// createLocal creates a room here and writes it to the directory at once.
func (n *Node) createLocal(mode string, settings map[string]string, private bool) (matchmaker.RoomInfo, error) {
	info, err := n.rooms.Create(mode, settings, private)
	if err != nil {
		return info, err
	}
	n.publishRoom(info.ID)
	info.Address = n.wsURL
	return info, nil
}

// entryFor is the directory entry of a local room just created.
func (n *Node) entryFor(info matchmaker.RoomInfo) RoomEntry {
	n.mu.Lock()
	e, ok := n.dirRooms[info.ID]
	n.mu.Unlock()
	if ok {
		return e
	}
	return RoomEntry{Node: n.cfg.NodeID, Addr: n.wsURL, Mode: info.Mode, Players: info.Players,
		Capacity: info.Capacity, Open: info.Capacity - info.Players, State: info.State, Private: info.Private,
		Created: time.Now().UTC()}
}

func infoOfEntry(id string, e RoomEntry) matchmaker.RoomInfo {
	return matchmaker.RoomInfo{ID: id, Mode: e.Mode, Players: e.Players, Capacity: e.Capacity, State: e.State,
		Private: e.Private, Address: e.Addr}
}

// owner returns the node of room id ("" and false: no live node has it).
func (n *Node) owner(id string) (string, bool) {
	if _, ok := n.local.Dir.Get(id); ok {
		return n.cfg.NodeID, true
	}
	n.mu.Lock()
	e, ok := n.dirRooms[id]
	live := ok && n.liveLocked(e.Node, time.Now())
	n.mu.Unlock()
	if live {
		return e.Node, true
	}
	return "", false
}

// Capacity implements matchmaker.Rooms (every node registers the same modes).
func (r Rooms) Capacity(mode string) (int, bool) { return r.n.local.Dir.Capacity(mode) }

// Create implements matchmaker.Rooms: the room starts on the node with the most headroom.
func (r Rooms) Create(mode string, settings map[string]string, private bool) (matchmaker.RoomInfo, error) {
	n := r.n
	if _, ok := n.local.Dir.Capacity(mode); !ok {
		return matchmaker.RoomInfo{}, fmt.Errorf("%w: %q", matchmaker.ErrUnknownMode, mode)
	}
	target := n.pickNode()
	if target == "" || target == n.cfg.NodeID {
		return n.createLocal(mode, settings, private)
	}
	out, err := n.call(context.Background(), target, &request{Op: "create", Mode: mode, Settings: settings,
		Private: private})
	if err != nil {
		if errors.Is(err, matchmaker.ErrUnknownMode) {
			return matchmaker.RoomInfo{}, err
		}
		n.log.Warn("cluster: creating a room on another node failed; creating it here", "peer", target, "err", err)
		return n.createLocal(mode, settings, private)
	}
	if out.Room == nil || out.ID == "" {
		return matchmaker.RoomInfo{}, errors.New("cluster: empty create reply")
	}
	n.mu.Lock()
	n.dirRooms[out.ID] = *out.Room
	n.mu.Unlock()
	return infoOfEntry(out.ID, *out.Room), nil
}

// Get implements matchmaker.Rooms.
func (r Rooms) Get(id string) (matchmaker.RoomInfo, bool) {
	n := r.n
	if info, ok := n.rooms.Get(id); ok {
		info.Address = n.wsURL
		return info, true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	e, ok := n.dirRooms[id]
	if !ok || !n.liveLocked(e.Node, time.Now()) {
		return matchmaker.RoomInfo{}, false
	}
	return infoOfEntry(id, e), true
}

// List implements matchmaker.Rooms: this node's rooms as they are now, the others' as last published.
func (r Rooms) List() []matchmaker.RoomInfo {
	n := r.n
	out := n.rooms.List()
	local := make(map[string]bool, len(out))
	for i := range out {
		out[i].Address = n.wsURL
		local[out[i].ID] = true
	}
	n.mu.Lock()
	now := time.Now()
	type remote struct {
		info    matchmaker.RoomInfo
		created time.Time
	}
	var rs []remote
	for id, e := range n.dirRooms {
		if !local[id] && e.Node != n.cfg.NodeID && n.liveLocked(e.Node, now) {
			rs = append(rs, remote{infoOfEntry(id, e), e.Created})
		}
	}
	n.mu.Unlock()
	sort.Slice(rs, func(i, j int) bool { return rs[i].created.Before(rs[j].created) })
	for _, x := range rs {
		out = append(out, x.info)
	}
	return out
}

// Reserve implements matchmaker.SeatReserver on the room's node.
func (r Rooms) Reserve(roomID string, keys []string, ttl time.Duration) error {
	node, ok := r.n.owner(roomID)
	switch {
	case !ok:
		return matchmaker.ErrRoomNotFound
	case node == r.n.cfg.NodeID:
		return r.n.rooms.Reserve(roomID, keys, ttl)
	}
	_, err := r.n.call(context.Background(), node, &request{Op: "reserve", Room: roomID, Keys: keys, TTL: ttl})
	return err
}

// Issue implements matchmaker.Tokens: the room's node issues the token, so that the player's join is checked there.
func (r Rooms) Issue(roomID string, p matchmaker.Player) (string, error) {
	node, ok := r.n.owner(roomID)
	switch {
	case !ok:
		return "", matchmaker.ErrRoomNotFound
	case node == r.n.cfg.NodeID:
		return r.n.toks.Issue(roomID, p)
	}
	out, err := r.n.call(context.Background(), node, &request{Op: "issue", Room: roomID, Player: &p})
	return out.Token, err
}

// End implements service.Rooms.
func (r Rooms) End(id, reason string) error {
	node, ok := r.n.owner(id)
	switch {
	case !ok:
		return matchmaker.ErrRoomNotFound
	case node == r.n.cfg.NodeID:
		return r.n.rooms.End(id, reason)
	}
	_, err := r.n.call(context.Background(), node, &request{Op: "end", Room: id, Reason: reason})
	return err
}

// Broadcast implements service.Rooms.
func (r Rooms) Broadcast(id string, ev service.ServerEvent) error {
	node, ok := r.n.owner(id)
	switch {
	case !ok:
		return matchmaker.ErrRoomNotFound
	case node == r.n.cfg.NodeID:
		return r.n.rooms.Broadcast(id, ev)
	}
	_, err := r.n.call(context.Background(), node, &request{Op: "broadcast", Room: id, Event: &ev})
	return err
}

// Signal implements service.Rooms: the room's node waits (at most until ctx is done) for the game's reply.
func (r Rooms) Signal(ctx context.Context, id, typ string, payload []byte) ([]byte, error) {
	node, ok := r.n.owner(id)
	switch {
	case !ok:
		return nil, matchmaker.ErrRoomNotFound
	case node == r.n.cfg.NodeID:
		return r.n.rooms.Signal(ctx, id, typ, payload)
	}
	wait := r.n.cfg.RequestTimeout
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	rctx, cancel := context.WithTimeout(ctx, wait+100*time.Millisecond) // the node answers its own timeout first
	defer cancel()
	out, err := r.n.call(rctx, node, &request{Op: "signal", Room: id, Type: typ, Payload: payload, TTL: wait})
	return out.Reply, err
}

// infoOf is a local room's RoomInfo (empty when it is gone).
func (n *Node) infoOf(id string) matchmaker.RoomInfo {
	info, _ := n.rooms.Get(id)
	return info
}
