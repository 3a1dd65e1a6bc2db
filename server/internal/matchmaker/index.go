package matchmaker

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// propSignature is a canonical encoding of a ticket's properties: two tickets with the same signature carry the
// same properties and so always agree on them. Keys are sorted and every string is length-prefixed, so no choice of
// keys and values makes two different property sets encode alike.
func propSignature(props map[string]string) string {
	if len(props) == 0 {
		return ""
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := props[k]
		b.WriteString(strconv.Itoa(len(k)))
		b.WriteByte(':')
		b.WriteString(k)
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	return b.String()
}

// propsAgree reports whether a and b agree on every key both have (the compatibility rule of Properties).
func propsAgree(a, b map[string]string) bool {
	if len(b) < len(a) {
		a, b = b, a
	}
	for k, v := range a {
		if bv, ok := b[k]; ok && bv != v {
			return false
		}
	}
	return true
}

// bucket holds the queued public tickets of one mode that carry exactly the same properties. Guarded by
// Matchmaker.mu, like the whole index.
type bucket struct {
	sig   string
	props map[string]string
	pos   int         // index in modeIndex.all
	keys  []bucketKey // one per property
	live  int         // queued tickets in the bucket
	// The tickets as of the last refresh (some may have left the queue since): the rated ones by rating, the
	// unrated ones oldest first; added holds the ones submitted since.
	rated, unrated, added []ref
	dirty                 bool
	seen                  uint64 // the stamp of the last candidates call that collected this bucket
}

// ref is a ticket in an index list, with its sort keys inline (a search reads no ticket).
type ref struct {
	r   float64 // the rating (rated tickets)
	seq uint64
	t   *ticket
}

// bucketKey is one property of a bucket, with direct links into the index (so an anchor's candidates are found
// without a map lookup).
type bucketKey struct {
	k   *keyInfo
	v   string
	kv  *kvList // the buckets with this key and value
	pos int     // index in kv.buckets
}

// keyInfo is what the index knows of one property key.
type keyInfo struct {
	name    string
	vals    map[string]*kvList
	has     int       // buckets with the key
	lacking []*bucket // the buckets without it, as of batch lackAt (listed on demand)
	lackAt  uint64
}

type kvList struct{ buckets []*bucket }

// modeIndex indexes one mode's queued public tickets so that forming a group around an anchor looks only at tickets
// that may share a room with it: tickets whose properties agree with the anchor's (found through the buckets of
// equal properties and an index of the buckets by key and value) and, for a rated anchor, whose rating lies within
// its window (found by binary search). Tickets that cannot be matched with anyone cost about log n each in a batch,
// not n. It is kept up to date as tickets are submitted and leave the queue, so a batch builds nothing.
type modeIndex struct {
	bySig map[string]*bucket
	all   []*bucket
	keys  map[string]*keyInfo
	// Every ticket of the mode, as in a bucket.
	rated, unrated, added []ref
	dirty                 []*bucket
	// Per batch.
	batch uint64 // the batch that set the tickets' pos
	used  []bool // batch position → placed in this batch
	stamp uint64 // candidates calls so far
}

func newModeIndex() *modeIndex {
	return &modeIndex{bySig: make(map[string]*bucket), keys: make(map[string]*keyInfo)}
}

// add indexes a queued public ticket.
func (ix *modeIndex) add(t *ticket) {
	b := ix.bySig[t.sig]
	if b == nil {
		b = &bucket{sig: t.sig, props: t.req.Properties, pos: len(ix.all), keys: make([]bucketKey, 0, len(t.req.Properties))}
		ix.bySig[t.sig] = b
		ix.all = append(ix.all, b)
		for k, v := range t.req.Properties {
			ki := ix.keys[k]
			if ki == nil {
				ki = &keyInfo{name: k, vals: make(map[string]*kvList)}
				ix.keys[k] = ki
			}
			kv := ki.vals[v]
			if kv == nil {
				kv = &kvList{}
				ki.vals[v] = kv
			}
			b.keys = append(b.keys, bucketKey{k: ki, v: v, kv: kv, pos: len(kv.buckets)})
			kv.buckets = append(kv.buckets, b)
			ki.has++
		}
	}
	t.bkt = b
	b.live++
	e := ref{seq: t.seq, t: t}
	if t.req.Rating != nil {
		e.r = *t.req.Rating
	}
	b.added = append(b.added, e)
	ix.added = append(ix.added, e)
	ix.markDirty(b)
}

func (ix *modeIndex) markDirty(b *bucket) {
	if !b.dirty {
		b.dirty = true
		ix.dirty = append(ix.dirty, b)
	}
}

// remove forgets a ticket that left the queue; its bucket goes when it empties. The ticket stays in the lists until
// the next refresh (which drops every ticket no longer queued).
func (ix *modeIndex) remove(t *ticket) {
	b := t.bkt
	if b == nil {
		return
	}
	t.bkt = nil
	b.live--
	ix.markDirty(b)
	if b.live > 0 {
		return
	}
	delete(ix.bySig, b.sig)
	last := ix.all[len(ix.all)-1]
	ix.all[b.pos], last.pos = last, b.pos
	ix.all = ix.all[:len(ix.all)-1]
	for i := range b.keys {
		bk := &b.keys[i]
		list := bk.kv.buckets
		last := list[len(list)-1]
		list[bk.pos] = last
		for j := range last.keys {
			if last.keys[j].kv == bk.kv {
				last.keys[j].pos = bk.pos
			}
		}
		bk.kv.buckets = list[:len(list)-1]
		if len(bk.kv.buckets) == 0 {
			delete(bk.k.vals, bk.v)
		}
		if bk.k.has--; bk.k.has == 0 {
			delete(ix.keys, bk.k.name)
		}
	}
}

func byRating(a, b ref) int {
	if c := cmp.Compare(a.r, b.r); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

func bySeq(a, b ref) int { return cmp.Compare(a.seq, b.seq) }

// refreshLists drops the tickets that left the queue from rated and unrated and merges added in: linear in the
// lists, plus the sort of what was added.
func refreshLists(rated, unrated, added []ref) ([]ref, []ref) {
	gone := func(e ref) bool { return !e.t.queued() }
	rated = slices.DeleteFunc(rated, gone)
	unrated = slices.DeleteFunc(unrated, gone)
	var newRated, newUnrated []ref
	for _, e := range added {
		if !e.t.queued() {
			continue
		}
		if e.t.req.Rating != nil {
			newRated = append(newRated, e)
		} else {
			newUnrated = append(newUnrated, e)
		}
	}
	slices.SortFunc(newRated, byRating)
	return merge(rated, newRated, byRating), merge(unrated, newUnrated, bySeq) // added is in submission order
}

// merge merges b into a (both sorted by less).
func merge(a, b []ref, less func(a, b ref) int) []ref {
	if len(b) == 0 {
		return a
	}
	out := make([]ref, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if less(b[j], a[i]) < 0 {
			out = append(out, b[j])
			j++
		} else {
			out = append(out, a[i])
			i++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// refresh brings the lists up to date for a batch.
func (ix *modeIndex) refresh() {
	if len(ix.dirty) > 0 {
		ix.rated, ix.unrated = refreshLists(ix.rated, ix.unrated, ix.added)
		ix.added = ix.added[:0]
	}
	for _, b := range ix.dirty {
		b.rated, b.unrated = refreshLists(b.rated, b.unrated, b.added)
		b.added, b.dirty = b.added[:0], false
	}
	ix.dirty = ix.dirty[:0]
}

// begin starts forming rooms from tickets (this batch's unplaced public tickets of the mode, oldest first): it
// brings the index up to date and numbers them.
func (ix *modeIndex) begin(batch uint64, tickets []*ticket) {
	ix.refresh()
	ix.batch = batch
	for i, t := range tickets {
		t.batch, t.pos = batch, i
	}
	if cap(ix.used) < len(tickets) {
		ix.used = make([]bool, len(tickets))
	}
	ix.used = ix.used[:len(tickets)]
	clear(ix.used)
}

// ratingWindow returns the part of s (sorted by rating) within [lo, hi].
func ratingWindow(s []ref, lo, hi float64) []ref {
	a := sort.Search(len(s), func(k int) bool { return s[k].r >= lo })
	b := a + sort.Search(len(s)-a, func(k int) bool { return s[a+k].r > hi })
	return s[a:b]
}

// after returns the part of s (oldest first) submitted after seq.
func after(s []ref, seq uint64) []ref {
	return s[sort.Search(len(s), func(k int) bool { return s[k].seq > seq }):]
}

// candidates appends to cand, oldest first, the batch positions of the tickets after anchor that are still unplaced
// in this batch and may share a room with it: their properties agree with the anchor's and, when both are rated,
// their ratings lie within the anchor's window w. Every ticket that could join the anchor's group is among them
// (the group checks each one fully).
func (ix *modeIndex) candidates(anchor *ticket, w float64, cand []int) []int {
	props, own := anchor.req.Properties, anchor.bkt
	keep := func(e ref) {
		if t := e.t; e.seq > anchor.seq && t.batch == ix.batch && !ix.used[t.pos] && t.queued() {
			cand = append(cand, t.pos)
		}
	}
	rated := anchor.req.Rating != nil
	var lo, hi float64
	if rated {
		lo, hi = *anchor.req.Rating-w, *anchor.req.Rating+w
	}

	// The buckets that agree with the anchor: through the anchor's most selective key (the buckets with its value,
	// plus the buckets without the key), or all of them. Only keys at least half of the buckets have are used, so
	// that the buckets without a key are listed for at most 2·MaxProperties keys per batch.
	cost, key := len(ix.all), (*bucketKey)(nil)
	for i := range own.keys {
		bk := &own.keys[i]
		if missing := len(ix.all) - bk.k.has; 2*missing <= len(ix.all) {
			if c := len(bk.kv.buckets) + missing; c < cost {
				cost, key = c, bk
			}
		}
	}
	// A rated anchor may instead look at every ticket within its window and every unrated one, when that is fewer.
	if rated {
		in := ratingWindow(ix.rated, lo, hi)
		un := after(ix.unrated, anchor.seq)
		if len(in)+len(un) < cost {
			for _, e := range in {
				if propsAgree(props, e.t.req.Properties) {
					keep(e)
				}
			}
			for _, e := range un {
				if propsAgree(props, e.t.req.Properties) {
					keep(e)
				}
			}
			slices.Sort(cand)
			return cand
		}
	}
	ix.stamp++
	collect := func(b *bucket) {
		if b.seen == ix.stamp || (b != own && !propsAgree(props, b.props)) {
			return
		}
		b.seen = ix.stamp
		if rated {
			for _, e := range ratingWindow(b.rated, lo, hi) {
				keep(e)
			}
		} else {
			for _, e := range b.rated {
				keep(e)
			}
		}
		for _, e := range after(b.unrated, anchor.seq) {
			keep(e)
		}
	}
	if key == nil {
		for _, b := range ix.all {
			collect(b)
		}
	} else {
		for _, b := range key.kv.buckets {
			collect(b)
		}
		for _, b := range ix.lackingKey(key.k) {
			collect(b)
		}
	}
	slices.Sort(cand)
	return cand
}

// lackingKey returns the buckets without key k, listed once per batch and key.
func (ix *modeIndex) lackingKey(k *keyInfo) []*bucket {
	if k.lackAt == ix.batch {
		return k.lacking
	}
	k.lackAt, k.lacking = ix.batch, k.lacking[:0]
	if k.has < len(ix.all) {
		for _, b := range ix.all {
			if _, ok := b.props[k.name]; !ok {
				k.lacking = append(k.lacking, b)
			}
		}
	}
	return k.lacking
}
