package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/service"
	"github.com/tickwire/tickwire/server/internal/session"
)

// Local is what a node serves from its own process.
type Local struct {
	Dir    *directory.Directory
	Tokens *session.Tokens
	// JoinTTL is the lifetime of the join tokens issued for other nodes' matchmakers and service APIs.
	JoinTTL time.Duration
	// Load measures the rooms' tick cost (the directory's Observer must be it).
	Load *LoadObserver
}

// Node is one process of the cluster: it announces itself, publishes its rooms, serves its peers' requests, and
// holds the matchmaking lease when it wins it.
type Node struct {
	// Static after construction.
	cfg      Config
	log      *slog.Logger
	wsURL    string
	httpBase string
	local    Local
	rooms    service.DirectoryRooms
	toks     service.SessionTokens

	// Set by Start, static after it (ncReady tells the goroutines that may run before Start, metrics scrapes and
	// room events, that nc is set).
	nc                         *nats.Conn
	ncReady                    atomic.Bool
	nodesKV, roomsKV, leaderKV jetstream.KeyValue
	stop                       context.CancelFunc
	wg                         sync.WaitGroup
	publish                    func(service.Event) // hands a peer's room event to this node's hub

	mu        sync.Mutex
	nodes     map[string]peer      // from the heartbeats (this node's own included)
	dirRooms  map[string]RoomEntry // the cluster's rooms as last seen in the bucket (or created through this node)
	published map[string]RoomEntry // what this node last wrote for each of its rooms
	placed    map[string]int       // rooms this node placed on each node since that node's last heartbeat
	leader    string               // the lease holder as last seen ("": none known)
	leaseRev  uint64               // > 0 while this node holds the lease
	paused    bool                 // heartbeats stopped (PauseHeartbeat)
	left      bool                 // Leave was called
	lastTick  time.Duration        // LoadObserver.TickTime at the last heartbeat
	lastBeat  time.Time
	self      NodeInfo         // this node's last heartbeat
	moved     map[string]*move // rooms migrated away (or on their way)

	redirects atomic.Int64 // players of migrated rooms not yet redirected (WaitRedirects)

	mig *migration // live migration (migrate.go): its own lock

	// Crash recovery (recovery.go, stream.go). Set by Start, static after it; rec is guarded by mu.
	ckptKV  jetstream.KeyValue
	journal jetstream.Stream
	streams atomic.Pointer[streamer]
	rec     recoveryState
}

// peer is a node as last heard.
type peer struct {
	info NodeInfo
	seen time.Time
}

// New makes a node (not yet connected: Start connects).
func New(cfg Config, local Local) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if local.Dir == nil || local.Tokens == nil || local.Load == nil {
		return nil, errors.New("cluster: Local needs Dir, Tokens and Load")
	}
	ws, base, _ := addrURLs(cfg.NodeAddr)
	return &Node{
		cfg: cfg, log: cfg.Logger.With("node", cfg.NodeID), wsURL: ws, httpBase: base, local: local,
		rooms: service.DirectoryRooms{D: local.Dir}, toks: service.SessionTokens{T: local.Tokens, TTL: local.JoinTTL},
		nodes: map[string]peer{}, dirRooms: map[string]RoomEntry{}, published: map[string]RoomEntry{},
		placed: map[string]int{}, moved: map[string]*move{}, mig: newMigration(),
	}, nil
}

// ID is the node's id.
func (n *Node) ID() string { return n.cfg.NodeID }

// Addr is the players' WebSocket URL of this node.
func (n *Node) Addr() string { return n.wsURL }

// Start connects to NATS, makes the buckets (when missing), starts watching them, answers peers and starts the
// heartbeat. publish receives the room events of the other nodes (for the local event hub); nil: dropped.
func (n *Node) Start(ctx context.Context, publish func(service.Event)) error {
	nc, err := nats.Connect(n.cfg.URL, nats.Name("tickwire "+n.cfg.NodeID), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond))
	if err != nil {
		return fmt.Errorf("cluster: connect %s: %w", n.cfg.URL, err)
	}
	n.nc = nc
	n.publish = publish
	if err := n.setup(ctx); err != nil {
		nc.Close()
		return err
	}
	n.ncReady.Store(true)
	return nil
}

func (n *Node) setup(ctx context.Context) error {
	js, err := jetstream.New(n.nc)
	if err != nil {
		return fmt.Errorf("cluster: jetstream: %w", err)
	}
	kv := func(name string, ttl time.Duration) (jetstream.KeyValue, error) {
		b, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, TTL: ttl, History: 1,
			Storage: jetstream.MemoryStorage})
		if err != nil {
			return nil, fmt.Errorf("cluster: bucket %s: %w", name, err)
		}
		return b, nil
	}
	if n.nodesKV, err = kv(bucketNodes, n.cfg.Expiry); err != nil {
		return err
	}
	if n.roomsKV, err = kv(bucketRooms, 0); err != nil {
		return err
	}
	if n.leaderKV, err = kv(bucketLeader, n.cfg.Expiry); err != nil {
		return err
	}
	if err := n.setupStreams(ctx, js, kv); err != nil {
		return err
	}
	if _, err := n.nc.Subscribe(subjectNode+n.cfg.NodeID, func(m *nats.Msg) { go n.serve(m) }); err != nil {
		return fmt.Errorf("cluster: subscribe: %w", err)
	}
	if _, err := n.nc.Subscribe(subjectWhere, n.serveWhere); err != nil {
		return fmt.Errorf("cluster: subscribe: %w", err)
	}
	if _, err := n.nc.Subscribe(subjectEvent+"*", n.onEvent); err != nil {
		return fmt.Errorf("cluster: subscribe: %w", err)
	}
	wctx, stop := context.WithCancel(context.Background())
	n.stop = stop
	nw, err := n.nodesKV.WatchAll(wctx)
	if err != nil {
		stop()
		return fmt.Errorf("cluster: watch: %w", err)
	}
	rw, err := n.roomsKV.WatchAll(wctx)
	if err != nil {
		stop()
		return fmt.Errorf("cluster: watch: %w", err)
	}
	lw, err := n.leaderKV.Watch(wctx, leaseKey)
	if err != nil {
		stop()
		return fmt.Errorf("cluster: watch: %w", err)
	}
	n.lastTick, n.lastBeat = n.local.Load.TickTime(), time.Now()
	n.beat(ctx) // announce at once: peers can place rooms here from now on
	n.wg.Add(5)
	go n.streams.Load().run(wctx)
	go n.watchNodes(nw)
	go n.watchRooms(rw)
	go n.watchLeader(lw)
	go n.heartbeatLoop(wctx)
	n.log.Info("cluster node started", "nats", n.cfg.URL, "addr", n.wsURL)
	return nil
}

// heartbeatLoop announces the node, syncs its rooms and renews (or tries to take) the matchmaking lease.
func (n *Node) heartbeatLoop(ctx context.Context) {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.beat(ctx)
		}
	}
}

// beat is one heartbeat.
func (n *Node) beat(ctx context.Context) {
	n.mu.Lock()
	if n.paused || n.left {
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, n.cfg.RequestTimeout)
	defer cancel()
	info := n.measure(time.Now())
	if b, err := json.Marshal(info); err == nil {
		if _, err := n.nodesKV.Put(ctx, n.cfg.NodeID, b); err != nil {
			n.log.Warn("cluster: heartbeat failed", "err", err)
		}
	}
	n.syncRooms(ctx)
	n.lease(ctx)
	n.expire(time.Now())
}

// measure computes this node's heartbeat.
func (n *Node) measure(now time.Time) NodeInfo {
	tick := n.local.Load.TickTime()
	n.mu.Lock()
	dt := now.Sub(n.lastBeat)
	cost := 0.0
	if dt > 0 {
		cost = float64(tick-n.lastTick) / float64(dt)
	}
	n.lastTick, n.lastBeat = tick, now
	n.mu.Unlock()
	ls := n.local.Dir.List("", true)
	players := 0
	for _, l := range ls {
		players += l.Players
	}
	info := NodeInfo{ID: n.cfg.NodeID, Addr: n.wsURL, HTTP: n.httpBase, Players: players, Rooms: len(ls),
		TickCost: cost, Headroom: n.cfg.Cores - cost, At: now}
	n.mu.Lock()
	n.self = info
	n.mu.Unlock()
	return info
}

// expire forgets the nodes not heard from within Config.Expiry (and their rooms); the lease holder also deletes
// those rooms from the bucket.
func (n *Node) expire(now time.Time) {
	n.mu.Lock()
	var gone []goneRoom
	beats := map[string]time.Time{}
	for id, p := range n.nodes {
		if id != n.cfg.NodeID && now.Sub(p.seen) > n.cfg.Expiry {
			beats[id] = p.info.At
			delete(n.nodes, id)
			delete(n.placed, id)
			n.log.Info("cluster: node gone", "peer", id)
		}
	}
	for id, e := range n.dirRooms {
		if _, ok := n.nodes[e.Node]; !ok && e.Node != n.cfg.NodeID {
			gone = append(gone, goneRoom{id: id, entry: e, beat: beats[e.Node]})
			delete(n.dirRooms, id)
		}
	}
	gone = n.orphansLocked(now, gone) // recovery.go: kept until the lease holder claimed or deleted them
	leader := n.leaseRev > 0
	n.mu.Unlock()
	if leader && len(gone) > 0 {
		n.claimRooms(gone) // rebuilt elsewhere when they can be (recovery.go), else deleted
	}
}

func (n *Node) watchNodes(w jetstream.KeyWatcher) {
	defer n.wg.Done()
	defer func() { _ = w.Stop() }()
	for e := range w.Updates() {
		if e == nil {
			continue // the end of the initial values
		}
		n.mu.Lock()
		if e.Operation() != jetstream.KeyValuePut {
			delete(n.nodes, e.Key())
			delete(n.placed, e.Key())
			n.mu.Unlock()
			continue
		}
		var info NodeInfo
		if json.Unmarshal(e.Value(), &info) == nil && info.ID == e.Key() {
			seen := time.Now()
			if c := e.Created(); c.Before(seen) {
				seen = c // a heartbeat replayed at the watch's start is as old as it is
			}
			n.nodes[info.ID] = peer{info: info, seen: seen}
			delete(n.placed, info.ID)
		}
		n.mu.Unlock()
	}
}

func (n *Node) watchRooms(w jetstream.KeyWatcher) {
	defer n.wg.Done()
	defer func() { _ = w.Stop() }()
	for e := range w.Updates() {
		if e == nil {
			continue
		}
		var re RoomEntry
		put := false
		n.mu.Lock()
		delete(n.rec.orphans, e.Key()) // claimed, deleted or written again: no longer waiting for the lease holder
		if e.Operation() != jetstream.KeyValuePut {
			delete(n.dirRooms, e.Key())
		} else if json.Unmarshal(e.Value(), &re) == nil {
			n.dirRooms[e.Key()] = re
			put = true
		}
		n.mu.Unlock()
		if put {
			n.onRoomEntry(e.Key(), re) // a claim for this node starts the room's rebuild (recovery.go)
		}
	}
}

func (n *Node) watchLeader(w jetstream.KeyWatcher) {
	defer n.wg.Done()
	defer func() { _ = w.Stop() }()
	for e := range w.Updates() {
		if e == nil {
			continue
		}
		n.mu.Lock()
		if e.Operation() == jetstream.KeyValuePut {
			n.leader = string(e.Value())
		} else {
			n.leader = ""
		}
		n.mu.Unlock()
	}
}

// entryOf is the directory entry of one of this node's rooms.
func (n *Node) entryOf(l directory.Listing) RoomEntry {
	open := l.Capacity - l.Players - l.Reserved
	if l.State == room.StateEnded || open < 0 {
		open = 0
	}
	return RoomEntry{Node: n.cfg.NodeID, Addr: n.wsURL, Mode: l.Mode, Players: l.Players, Capacity: l.Capacity,
		Open: open, State: stateName(l.State), Private: l.Private, Created: l.Created.UTC()}
}

// syncRooms writes what changed in this node's rooms to the bucket, and deletes the rooms that ended.
func (n *Node) syncRooms(ctx context.Context) {
	ls := n.local.Dir.List("", true)
	now := make(map[string]RoomEntry, len(ls))
	for _, l := range ls {
		now[l.ID] = n.entryOf(l)
	}
	n.mu.Lock()
	var put []string
	var del []string
	for id, e := range now {
		if old, ok := n.published[id]; !ok || old != e {
			put = append(put, id)
		}
	}
	for id := range n.published {
		if _, ok := now[id]; !ok {
			del = append(del, id)
		}
	}
	n.mu.Unlock()
	for _, id := range put {
		n.putRoom(ctx, id, now[id])
	}
	for _, id := range del {
		if err := n.roomsKV.Delete(ctx, id); err != nil {
			n.log.Debug("cluster: room delete failed", "room", id, "err", err)
			continue
		}
		n.mu.Lock()
		delete(n.published, id)
		n.mu.Unlock()
	}
}

func (n *Node) putRoom(ctx context.Context, id string, e RoomEntry) {
	b, _ := json.Marshal(e)
	if _, err := n.roomsKV.Put(ctx, id, b); err != nil {
		n.log.Debug("cluster: room put failed", "room", id, "err", err)
		return
	}
	n.mu.Lock()
	n.published[id] = e
	n.dirRooms[id] = e
	n.mu.Unlock()
}

// publishRoom writes one local room to the bucket at once (a room just created).
func (n *Node) publishRoom(id string) {
	r, ok := n.local.Dir.Get(id)
	if !ok {
		return
	}
	i := r.Info()
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.RequestTimeout)
	defer cancel()
	n.putRoom(ctx, id, n.entryOf(directory.Listing{Info: i, Private: r.Private, Created: r.Created}))
}

// PauseHeartbeat stops the node's announcements (its peers forget it within Config.Expiry) while it keeps serving
// its rooms: what a node cut off from NATS looks like to the others.
func (n *Node) PauseHeartbeat() {
	n.mu.Lock()
	n.paused = true
	n.mu.Unlock()
}

// Nodes returns the live nodes (this one included) by id.
func (n *Node) Nodes() map[string]NodeInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]NodeInfo, len(n.nodes))
	now := time.Now()
	for id, p := range n.nodes {
		if now.Sub(p.seen) <= n.cfg.Expiry {
			out[id] = p.info
		}
	}
	return out
}

// liveLocked reports whether node id is alive as far as this node knows.
func (n *Node) liveLocked(id string, now time.Time) bool {
	if id == n.cfg.NodeID {
		return !n.left
	}
	p, ok := n.nodes[id]
	return ok && now.Sub(p.seen) <= n.cfg.Expiry
}

// Leader is the node id holding the matchmaking lease as this node last saw it ("": none).
func (n *Node) Leader() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.leaseRev > 0 {
		return n.cfg.NodeID
	}
	return n.leader
}

// IsLeader reports whether this node holds the matchmaking lease.
func (n *Node) IsLeader() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leaseRev > 0
}

// Stats are the node's NATS traffic counters.
type Stats struct{ InMsgs, OutMsgs, InBytes, OutBytes uint64 }

// Stats returns the NATS traffic of this node's connection so far.
func (n *Node) Stats() Stats {
	if !n.ncReady.Load() {
		return Stats{}
	}
	s := n.nc.Stats()
	return Stats{InMsgs: s.InMsgs, OutMsgs: s.OutMsgs, InBytes: s.InBytes, OutBytes: s.OutBytes}
}

// Leave stops the heartbeat, releases the lease and removes the node from the cluster's view (its key), while its
// rooms keep running and its peers' requests are still answered: call it when the node starts draining.
func (n *Node) Leave() {
	n.mu.Lock()
	if n.left || !n.ncReady.Load() {
		n.mu.Unlock()
		return
	}
	n.left = true
	rev := n.leaseRev
	n.leaseRev = 0
	n.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.RequestTimeout)
	defer cancel()
	if rev > 0 {
		_ = n.leaderKV.Delete(ctx, leaseKey, jetstream.LastRevision(rev))
	}
	_ = n.nodesKV.Delete(ctx, n.cfg.NodeID)
}

// Close leaves (if not done), deletes the node's rooms from the directory and disconnects.
func (n *Node) Close() {
	if !n.ncReady.Load() {
		return
	}
	n.Leave()
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.RequestTimeout)
	n.mu.Lock()
	ids := make([]string, 0, len(n.published))
	for id := range n.published {
		ids = append(ids, id)
	}
	n.mu.Unlock()
	for _, id := range ids {
		_ = n.roomsKV.Delete(ctx, id)
		n.forgetStream(ctx, id) // recovery.go: nobody will rebuild it
	}
	cancel()
	if n.stop != nil {
		n.stop()
	}
	_ = n.nc.Drain()
	n.wg.Wait()
	n.nc.Close()
}

func stateName(s room.State) string {
	switch s {
	case room.StateWaiting:
		return matchmaker.StateWaiting
	case room.StateRunning:
		return matchmaker.StateRunning
	}
	return matchmaker.StateEnded
}
