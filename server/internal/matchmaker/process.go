package matchmaker

import (
	"cmp"
	"errors"
	"maps"
	"math"
	"sort"
	"time"
)

// openRoom is a public room that may take players in this batch.
type openRoom struct {
	info     RoomInfo
	track    *roomTrack // nil: a room the matchmaker never placed into (e.g. opened by quick play)
	occupied int        // players + live reservations
	order    int        // position in roomOrder among the mode's open rooms
}

func (r *openRoom) free() int { return r.info.Capacity - r.occupied }

// group is the rating and property constraints of a set of players (a room's, or a new room's being formed).
type group struct {
	rated      int
	rmin, rmax float64
	window     float64           // the narrowest window among the group's rated tickets (+Inf: none)
	props      map[string]string // read-only unless ownProps (it may be a ticket's or a room's)
	ownProps   bool
}

// accepts reports whether t may join the group at now.
func (g *group) accepts(t *ticket, c *Config, now time.Time) bool {
	for k, v := range t.req.Properties {
		if gv, ok := g.props[k]; ok && gv != v {
			return false
		}
	}
	if t.req.Rating == nil || g.rated == 0 {
		return true
	}
	r := *t.req.Rating
	span := math.Max(g.rmax, r) - math.Min(g.rmin, r)
	return span <= math.Min(g.window, t.window(c, now))
}

func (g *group) add(t *ticket, c *Config, now time.Time) {
	switch {
	case len(t.req.Properties) == 0:
	case g.props == nil:
		g.props = t.req.Properties // shared until something is added: most groups never widen it
	default:
		for k, v := range t.req.Properties {
			if gv, ok := g.props[k]; ok && gv == v {
				continue
			}
			if !g.ownProps {
				g.props, g.ownProps = maps.Clone(g.props), true
			}
			g.props[k] = v
		}
	}
	if t.req.Rating == nil {
		return
	}
	r := *t.req.Rating
	if g.rated == 0 {
		g.rmin, g.rmax = r, r
	} else {
		g.rmin, g.rmax = math.Min(g.rmin, r), math.Max(g.rmax, r)
	}
	g.rated++
	g.window = math.Min(g.window, t.window(c, now))
}

// roomGroup is the constraint a tracked room puts on newcomers: its players' rating span and properties. Only the
// newcomer's window counts (the room's players are already placed).
func roomGroup(tr *roomTrack) group {
	g := group{window: math.Inf(1)}
	if tr != nil {
		g.rated, g.rmin, g.rmax, g.props = tr.rated, tr.rmin, tr.rmax, tr.props
	}
	return g
}

// Process runs one matchmaking batch at time now: it expires reservations and tickets, places private-room tickets,
// fills open rooms (fullest first), and opens new rooms for compatible queued players once a mode's minimum is met.
// Tickets are considered oldest first. Safe to call from several goroutines (batches are serialized).
func (m *Matchmaker) Process(now time.Time) {
	deltas := m.takeDeltas()
	m.mu.Lock()
	defer m.mu.Unlock()

	// Reservations: a join releases the oldest reservation of its room; expired ones are dropped.
	for id, d := range deltas {
		if tr := m.tracks[id]; tr != nil {
			tr.reserved = tr.reserved[min(d.joined, len(tr.reserved)):]
			tr.present = max(0, tr.present+d.joined-d.left)
		}
	}
	for _, tr := range m.tracks {
		i := 0
		for i < len(tr.reserved) && !tr.reserved[i].After(now) {
			i++
		}
		tr.reserved = tr.reserved[i:]
	}

	// Tickets: purge finished ones past retention, time out old ones, queue the rest oldest first.
	m.batch++
	kept := m.ended[:0]
	for _, t := range m.ended {
		if now.Sub(t.ended) >= m.cfg.Retention {
			delete(m.tickets, t.view.ID)
		} else {
			kept = append(kept, t)
		}
	}
	clear(m.ended[len(kept):])
	m.ended = kept
	queue := m.order[:0]
	for _, t := range m.order {
		switch {
		case !t.queued():
		case now.Sub(t.created) >= m.cfg.TicketTimeout:
			m.finishLocked(t, StatusTimedOut, "no room found in time", now)
		default:
			queue = append(queue, t)
		}
	}
	clear(m.order[len(queue):])
	m.order = queue // tickets placed below leave it at the next batch

	// Rooms: forget ended or vanished ones; collect the public rooms that take players, per mode.
	infos := m.rooms.List()
	live := make(map[string]RoomInfo, len(infos))
	for _, info := range infos {
		live[info.ID] = info
	}
	for id, tr := range m.tracks {
		info, ok := live[id]
		if !ok {
			info, ok = m.rooms.Get(id)
		}
		if !ok || info.State == StateEnded {
			delete(m.tracks, id)
			if tr.code != "" {
				delete(m.codes, tr.code)
			}
		}
	}
	open := make(map[string][]*openRoom)
	for _, info := range infos {
		tr := m.tracks[info.ID]
		if info.Private || (tr != nil && tr.private) || info.Capacity <= 0 || !m.takesPlayers(info) {
			continue
		}
		r := &openRoom{info: info, track: tr, occupied: info.Players}
		if tr != nil {
			r.occupied = max(info.Players, tr.present) + len(tr.reserved)
		}
		open[info.Mode] = append(open[info.Mode], r)
	}
	roomsOf := make(map[string]*roomIndex, len(open))
	for mode, rooms := range open {
		sort.SliceStable(rooms, func(i, j int) bool { return roomOrder(rooms[i]) < roomOrder(rooms[j]) })
		roomsOf[mode] = newRoomIndex(rooms)
	}

	// Private rooms first: they never compete with public placement.
	leftovers := make(map[string][]*ticket)
	var modes []string
	for _, t := range queue {
		switch {
		case t.req.CreatePrivate:
			m.createPrivateLocked(t, now)
		case t.req.Code != "":
			m.joinPrivateLocked(t, now)
		default:
			placed := false
			// A ticket that failed in a room (no join token) is finished: it is not offered another room.
			for r := m.bestRoom(roomsOf[t.req.Mode], t, now); r != nil && !placed && t.queued(); r = m.bestRoom(roomsOf[t.req.Mode], t, now) {
				if placed = m.placeLocked(t, r.info, r.track, now); placed {
					r.occupied += t.size()
					r.track = m.tracks[r.info.ID] // placeLocked tracks a room it had not placed into before
				} else {
					r.occupied = r.info.Capacity // the room refused the seats: closed for this batch
				}
			}
			if placed || !t.queued() {
				continue
			}
			if _, seen := leftovers[t.req.Mode]; !seen {
				modes = append(modes, t.req.Mode)
			}
			leftovers[t.req.Mode] = append(leftovers[t.req.Mode], t)
		}
	}

	// New rooms for what is left, mode by mode, in order of each mode's oldest ticket.
	for _, mode := range modes {
		m.openRoomsLocked(mode, leftovers[mode], now)
	}
}

func (m *Matchmaker) takesPlayers(info RoomInfo) bool {
	switch info.State {
	case StateWaiting:
		return true
	case StateRunning:
		return !m.cfg.Modes[info.Mode].NoBackfill
	}
	return false
}

// roomOrder puts rooms the matchmaker opened first, oldest first, then the others by id.
func roomOrder(r *openRoom) uint64 {
	if r.track != nil {
		return r.track.seq
	}
	return math.MaxUint64
}

// openRoomsLocked forms new rooms from queued tickets of one mode: each still-unplaced ticket, oldest first, anchors
// a group that takes every later compatible ticket that fits; a group that reaches the mode's minimum gets a room.
// An anchor looks only at the tickets the index finds compatible with it (same agreeing properties, ratings within
// its window), so a large queue of players who cannot be matched with each other costs about n·log n, not n².
func (m *Matchmaker) openRoomsLocked(mode string, tickets []*ticket, now time.Time) {
	capacity, ok := m.rooms.Capacity(mode)
	if !ok {
		for _, t := range tickets {
			m.finishLocked(t, StatusFailed, "unknown mode", now)
		}
		return
	}
	minPlayers := min(m.cfg.minPlayers(mode), capacity)
	ix := m.index[mode]
	ix.begin(m.batch, tickets)
	used := ix.used
	unused, failedBefore := len(tickets), 0
	var cand, members []int
	var count int
	for i, anchor := range tickets {
		if used[i] {
			continue
		}
		rest := unused - failedBefore - 1 // unplaced tickets after the anchor
		var w float64
		if anchor.req.Rating != nil {
			w = anchor.window(&m.cfg, now)
		}
		cand = ix.candidates(anchor, w, cand[:0])
		if len(cand) == 0 && anchor.size() < minPlayers {
			failedBefore++ // alone, and too few: the common case of a flood of incompatible tickets
			continue
		}
		g := group{window: math.Inf(1)}
		g.add(anchor, &m.cfg, now)
		members, count = append(members[:0], i), anchor.size()
		for _, j := range cand {
			if count == capacity {
				break
			}
			t := tickets[j]
			if count+t.size() > capacity || !g.accepts(t, &m.cfg, now) {
				continue
			}
			g.add(t, &m.cfg, now)
			members = append(members, j)
			count += t.size()
		}
		if count < minPlayers {
			if len(members)-1 == rest {
				return // every remaining ticket was in this group: no later anchor can do better
			}
			failedBefore++
			continue
		}
		info, err := m.rooms.Create(mode, m.cfg.Modes[mode].Settings, false)
		if err != nil {
			m.log.Warn("matchmaker: cannot open a room", "mode", mode, "err", err)
			if errors.Is(err, ErrUnknownMode) {
				for _, t := range tickets {
					if t.queued() {
						m.finishLocked(t, StatusFailed, "unknown mode", now)
					}
				}
			}
			return // retried next batch
		}
		m.stats.RoomsOpened++
		tr := m.trackLocked(info, false)
		for _, j := range members {
			used[j] = true
			m.placeLocked(tickets[j], info, tr, now)
		}
		unused -= len(members)
	}
}

func (m *Matchmaker) trackLocked(info RoomInfo, private bool) *roomTrack {
	m.seq++
	tr := &roomTrack{id: info.ID, mode: info.Mode, seq: m.seq, private: private}
	m.tracks[info.ID] = tr
	return tr
}

func (m *Matchmaker) createPrivateLocked(t *ticket, now time.Time) {
	info, err := m.rooms.Create(t.req.Mode, t.req.Settings, true)
	if err != nil {
		m.log.Warn("matchmaker: cannot open a private room", "mode", t.req.Mode, "err", err)
		m.finishLocked(t, StatusFailed, "cannot create the room: "+err.Error(), now)
		return
	}
	m.stats.RoomsOpened++
	tr := m.trackLocked(info, true)
	tr.code, tr.codeTTL = m.newCodeLocked(), now.Add(m.cfg.CodeTTL)
	m.codes[tr.code] = info.ID
	if !m.placeLocked(t, info, tr, now) && t.queued() {
		m.finishLocked(t, StatusFailed, "cannot reserve the seats of the new room", now)
	}
}

func (m *Matchmaker) joinPrivateLocked(t *ticket, now time.Time) {
	id, ok := m.codes[t.req.Code]
	tr := m.tracks[id]
	var info RoomInfo
	if ok && tr != nil {
		info, ok = m.rooms.Get(id)
	}
	if !ok || tr == nil || info.State == StateEnded || info.Mode != t.req.Mode {
		m.stats.CodeMisses.Unknown++
		m.codeMissedLocked(t)
		m.finishLocked(t, StatusFailed, "unknown room code", now)
		return
	}
	if !now.Before(tr.codeTTL) {
		m.stats.CodeMisses.Expired++
		m.codeMissedLocked(t)
		m.finishLocked(t, StatusFailed, "room code expired", now)
		return
	}
	if info.Capacity-max(info.Players, tr.present)-len(tr.reserved) >= t.size() && m.placeLocked(t, info, tr, now) {
		return
	}
	if t.queued() { // not failed already for want of a join token
		m.stats.CodeMisses.Full++
		m.finishLocked(t, StatusFailed, "the private room is full", now)
	}
}

// codeMissedLocked counts a failed lookup against the ticket's source (Config.Gate): past its budget, the source's
// next code tickets are refused with 429.
func (m *Matchmaker) codeMissedLocked(t *ticket) {
	if t.hold != nil {
		t.hold.CodeMissed()
	}
}

// placeLocked issues the ticket's join tokens for room info, reserves their seats (in the matchmaker's accounting
// and, with a SeatReserver, in the room itself) and finishes the ticket as placed. When a token cannot be issued the
// ticket fails; when the room refuses the seats, placeLocked returns false and the ticket stays queued.
func (m *Matchmaker) placeLocked(t *ticket, info RoomInfo, tr *roomTrack, now time.Time) bool {
	seats := make([]Seat, len(t.req.Players))
	keys := make([]string, len(t.req.Players))
	for i, p := range t.req.Players {
		tok, err := m.tokens.Issue(info.ID, t.players[i])
		if err != nil {
			m.log.Warn("matchmaker: cannot issue a join token", "room", info.ID, "err", err)
			m.finishLocked(t, StatusFailed, "cannot issue a join token", now)
			return false
		}
		seats[i] = Seat{Player: p, JoinToken: tok}
		keys[i] = tok
	}
	if sr, ok := m.rooms.(SeatReserver); ok {
		// The unused tokens of a refusal are never handed out; they expire.
		if err := sr.Reserve(info.ID, keys, m.cfg.JoinTTL); err != nil {
			m.log.Debug("matchmaker: the room refused the seats", "room", info.ID, "err", err)
			return false
		}
	}
	if tr == nil {
		tr = m.trackLocked(info, false)
	}
	g := roomGroup(tr)
	g.add(t, &m.cfg, now)
	if len(g.props) != len(tr.props) {
		tr.sig = propSignature(g.props) // props only grow: a change changes their number
	}
	tr.rated, tr.rmin, tr.rmax, tr.props = g.rated, g.rmin, g.rmax, g.props
	expires := now.Add(m.cfg.JoinTTL)
	for range t.req.Players {
		tr.reserved = append(tr.reserved, expires)
	}
	t.view.Players = seats
	t.view.RoomID = info.ID
	t.view.Address = cmp.Or(info.Address, m.cfg.PublicURL)
	t.view.Code = tr.code
	m.finishLocked(t, StatusPlaced, "", now)
	return true
}
