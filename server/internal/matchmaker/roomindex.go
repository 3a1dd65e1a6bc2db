package matchmaker

import "time"

// roomBucket is the open rooms of a batch whose players had the same properties when the batch began.
type roomBucket struct {
	props map[string]string
	rooms []*openRoom // in roomOrder
}

// roomIndex finds, for a ticket, the open rooms of one mode whose players' properties may agree with its own, so
// that placing n tickets among r open rooms costs about n times the rooms that suit each ticket, not n·r. Built per
// batch from the rooms with a free seat. A room's properties only grow during the batch (placements add the
// newcomers'), so the bucket it was filed under (its properties at the start) still holds every ticket that may
// join it: the index may offer a room that no longer suits, never miss one that does; bestRoom checks each fully.
type roomIndex struct {
	all     []*roomBucket
	bySig   map[string]*roomBucket
	byKV    map[string]map[string][]*roomBucket // key → value → the buckets with that property
	has     map[string]int                      // key → buckets with it
	lacking map[string][]*roomBucket            // key → buckets without it (filled on demand)
}

// newRoomIndex indexes rooms (in roomOrder); full ones are left out.
func newRoomIndex(rooms []*openRoom) *roomIndex {
	ix := &roomIndex{bySig: make(map[string]*roomBucket), byKV: make(map[string]map[string][]*roomBucket),
		has: make(map[string]int), lacking: make(map[string][]*roomBucket)}
	for i, r := range rooms {
		r.order = i
		if r.free() <= 0 {
			continue
		}
		var props map[string]string
		var sig string
		if r.track != nil {
			props, sig = r.track.props, r.track.sig
		}
		b := ix.bySig[sig]
		if b == nil {
			b = &roomBucket{props: props}
			ix.bySig[sig] = b
			ix.all = append(ix.all, b)
			for k, v := range props {
				if ix.byKV[k] == nil {
					ix.byKV[k] = make(map[string][]*roomBucket)
				}
				ix.byKV[k][v] = append(ix.byKV[k][v], b)
				ix.has[k]++
			}
		}
		b.rooms = append(b.rooms, r)
	}
	return ix
}

func (ix *roomIndex) lackingKey(k string) []*roomBucket {
	if l, ok := ix.lacking[k]; ok {
		return l
	}
	var l []*roomBucket
	for _, b := range ix.all {
		if _, ok := b.props[k]; !ok {
			l = append(l, b)
		}
	}
	ix.lacking[k] = l
	return l
}

// bestRoom is the fullest open room with space for t's whole party whose players t accepts (the oldest among
// equals), or nil.
func (m *Matchmaker) bestRoom(ix *roomIndex, t *ticket, now time.Time) *openRoom {
	if ix == nil || len(ix.all) == 0 {
		return nil
	}
	props := t.req.Properties
	// Through the ticket's most selective key (the buckets with its value plus those without the key), as for
	// tickets (modeIndex.candidates), or every bucket.
	cost, key := len(ix.all), ""
	for k, v := range props {
		if missing := len(ix.all) - ix.has[k]; 2*missing <= len(ix.all) {
			if c := len(ix.byKV[k][v]) + missing; c < cost {
				cost, key = c, k
			}
		}
	}
	var best *openRoom
	consider := func(b *roomBucket) {
		if !propsAgree(props, b.props) {
			return
		}
		for _, r := range b.rooms {
			if r.free() < t.size() {
				continue
			}
			if best != nil && (r.occupied < best.occupied || r.occupied == best.occupied && r.order > best.order) {
				continue
			}
			g := roomGroup(r.track)
			if g.accepts(t, &m.cfg, now) {
				best = r
			}
		}
	}
	if key == "" {
		for _, b := range ix.all {
			consider(b)
		}
	} else {
		for _, b := range ix.byKV[key][props[key]] {
			consider(b)
		}
		for _, b := range ix.lackingKey(key) {
			consider(b)
		}
	}
	return best
}
