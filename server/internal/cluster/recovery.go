package cluster

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/journal"
	"github.com/tickwire/tickwire/server/internal/room"
)

// Crash recovery: when a node stops heartbeating (Config.Expiry), the matchmaking lease holder claims each of its
// rooms that has a snapshot in bucket tickwire_checkpoints for the live node with the most headroom: a
// revision-checked Update of the room's entry (node = the chosen one, state "recovering"), so a room is claimed once
// however many nodes noticed. The chosen node sees the claim in its watch of the rooms bucket and rebuilds the room
// (loadStream: the snapshot, then the chunks of the same generation in order, up to the first gap; replayed by
// room.Import, which checks the world hash of every tick), binds its players' resume tokens, and publishes the room
// as its own. A room without a snapshot is deleted from the directory, as before.

// stateRecovering is the state of a room entry claimed for a rebuild.
const stateRecovering = "recovering"

// Recovery is one room this node rebuilt from a dead node's stream.
type Recovery struct {
	Room string
	From string // the dead node
	// Tick is the last tick recovered; LostTicks the ticks after it the room ran again at once (with every input
	// missing) to get back to where its players saw it: the flush interval in ticks, more when the dead node's
	// stream had fallen behind its heartbeat.
	Tick      uint32
	LostTicks int
	Players   int           // seats rebuilt (every one in its grace period)
	Took      time.Duration // from the claim to the room running here
}

// recoveryState is the node's part in recoveries. Guarded by Node.mu.
type recoveryState struct {
	active map[string]bool // rooms being rebuilt here
	done   []Recovery
	failed int
	goneAt time.Time // when a node with rooms was last found gone
	// orphans are the rooms of nodes found gone that no write of the rooms bucket has touched since: the lease
	// holder claims (or deletes) them at its next heartbeat, also when it took the lease after they were found.
	orphans map[string]goneRoom
}

// orphansLocked adds the rooms just found gone to the orphans and returns every orphan. Called with Node.mu held.
func (n *Node) orphansLocked(now time.Time, gone []goneRoom) []goneRoom {
	if len(gone) > 0 {
		n.rec.goneAt = now
		if n.rec.orphans == nil {
			n.rec.orphans = map[string]goneRoom{}
		}
	}
	for _, g := range gone {
		g.found = now
		n.rec.orphans[g.id] = g
	}
	all := make([]goneRoom, 0, len(n.rec.orphans))
	for id, g := range n.rec.orphans {
		if now.Sub(g.found) > 10*n.cfg.Expiry { // given up on: no lease holder claimed it in all that time
			delete(n.rec.orphans, id)
			continue
		}
		all = append(all, g)
	}
	return all
}

// goneRoom is a room of a node found gone.
type goneRoom struct {
	id    string
	entry RoomEntry
	beat  time.Time // the node's last heartbeat (its own clock)
	found time.Time // when this node found it gone
}

// claimRooms is run by the lease holder for the rooms of nodes found gone: each is claimed for a live node, or
// deleted when it cannot be rebuilt.
func (n *Node) claimRooms(gone []goneRoom) {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.RequestTimeout)
	defer cancel()
	for _, g := range gone {
		kv, err := n.roomsKV.Get(ctx, g.id)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			n.dropOrphan(g.id) // deleted meanwhile
			continue
		}
		if err != nil {
			continue // tried again at the next heartbeat
		}
		var re RoomEntry
		if json.Unmarshal(kv.Value(), &re) != nil || re.Node != g.entry.Node {
			n.dropOrphan(g.id) // moved or claimed meanwhile
			continue
		}
		if n.ckptKV == nil {
			_ = n.roomsKV.Delete(ctx, g.id, jetstream.LastRevision(kv.Revision()))
			n.dropOrphan(g.id)
			continue
		}
		if _, err := n.ckptKV.Get(ctx, g.id); err != nil {
			if errors.Is(err, jetstream.ErrKeyNotFound) { // nothing to rebuild it from
				_ = n.roomsKV.Delete(ctx, g.id, jetstream.LastRevision(kv.Revision()))
				n.dropOrphan(g.id)
			}
			continue
		}
		target := n.pickNode()
		n.mu.Lock()
		addr := n.wsURL
		if target != n.cfg.NodeID {
			addr = n.nodes[target].info.Addr
		}
		n.mu.Unlock()
		if target == "" || addr == "" {
			continue
		}
		ne := re
		ne.Node, ne.Addr, ne.State, ne.Open, ne.From, ne.FromBeat = target, addr, stateRecovering, 0, re.Node, g.beat
		b, _ := json.Marshal(ne)
		if _, err := n.roomsKV.Update(ctx, g.id, b, kv.Revision()); err != nil {
			n.log.Debug("cluster: room claim lost", "room", g.id, "err", err)
			continue
		}
		n.dropOrphan(g.id)
		n.log.Info("cluster: room of a dead node claimed", "room", g.id, "from", re.Node, "to", target)
	}
}

func (n *Node) dropOrphan(id string) {
	n.mu.Lock()
	delete(n.rec.orphans, id)
	n.mu.Unlock()
}

// onRoomEntry sees every put of a room entry: a claim naming this node starts the rebuild.
func (n *Node) onRoomEntry(id string, re RoomEntry) {
	if re.Node != n.cfg.NodeID || re.State != stateRecovering {
		return
	}
	if _, ok := n.local.Dir.Get(id); ok {
		return
	}
	n.mu.Lock()
	if n.rec.active == nil {
		n.rec.active = map[string]bool{}
	}
	if n.rec.active[id] || n.left {
		n.mu.Unlock()
		return
	}
	n.rec.active[id] = true
	n.wg.Add(1)
	n.mu.Unlock()
	go n.recoverRoom(id, re)
}

// recoverRoom rebuilds a claimed room here.
func (n *Node) recoverRoom(id string, re RoomEntry) {
	defer n.wg.Done()
	start := time.Now()
	defer func() {
		n.mu.Lock()
		delete(n.rec.active, id)
		n.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 4*n.cfg.RequestTimeout)
	defer cancel()
	ex, err := n.loadStream(ctx, id, re.FromBeat)
	var r interface{ ID() string }
	if err == nil {
		var dr, ierr = n.local.Dir.Import(ex)
		if err = ierr; err == nil {
			r = dr
		}
	}
	if err != nil {
		n.log.Error("cluster: room of a dead node not recovered: its players lose it", "room", id, "from", re.From,
			"err", err)
		n.mu.Lock()
		n.rec.failed++
		n.mu.Unlock()
		_ = n.roomsKV.Delete(ctx, id)
		return
	}
	for _, p := range ex.Players {
		if len(p.ResumeToken) > 0 {
			n.local.Tokens.BindResume(p.ResumeToken, r.ID(), p.ID)
			n.local.Tokens.Disconnected(p.ResumeToken) // the player is in its grace period until it resumes
		}
	}
	n.publishRoom(id)
	rec := Recovery{Room: id, From: re.From, Tick: ex.Tick, LostTicks: ex.LostTicks, Players: len(ex.Players),
		Took: time.Since(start)}
	n.mu.Lock()
	n.rec.done = append(n.rec.done, rec)
	n.mu.Unlock()
	n.log.Info("cluster: room of a dead node recovered", "room", id, "from", re.From, "tick", rec.Tick,
		"lost_ticks", rec.LostTicks, "players", rec.Players, "took", rec.Took)
	if n.cfg.OnRecovered != nil {
		n.cfg.OnRecovered(rec)
	}
}

// Errors of a rebuild.
var errStream = errors.New("cluster: unusable room stream")

// loadStream reads a room's snapshot and the chunks streamed after it, and makes the Export that continues the room
// at its last streamed tick. beat is the dead node's last heartbeat (its clock), zero when unknown.
func (n *Node) loadStream(ctx context.Context, id string, beat time.Time) (*room.Export, error) {
	kv, err := n.ckptKV.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNoSnapshot, err)
	}
	v := kv.Value()
	if len(v) < 24 {
		return nil, fmt.Errorf("%w: short snapshot", errStream)
	}
	gen := binary.LittleEndian.Uint64(v)
	flushTicks := int(binary.LittleEndian.Uint32(v[12:]))
	lastAt := int64(binary.LittleEndian.Uint64(v[16:]))
	ex := &room.Export{}
	if err := ex.UnmarshalBinary(v[24:]); err != nil {
		return nil, err
	}
	snapEntries, err := countEntries(ex.Journal)
	if err != nil {
		return nil, err
	}
	// The chunks of this generation, in order, up to the first one missing.
	tokens := map[game.PlayerID][]byte{}
	body := ex.Journal
	subj := subjectJournal + id
	last, err := n.journal.GetLastMsgForSubject(ctx, subj)
	if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("%w: %w", errStream, err)
	}
	// Each message of the subject in turn (a direct get of the next one at or after seq): a checkpoint interval of
	// chunks is a few dozen.
	for seq, want := uint64(1), uint32(0); err == nil && seq <= last.Sequence; {
		m, gerr := n.journal.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if errors.Is(gerr, jetstream.ErrMsgNotFound) {
			break
		}
		if gerr != nil {
			return nil, fmt.Errorf("%w: %w", errStream, gerr)
		}
		seq = m.Sequence + 1
		b := m.Data
		if len(b) < chunkHeader || binary.LittleEndian.Uint64(b) != gen {
			continue // an earlier generation's
		}
		if binary.LittleEndian.Uint32(b[8:]) != want {
			break // a gap: what follows it cannot be replayed
		}
		want++
		switch b[24] {
		case chunkEntries:
			body = append(body, b[chunkHeader:]...)
			lastAt = int64(binary.LittleEndian.Uint64(b[16:]))
		case chunkSeat:
			if p, k := binary.Uvarint(b[chunkHeader:]); k > 0 {
				tokens[game.PlayerID(p)] = append([]byte(nil), b[chunkHeader+k:]...)
			}
		}
	}
	if err := applyEntries(ex, body, snapEntries, tokens); err != nil {
		return nil, err
	}
	// At most a batch being filled and one on its way were lost, unless the stream had fallen further behind.
	ex.Recovered, ex.LostTicks = true, 2*flushTicks
	if !beat.IsZero() {
		// The dead node heartbeat after its last chunk: its stream had fallen behind, the room ran on meanwhile.
		_, gc, _ := ex.Game()
		if behind := beat.Sub(time.Unix(0, lastAt)); behind > 0 && gc.TickRate > 0 {
			ex.LostTicks += int(behind * time.Duration(gc.TickRate) / time.Second)
		}
	}
	return ex, nil
}

// countEntries counts the entries of a journal file.
func countEntries(file []byte) (int, error) {
	d, err := journal.NewDecoder(file)
	if err != nil {
		return 0, err
	}
	var e journal.Entry
	k := 0
	for {
		ok, err := d.Next(&e)
		if err != nil {
			return 0, err
		}
		if !ok {
			return k, nil
		}
		k++
	}
}

// applyEntries makes ex continue after the entries of file beyond its first skip (the snapshot's): the journal, the
// tick and hash of the last tick, the seats (joins, leaves, the highest input seq applied, the resume tokens).
func applyEntries(ex *room.Export, file []byte, skip int, tokens map[game.PlayerID][]byte) error {
	d, err := journal.NewDecoder(file)
	if err != nil {
		return err
	}
	seats := map[game.PlayerID]*room.ExportedPlayer{}
	for i := range ex.Players {
		seats[ex.Players[i].ID] = &ex.Players[i]
	}
	var e journal.Entry
	tick := ex.Tick
	for k := 0; ; k++ {
		ok, err := d.Next(&e)
		if err != nil {
			return fmt.Errorf("%w: %w", errStream, err)
		}
		if !ok {
			break
		}
		if k < skip {
			continue
		}
		switch e.Kind {
		case journal.KindBegin:
			tick = uint32(e.Tick)
		case journal.KindHash:
			ex.Tick, ex.Hash = tick, e.Hash
		case journal.KindJoin:
			ex.NextPlayer = max(ex.NextPlayer, e.Player.ID)
			if e.JoinErr == journal.JoinOK {
				seats[e.Player.ID] = &room.ExportedPlayer{ID: e.Player.ID, Name: e.Player.Name, UserID: e.Player.UserID,
					Verified: e.Player.Verified}
			}
		case journal.KindLeave:
			delete(seats, e.Player.ID)
		case journal.KindInput:
			if p := seats[e.Player.ID]; p != nil && !e.Input.Missed && e.Input.Seq > p.LastInputSeq {
				p.LastInputSeq = e.Input.Seq
			}
		}
	}
	if tick != ex.Tick {
		return fmt.Errorf("%w: the entries end inside tick %d", errStream, tick)
	}
	players := make([]room.ExportedPlayer, 0, len(seats))
	for id, p := range seats {
		if t, ok := tokens[id]; ok {
			p.ResumeToken = t
		}
		players = append(players, *p)
	}
	slices.SortFunc(players, func(a, b room.ExportedPlayer) int { return int(a.ID) - int(b.ID) })
	ex.Journal, ex.Players = file, players
	return nil
}

// Recoveries returns the rooms this node rebuilt from dead nodes' streams, oldest first.
func (n *Node) Recoveries() []Recovery {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.rec.done)
}

// RecoveryFailures is the number of claimed rooms this node could not rebuild.
func (n *Node) RecoveryFailures() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rec.failed
}

// StreamStats are the counters of the node's journal streaming.
type StreamStats struct {
	Published, Snapshots uint64
	// Dropped counts chunks, seats and snapshots dropped (the publisher's queue was full, or a publish failed):
	// each makes its room take a snapshot at once; a node dying before it loses the room's ticks since the drop.
	Dropped uint64
}

// StreamStats returns the journal streaming counters.
func (n *Node) StreamStats() StreamStats {
	s := n.streams.Load()
	if s == nil {
		return StreamStats{}
	}
	return StreamStats{Published: s.published.Load(), Snapshots: s.snapshots.Load(), Dropped: s.dropped.Load()}
}

// Recovering reports whether a room of a dead node may be being recovered: a room entry is claimed and not yet
// rebuilt, a node has missed two heartbeats, or a node was found gone within the last two expiry periods. A resume
// token no node knows is then answered "recovering, retry shortly" (4004) instead of "unknown" (4504).
func (n *Node) Recovering() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	if now.Sub(n.rec.goneAt) < 2*n.cfg.Expiry || len(n.rec.orphans) > 0 {
		return true
	}
	for id, p := range n.nodes {
		if id != n.cfg.NodeID && now.Sub(p.seen) > 2*n.cfg.Heartbeat {
			return true
		}
	}
	for _, e := range n.dirRooms {
		if e.State == stateRecovering {
			return true
		}
	}
	return false
}

// Peers returns the WebSocket addresses of the other live nodes (room.Config.Peers: Welcome.nodes), sorted.
func (n *Node) Peers() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	var out []string
	for id, p := range n.nodes {
		if id != n.cfg.NodeID && n.liveLocked(id, now) && !p.info.Draining && p.info.Addr != "" {
			out = append(out, p.info.Addr)
		}
	}
	slices.Sort(out)
	return out
}

// forgetStream deletes a room's snapshot and streamed entries (a room this node leaves the cluster with).
func (n *Node) forgetStream(ctx context.Context, id string) {
	if n.ckptKV == nil {
		return
	}
	_ = n.ckptKV.Delete(ctx, id)
	_ = n.journal.Purge(ctx, jetstream.WithPurgeSubject(subjectJournal+id))
}
