package cluster

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/service"
	"github.com/tickwire/tickwire/server/internal/session"
)

// Live migration: a draining node moves its rooms to the other nodes instead of ending them. Each room is exported
// at a tick boundary (room.Export: its players are closed with a reconnectable code), imported on the live node with
// the most headroom (request "import": the same room id, tick and world, every player in its grace period under the
// same resume token), and the players who come back here to resume are answered 4003 with the room's new address.
// The clients resend the inputs above their Welcome's last_input_seq there: none is lost or applied twice.
//
// What moves with the room besides the export: its directory attributes (private flag, creation time; its game
// settings are in the export's Sim config), its seat reservations (in the export, each with the lifetime it had left)
// and the unused join tokens issued for it here (matchmaking reserves a seat under the join token's key, then hands
// the token to the player: the player claims the seat on the room's new node with the same token).
//
// A refused or timed-out import does not lose the room: the next live node by headroom is tried, then, on a node
// that is not leaving the cluster (an operator's move), the room is imported back here; a leaving node keeps trying
// every live node until its migration deadline and then imports the room back here, where the drain ends it like
// any room still running (its players get the match result). Every player is redirected to wherever the room ended
// up. An import the mover gave up on (timeout) is aborted on its target ("abort_import"), so that a late success
// there cannot leave the room running twice.

// MoveRecord is one room this node moved (or tried to).
type MoveRecord struct {
	Room string
	From string // this node
	To   string // the node that runs the room now (From: imported back here; "": lost)
	Addr string // To's WebSocket address
	// Tick and Hash are the room's last tick and world hash at the export; ImportTick and ImportHash what the
	// importing node computed there by replaying the room's journal (equal when the move kept the world).
	Tick, ImportTick uint32
	Hash, ImportHash uint64
	Players          int // seats moved (players in their grace period on the new node)
	Reserved         int // seat reservations moved
	Joins            int // unused join tokens moved
	Attempts         int // imports tried (each node tried counts, the local one too)
	// Pause is the time the room's players were without a room: from the start of the export to the room's first
	// tick on its new node (as that node's reply reports it).
	Pause time.Duration
	// Its parts: the export (the room's loop reaching a tick boundary), the import request that succeeded (sent to
	// answered), and, within it, the importing node's time from the request's arrival to the room's first tick.
	Export, Import, Replay time.Duration
	Bytes                  int    // the import request's size (the export and the room's directory attributes)
	Err                    string // why the room was lost ("" when it runs somewhere)

	entry RoomEntry // the new node's entry of the room (its import reply)
}

// migration is the node's migration state (both sides: rooms moved away, rooms being imported).
type migration struct {
	pause prometheus.Histogram // static after construction

	mu        sync.Mutex
	importing map[string]*importState // rooms imported here recently, by id (aborts are matched against them)
	records   []MoveRecord            // the last maxMoveRecords moves made by this node
}

// importState is one import seen by this node: the room, once imported, or an abort that arrived first.
type importState struct {
	r       *directory.Room
	aborted bool
	at      time.Time
}

// maxMoveRecords bounds MoveRecords; importKeep is how long an import is remembered for an abort that may follow.
const (
	maxMoveRecords = 1024
	importKeep     = time.Minute
)

func newMigration() *migration {
	return &migration{
		pause: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tickwire_cluster_migration_pause_seconds",
			Help:    "Per moved room: from the start of its export to its first tick on its new node (its players' pause).",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5},
		}),
		importing: map[string]*importState{},
	}
}

// Collectors are the node's own metrics, for the server's registry.
func (n *Node) Collectors() []prometheus.Collector { return []prometheus.Collector{n.mig.pause} }

// MoveRecords returns the rooms this node moved (the last 1024), oldest first.
func (n *Node) MoveRecords() []MoveRecord {
	n.mig.mu.Lock()
	defer n.mig.mu.Unlock()
	return append([]MoveRecord(nil), n.mig.records...)
}

func (n *Node) record(rec MoveRecord) {
	n.mig.mu.Lock()
	if len(n.mig.records) == maxMoveRecords {
		n.mig.records = append(n.mig.records[:0], n.mig.records[1:]...)
	}
	n.mig.records = append(n.mig.records, rec)
	n.mig.mu.Unlock()
}

// Errors of MoveRoom.
var (
	// ErrNoRoom: the room to move does not run on this node.
	ErrNoRoom = errors.New("cluster: no such room here")
	// ErrBadMove: the node to move the room to is not a live node taking rooms, or runs the room already.
	ErrBadMove = fmt.Errorf("cluster: %w", service.ErrCannotMove)
)

// migrateParallel is how many rooms Migrate moves at once: each move waits on its room's export, its import on
// another node and that room's first tick there, so that moving rooms one by one would keep the last room's
// players waiting for all the others.
const migrateParallel = 4

// Migrate moves every room of this node to the other live nodes (call Leave first, so that no room is placed here
// meanwhile, and give ctx the drain's deadline) and returns how many moved. A room no other node took before ctx
// ends runs on here (it is imported back).
func (n *Node) Migrate(ctx context.Context) int {
	var ids []string
	for _, l := range n.local.Dir.List("", true) {
		if l.State != room.StateEnded {
			ids = append(ids, l.ID)
		}
	}
	if len(ids) == 0 {
		return 0
	}
	if n.otherNodes() == 0 {
		n.log.Info("cluster: no other node to move rooms to: they end here")
		return 0
	}
	var (
		mu    sync.Mutex
		moved int
		wg    sync.WaitGroup
	)
	next := make(chan string)
	for range min(migrateParallel, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				rec, err := n.MoveRoom(ctx, id, "")
				if err != nil {
					n.log.Warn("cluster: room not moved", "room", id, "err", err)
					continue
				}
				if rec.To != "" && rec.To != n.cfg.NodeID {
					mu.Lock()
					moved++
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	return moved
}

// otherNodes counts the live nodes other than this one that take rooms.
func (n *Node) otherNodes() int {
	return len(n.targets("", nil))
}

// targets returns the live nodes other than this one, not draining and not in skip, by headroom (most first);
// prefer, when live, comes first.
func (n *Node) targets(prefer string, skip map[string]bool) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	type cand struct {
		id       string
		headroom float64
		players  int
	}
	var cs []cand
	for id, p := range n.nodes {
		if id == n.cfg.NodeID || p.info.Draining || skip[id] || !n.liveLocked(id, now) {
			continue
		}
		cost := defaultRoomCost
		if p.info.Rooms > 0 && p.info.TickCost > 0 {
			cost = p.info.TickCost / float64(p.info.Rooms)
		}
		cs = append(cs, cand{id, p.info.Headroom - float64(n.placed[id])*cost, p.info.Players})
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if (a.id == prefer) != (b.id == prefer) {
			return a.id == prefer
		}
		if a.headroom != b.headroom {
			return a.headroom > b.headroom
		}
		if a.players != b.players {
			return a.players < b.players
		}
		return a.id < b.id
	})
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.id
	}
	return out
}

// importRequest is the payload of request "import".
type importRequest struct {
	Export  []byte        `json:"export"` // room.Export.MarshalBinary
	Private bool          `json:"private,omitempty"`
	Created time.Time     `json:"created"`
	Joins   []movedJoin   `json:"joins,omitempty"`
	Budget  time.Duration `json:"budget"` // the importer commits only this long after it received the request
	Tick    uint32        `json:"tick"`   // the export's, for the importer's log
	Hash    uint64        `json:"hash"`
	From    string        `json:"from"`
}

func (q *importRequest) marshal() []byte {
	meta, _ := json.Marshal(q)
	b := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(meta)+len(q.Export)), uint64(len(meta)))
	return append(append(b, meta...), q.Export...)
}

func (q *importRequest) unmarshal(b []byte) error {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return errors.New("malformed import request")
	}
	if err := json.Unmarshal(b[k:k+int(n)], q); err != nil {
		return err
	}
	q.Export = b[k+int(n):]
	return nil
}

// movedJoin is an unused join token of a moving room, with the lifetime it had left.
type movedJoin struct {
	Token    string            `json:"token"`
	Name     string            `json:"name"`
	UserID   string            `json:"user_id,omitempty"`
	Claims   map[string]string `json:"claims,omitempty"`
	Verified bool              `json:"verified,omitempty"`
	TTL      time.Duration     `json:"ttl"`
}

// importReply is reply.Reply of a successful import.
type importReply struct {
	Tick      uint32        `json:"tick"` // the tick the room continued from, and the hash computed there
	Hash      uint64        `json:"hash"`
	FirstTick time.Duration `json:"first_tick"` // from the request's arrival to the room's first tick here
}

// MoveRoom moves room id from this node to node to ("": the live node with the most headroom; to is tried first,
// then the others by headroom) and returns where it went. Players are redirected there when they resume here.
func (n *Node) MoveRoom(ctx context.Context, id, to string) (MoveRecord, error) {
	r, ok := n.local.Dir.Get(id)
	if !ok {
		return MoveRecord{}, fmt.Errorf("%w: %q", ErrNoRoom, id)
	}
	if to == n.cfg.NodeID {
		return MoveRecord{}, fmt.Errorf("%w: room %s runs on %s already", ErrBadMove, id, to)
	}
	if to != "" {
		n.mu.Lock()
		p, ok := n.nodes[to]
		live := ok && !p.info.Draining && n.liveLocked(to, time.Now())
		n.mu.Unlock()
		if !live {
			return MoveRecord{}, fmt.Errorf("%w: node %q is not a live node taking rooms", ErrBadMove, to)
		}
	}
	rec := MoveRecord{Room: id, From: n.cfg.NodeID}
	mv := &move{done: make(chan struct{})}
	n.mu.Lock()
	if old := n.moved[id]; old != nil {
		select {
		case <-old.done:
		default:
			n.mu.Unlock()
			return MoveRecord{}, fmt.Errorf("cluster: room %s is moving already", id)
		}
	}
	n.moved[id] = mv // before the export closes the players: their resumes here wait for the import's end
	n.mu.Unlock()
	start := time.Now()
	ex, err := r.Export(ctx)
	if err != nil {
		n.mu.Lock()
		delete(n.moved, id)
		n.mu.Unlock()
		close(mv.done)
		return rec, fmt.Errorf("cluster: room %s not exported (it stays): %w", id, err)
	}
	rec.Export = time.Since(start)
	joins := n.local.Tokens.TakeJoinsFor(id)
	now := time.Now()
	req := importRequest{Private: r.Private, Created: r.Created, Tick: ex.Tick, Hash: ex.Hash, From: n.cfg.NodeID,
		Budget: n.cfg.ImportTimeout}
	req.Export, _ = ex.MarshalBinary()
	for tok, g := range joins {
		req.Joins = append(req.Joins, movedJoin{Token: tok, Name: g.Name, UserID: g.UserID, Claims: g.Claims,
			Verified: g.Verified, TTL: g.Expires.Sub(now)})
	}
	rec.Tick, rec.Hash, rec.Players, rec.Reserved, rec.Joins = ex.Tick, ex.Hash, len(ex.Players), len(ex.Reserved),
		len(req.Joins)
	payload := req.marshal()
	rec.Bytes = len(payload)

	tried := map[string]bool{}
	for round := 0; ; round++ {
		for _, target := range n.targets(to, tried) {
			tried[target] = true
			rec.Attempts++
			sent := time.Now()
			e, rep, err := n.tryImport(ctx, target, id, payload)
			if err != nil {
				n.log.Warn("cluster: import refused or failed; trying the next node", "room", id, "peer", target,
					"err", err)
				continue
			}
			rec.To, rec.Addr, rec.ImportTick, rec.ImportHash, rec.entry = target, e.Addr, rep.Tick, rep.Hash, e
			rec.Import, rec.Replay = time.Since(sent), rep.FirstTick
			n.mu.Lock()
			delete(n.published, id) // the room's entry is the new node's now: never deleted from here
			n.placed[target]++      // counted against its headroom until its next heartbeat
			n.mu.Unlock()
			n.redirects.Add(int64(len(ex.Players)))
			mv.addr, mv.counted = e.Addr, true
			close(mv.done)
			return n.moved1(rec, start, ex), nil
		}
		n.mu.Lock()
		left := n.left
		n.mu.Unlock()
		if !left || ctx.Err() != nil {
			break
		}
		// Leaving: every live node refused; try them all again until the deadline.
		clear(tried)
		select {
		case <-ctx.Done():
		case <-time.After(min(250*time.Millisecond*time.Duration(round+1), 2*time.Second)):
		}
	}
	// Back here: the players resume on this node (the redirect names it).
	rec.Attempts++
	sent := time.Now()
	rep, err := n.importBack(id, payload)
	if err != nil {
		rec.Err = err.Error()
		close(mv.done)
		n.record(rec)
		n.log.Error("cluster: room exported but imported nowhere: its players lose it", "room", id, "err", err)
		return rec, fmt.Errorf("cluster: room %s lost: %w", id, err)
	}
	rec.To, rec.Addr, rec.ImportTick, rec.ImportHash = n.cfg.NodeID, n.wsURL, rep.Tick, rep.Hash
	rec.Import, rec.Replay = time.Since(sent), rep.FirstTick
	mv.addr = n.wsURL // the resumes that waited for the move: sent here again, where the room runs now
	n.mu.Lock()
	delete(n.moved, id) // later resumes find the room here
	n.mu.Unlock()
	close(mv.done)
	n.log.Warn("cluster: no node took the room: it runs here again", "room", id, "attempts", rec.Attempts)
	return n.moved1(rec, start, ex), nil
}

// moved1 finishes a move's record: its pause (export start to the first tick on its node) into the histogram.
func (n *Node) moved1(rec MoveRecord, start time.Time, ex *room.Export) MoveRecord {
	rec.Pause = time.Since(start)
	n.mig.pause.Observe(rec.Pause.Seconds())
	n.record(rec)
	n.log.Info("cluster: room moved", "room", rec.Room, "peer", rec.To, "players", len(ex.Players),
		"reserved", rec.Reserved, "tick", rec.Tick, "hash", fmt.Sprintf("%016x", rec.Hash),
		"pause", rec.Pause.Round(time.Microsecond), "export", rec.Export.Round(time.Microsecond),
		"import", rec.Import.Round(time.Microsecond), "replay", rec.Replay.Round(time.Microsecond),
		"attempts", rec.Attempts)
	return rec
}

// tryImport asks node target to import the room; on a timeout the import is aborted there.
func (n *Node) tryImport(ctx context.Context, target, id string, payload []byte) (RoomEntry, importReply, error) {
	cctx, cancel := context.WithTimeout(ctx, n.cfg.ImportTimeout)
	out, err := n.call(cctx, target, &request{Op: "import", Room: id, Payload: payload})
	cancel()
	if err == nil && (out.Room == nil || out.Room.Addr == "") {
		err = errors.New("cluster: import reply without the room's address")
	}
	var rep importReply
	if err == nil {
		err = json.Unmarshal(out.Reply, &rep)
	}
	if err != nil {
		if !isRefusal(err) {
			// It may have been imported there after all (a late reply): make sure it does not run there.
			actx, acancel := context.WithTimeout(context.Background(), n.cfg.RequestTimeout)
			if _, aerr := n.call(actx, target, &request{Op: "abort_import", Room: id}); aerr != nil {
				n.log.Warn("cluster: aborting an import failed", "room", id, "peer", target, "err", aerr)
			}
			acancel()
		}
		return RoomEntry{}, importReply{}, err
	}
	return *out.Room, rep, nil
}

// isRefusal reports whether an import error is the target's answer (nothing runs there) rather than a timeout or a
// lost reply.
func isRefusal(err error) bool {
	var codes = []error{directory.ErrLimited, directory.ErrClosed, matchmaker.ErrUnknownMode}
	for _, c := range codes {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// importBack imports an exported room on this node again, once its old loop is gone.
func (n *Node) importBack(id string, payload []byte) (importReply, error) {
	deadline := time.Now().Add(n.cfg.RequestTimeout)
	for {
		if _, ok := n.local.Dir.Get(id); !ok {
			break
		}
		if time.Now().After(deadline) {
			return importReply{}, fmt.Errorf("cluster: the exported room %s did not stop", id)
		}
		time.Sleep(2 * time.Millisecond)
	}
	out := n.importRoom(id, payload)
	if err := out.error(); err != nil {
		return importReply{}, err
	}
	var rep importReply
	err := json.Unmarshal(out.Reply, &rep)
	return rep, err
}

// importRoom continues an exported room here (request "import"), binds its players' resume tokens and its join
// tokens, and answers once the room ticked here (or after a second), with the tick and world hash it replayed to.
func (n *Node) importRoom(id string, payload []byte) reply {
	arrived := time.Now()
	var req importRequest
	if err := req.unmarshal(payload); err != nil {
		return errReply(fmt.Errorf("%w: %w", room.ErrImport, err))
	}
	var ex room.Export
	if err := ex.UnmarshalBinary(req.Export); err != nil {
		return errReply(err)
	}
	n.mig.mu.Lock()
	n.pruneImportsLocked(arrived)
	if st := n.mig.importing[id]; st != nil && st.aborted {
		n.mig.mu.Unlock()
		return errReply(fmt.Errorf("%w: import of room %s aborted by its mover", context.DeadlineExceeded, id))
	}
	n.mig.mu.Unlock()
	r, err := n.local.Dir.ImportWith(&ex, directory.ImportOptions{Private: req.Private, Created: req.Created})
	if err != nil {
		return errReply(err)
	}
	// Commit, unless the mover gave up meanwhile (it then tries elsewhere, or here again).
	n.mig.mu.Lock()
	st := n.mig.importing[id]
	late := req.Budget > 0 && time.Since(arrived) > req.Budget
	if (st != nil && st.aborted) || late {
		n.mig.mu.Unlock()
		n.discard(r)
		return errReply(fmt.Errorf("%w: import of room %s committed too late", context.DeadlineExceeded, id))
	}
	n.mig.importing[id] = &importState{r: r, at: arrived}
	n.mig.mu.Unlock()
	for _, p := range ex.Players {
		if len(p.ResumeToken) > 0 {
			n.local.Tokens.BindResume(p.ResumeToken, r.ID(), p.ID)
			n.local.Tokens.Disconnected(p.ResumeToken) // the player is in its grace period until it resumes
		}
	}
	for _, j := range req.Joins {
		n.local.Tokens.ReturnJoin(j.Token, session.JoinGrant{RoomID: r.ID(), Name: j.Name, UserID: j.UserID,
			Claims: j.Claims, Verified: j.Verified, Expires: time.Now().Add(j.TTL)})
	}
	n.publishRoom(r.ID())
	tick, hash, _ := r.Imported()
	// The players' pause ends with the room's first tick here: answer then (at most a second later).
	wait := time.Now().Add(time.Second)
	for r.Info().Tick == tick && r.Info().State != room.StateEnded && time.Now().Before(wait) {
		time.Sleep(time.Millisecond)
	}
	rep, _ := json.Marshal(importReply{Tick: tick, Hash: hash, FirstTick: time.Since(arrived)})
	e := n.entryFor(n.infoOf(r.ID()))
	n.log.Info("cluster: room imported", "room", r.ID(), "from", req.From, "tick", tick,
		"hash", fmt.Sprintf("%016x", hash), "players", len(ex.Players), "reserved", len(ex.Reserved),
		"joins", len(req.Joins), "first_tick", time.Since(arrived).Round(time.Microsecond))
	return reply{ID: r.ID(), Room: &e, Reply: rep}
}

// abortImport stops a room imported here whose mover gave up waiting (request "abort_import"), or marks the import
// aborted when it has not arrived yet.
func (n *Node) abortImport(id string) reply {
	n.mig.mu.Lock()
	st := n.mig.importing[id]
	if st == nil {
		n.mig.importing[id] = &importState{aborted: true, at: time.Now()}
		n.mig.mu.Unlock()
		return reply{}
	}
	r := st.r
	st.aborted, st.r = true, nil
	n.mig.mu.Unlock()
	if r != nil {
		n.discard(r)
		n.log.Warn("cluster: an import whose mover gave up was stopped", "room", id)
	}
	return reply{}
}

// discard stops a room imported here that must not run (silently: it is exported, not ended) and forgets its
// players' resume tokens and its join tokens.
func (n *Node) discard(r *directory.Room) {
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.RequestTimeout)
	ex, err := r.Export(ctx)
	cancel()
	if err == nil {
		for _, p := range ex.Players {
			n.local.Tokens.DropResume(p.ResumeToken)
		}
	}
	n.local.Tokens.TakeJoinsFor(r.ID())
	n.mu.Lock()
	_, pub := n.published[r.ID()]
	n.mu.Unlock()
	if pub {
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.RequestTimeout)
		_ = n.roomsKV.Delete(ctx, r.ID())
		cancel()
		n.mu.Lock()
		delete(n.published, r.ID())
		n.mu.Unlock()
	}
}

func (n *Node) pruneImportsLocked(now time.Time) {
	for id, st := range n.mig.importing {
		if now.Sub(st.at) > importKeep {
			delete(n.mig.importing, id)
		}
	}
}

// move is a room on its way to another node: addr is set before done is closed, empty when the move failed;
// counted says its players were added to Node.redirects.
type move struct {
	addr    string
	counted bool
	done    chan struct{}
}

// MovedTo returns the WebSocket address room id moved to ("" when it did not move, or the move failed): a player
// resuming here is answered 4003 with it. While the room is on its way it waits for the import (at most the
// migration's import attempts), so that the player is sent where its seat already is.
func (n *Node) MovedTo(id string) string {
	n.mu.Lock()
	mv := n.moved[id]
	n.mu.Unlock()
	if mv == nil {
		return ""
	}
	t := time.NewTimer(3 * n.cfg.ImportTimeout)
	defer t.Stop()
	select {
	case <-mv.done:
	case <-t.C:
		return ""
	}
	if mv.counted {
		n.redirects.Add(-1)
	}
	return mv.addr
}

// WaitRedirects waits (until ctx is done) until as many resumes were redirected as players moved: a draining node
// keeps its listener open that long, so that its players learn where their rooms went.
func (n *Node) WaitRedirects(ctx context.Context) error {
	for n.redirects.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

var _ service.Mover = Rooms{}

// Move moves room id, wherever it runs in the cluster, to node to ("": the live node with the most headroom), as
// Migrate moves a draining node's rooms (a refusing node is passed over; when none takes the room it stays where it
// was), and returns the room as it runs now (Address: its node). matchmaker.ErrRoomNotFound when no live node has
// it, ErrBadMove for a target that cannot take it.
func (r Rooms) Move(ctx context.Context, id, to string) (matchmaker.RoomInfo, error) {
	n := r.n
	node, ok := n.owner(id)
	if !ok {
		return matchmaker.RoomInfo{}, matchmaker.ErrRoomNotFound
	}
	if node == n.cfg.NodeID {
		rec, err := n.MoveRoom(ctx, id, to)
		if errors.Is(err, ErrNoRoom) {
			return matchmaker.RoomInfo{}, matchmaker.ErrRoomNotFound
		}
		if err != nil {
			return matchmaker.RoomInfo{}, err
		}
		return n.movedInfo(rec), nil
	}
	wait := 3 * n.cfg.ImportTimeout
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	cctx, cancel := context.WithTimeout(ctx, wait+100*time.Millisecond)
	defer cancel()
	out, err := n.call(cctx, node, &request{Op: "move", Room: id, Node: to, TTL: wait})
	if err != nil {
		return matchmaker.RoomInfo{}, err
	}
	if out.Room == nil {
		return matchmaker.RoomInfo{}, errors.New("cluster: empty move reply")
	}
	n.mu.Lock()
	n.dirRooms[id] = *out.Room
	n.mu.Unlock()
	return infoOfEntry(id, *out.Room), nil
}

// serveMove moves one of this node's rooms for a peer's service API (request "move").
func (n *Node) serveMove(id, to string, wait time.Duration) reply {
	ctx, cancel := context.WithTimeout(context.Background(), max(wait, n.cfg.ImportTimeout))
	defer cancel()
	rec, err := n.MoveRoom(ctx, id, to)
	if errors.Is(err, ErrNoRoom) {
		err = matchmaker.ErrRoomNotFound
	}
	if err != nil {
		return errReply(err)
	}
	e := rec.entry
	if rec.To == n.cfg.NodeID {
		e = n.entryFor(n.infoOf(id))
	}
	return reply{ID: id, Room: &e}
}

// movedInfo is the RoomInfo of a room just moved by this node.
func (n *Node) movedInfo(rec MoveRecord) matchmaker.RoomInfo {
	if rec.To == n.cfg.NodeID {
		info := n.infoOf(rec.Room)
		info.Address = n.wsURL
		return info
	}
	return infoOfEntry(rec.Room, rec.entry)
}
