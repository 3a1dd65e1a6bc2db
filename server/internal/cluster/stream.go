package cluster

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/room"
)

// Journal streaming (crash recovery, see doc.go): every room of a node hands its journal to a roomStream (a
// room.Streamer) on its own loop; the roomStream gathers the entries of a few ticks into a chunk and queues it, with
// the seats' resume tokens and the room's snapshots, for the node's one publisher goroutine, without ever blocking
// the tick. The publisher writes snapshots to bucket tickwire_checkpoints and chunks to stream TICKWIRE_JOURNAL.

// Where the streams go.
const (
	bucketCheckpoints = "tickwire_checkpoints" // key room id: the room's last snapshot
	streamJournal     = "TICKWIRE_JOURNAL"     // subjects subjectJournal + room id: the entries after it
	subjectJournal    = "tickwire.journal."
)

// Kinds of a journal stream message.
const (
	chunkEntries byte = 1 // journal entries, whole ticks
	chunkSeat    byte = 2 // uv(player id) token: a seat's resume token
)

// chunkBuffers is how many chunk buffers one room may have: one being filled, the others queued or being
// published. While all are taken the room's next chunk is dropped (and a snapshot asked for).
const chunkBuffers = 4

// chunkBytes is a chunk buffer's capacity: a chunk is handed over when the next tick would not fit.
const chunkBytes = 32 << 10

// chunkHeader is the size of a chunk message's fixed header: gen(8) seq(4) tick(4) unix nanos(8) kind(1).
const chunkHeader = 25

// streamItem is one thing queued for the publisher.
type streamItem struct {
	rs   *roomStream
	kind byte   // chunkEntries, chunkSeat; 0: snapshot (snap); 255: the room ended
	buf  []byte // a chunk message (header included), from rs.free; a snapshot's value
	ok   bool   // the room ended by Export (kind 255)
}

// streamer is a node's publisher of its rooms' streams.
type streamer struct {
	// Static after construction.
	n     *Node
	js    jetstream.JetStream
	ckpt  jetstream.KeyValue
	strm  jetstream.Stream
	ch    chan streamItem
	flush time.Duration
	every time.Duration

	pending []inflight // owned by run: chunks published, not yet acknowledged, oldest first

	dropped   atomic.Uint64 // chunks, seats and snapshots dropped: the queue was full (or a publish failed)
	published atomic.Uint64 // messages published
	snapshots atomic.Uint64
}

// roomStream is the room.Streamer of one room.
type roomStream struct {
	// Static after construction.
	s    *streamer
	room string
	subj string
	free chan []byte // chunk buffers not in use

	failed atomic.Bool // the publisher lost a chunk: the next tick asks for a snapshot

	// Owned by the room's loop.
	gen        uint64 // the generation: a random number per snapshot, carried by every chunk after it
	seq        uint32 // the next chunk's number within gen
	buf        []byte // the chunk being filled (nil: none)
	bufs       int    // buffers made
	first      uint32 // the first tick in buf
	last       uint32 // the last tick in buf
	snapTick   uint32 // the tick of the last snapshot
	tried      uint32 // the tick of the last snapshot attempt
	flushTicks uint32 // the flush interval in ticks (from the first snapshot's tick rate)
	everyTicks uint32 // the checkpoint interval in ticks
	broken     bool   // something was dropped since the last snapshot: nothing more until the next one
}

var _ room.Streamer = (*roomStream)(nil)

func newStreamer(n *Node, js jetstream.JetStream, ckpt jetstream.KeyValue, strm jetstream.Stream) *streamer {
	return &streamer{n: n, js: js, ckpt: ckpt, strm: strm, ch: make(chan streamItem, n.cfg.StreamQueue),
		flush: n.cfg.FlushInterval, every: n.cfg.CheckpointInterval}
}

// Stream is room.Config.Stream for this node's rooms: nil until the node started (then rooms are not streamed).
func (n *Node) Stream(roomID string) room.Streamer {
	s := n.streams.Load()
	if s == nil {
		return nil
	}
	return &roomStream{s: s, room: roomID, subj: subjectJournal + roomID, free: make(chan []byte, chunkBuffers),
		broken: true}
}

// Entries implements room.Streamer.
func (rs *roomStream) Entries(b []byte, tick uint32) {
	if rs.broken {
		return
	}
	if rs.buf != nil && len(rs.buf)+len(b) > cap(rs.buf) {
		rs.handOver()
	}
	if rs.buf == nil {
		if !rs.take(len(b)) {
			return
		}
		rs.first = tick
	}
	rs.buf, rs.last = append(rs.buf, b...), tick
	if tick-rs.first+1 >= rs.flushTicks {
		rs.handOver()
	}
}

// take gets a chunk buffer and writes the entries header into it; false: none free (the stream breaks).
func (rs *roomStream) take(need int) bool {
	var b []byte
	select {
	case b = <-rs.free:
	default:
		if rs.bufs == chunkBuffers {
			rs.drop()
			return false
		}
		rs.bufs++
		b = make([]byte, 0, chunkBytes)
	}
	if cap(b) < chunkHeader+need {
		b = make([]byte, 0, chunkHeader+need) // one tick larger than a chunk: rare, and kept
	}
	rs.buf = append(b[:0], make([]byte, chunkHeader)...)
	return true
}

// handOver queues the chunk being filled.
func (rs *roomStream) handOver() {
	b := rs.buf
	rs.buf = nil
	putHeader(b, rs.gen, rs.seq, rs.last, chunkEntries)
	select {
	case rs.s.ch <- streamItem{rs: rs, kind: chunkEntries, buf: b}:
		rs.seq++
	default:
		rs.free <- b
		rs.drop()
	}
}

// putHeader writes a chunk message's header.
func putHeader(b []byte, gen uint64, seq, tick uint32, kind byte) {
	binary.LittleEndian.PutUint64(b[0:], gen)
	binary.LittleEndian.PutUint32(b[8:], seq)
	binary.LittleEndian.PutUint32(b[12:], tick)
	binary.LittleEndian.PutUint64(b[16:], uint64(time.Now().UnixNano()))
	b[24] = kind
}

// drop breaks the stream until the next snapshot, which the room is asked for at once.
func (rs *roomStream) drop() {
	rs.broken = true
	rs.s.dropped.Add(1)
}

// Seat implements room.Streamer.
func (rs *roomStream) Seat(id game.PlayerID, token []byte) {
	if rs.broken {
		return
	}
	if rs.buf != nil {
		rs.handOver() // the entries before the seat go first
		if rs.broken {
			return
		}
	}
	b := make([]byte, chunkHeader, chunkHeader+10+len(token))
	b = binary.AppendUvarint(b, uint64(id))
	b = append(b, token...)
	putHeader(b, rs.gen, rs.seq, rs.snapTick, chunkSeat)
	select {
	case rs.s.ch <- streamItem{rs: rs, kind: chunkSeat, buf: b}:
		rs.seq++
	default:
		rs.drop()
	}
}

// Snapshot implements room.Streamer.
func (rs *roomStream) Snapshot(ex *room.Export) {
	if rs.flushTicks == 0 {
		_, gc, err := ex.Game()
		rate := 30
		if err == nil && gc.TickRate > 0 {
			rate = gc.TickRate
		}
		rs.flushTicks = max(1, uint32(rs.s.flush*time.Duration(rate)/time.Second))
		rs.everyTicks = max(1, uint32(rs.s.every*time.Duration(rate)/time.Second))
	}
	if rs.buf != nil { // entries of the previous generation: no use after this snapshot
		rs.free <- rs.buf
		rs.buf = nil
	}
	b, _ := ex.MarshalBinary()
	gen := randomGen()
	v := make([]byte, 0, 24+len(b))
	v = binary.LittleEndian.AppendUint64(v, gen)
	v = binary.LittleEndian.AppendUint32(v, ex.Tick)
	v = binary.LittleEndian.AppendUint32(v, uint32(rs.flushTicks))
	v = binary.LittleEndian.AppendUint64(v, uint64(time.Now().UnixNano()))
	v = append(v, b...)
	rs.tried = ex.Tick
	select {
	case rs.s.ch <- streamItem{rs: rs, kind: 0, buf: v}:
		rs.gen, rs.seq, rs.broken, rs.snapTick = gen, 0, false, ex.Tick
		rs.failed.Store(false)
	default:
		rs.drop()
	}
}

// SnapshotDue implements room.Streamer.
// After a drop it asks at once, then (while snapshots fail too: NATS unreachable) at most once per flush interval.
func (rs *roomStream) SnapshotDue(tick uint32) bool {
	if rs.broken || rs.failed.Load() {
		return tick-rs.tried >= rs.flushTicks
	}
	return tick-rs.snapTick >= rs.everyTicks
}

// End implements room.Streamer.
func (rs *roomStream) End(exported bool) {
	if rs.buf != nil {
		rs.handOver()
	}
	select {
	case rs.s.ch <- streamItem{rs: rs, kind: 255, ok: exported}:
	default:
		// The room's snapshot and entries stay: nobody claims them while this node lives, and a node that dies
		// has its rooms' entries in the directory deleted (or recovered) anyway.
		rs.s.dropped.Add(1)
	}
}

// run publishes what the rooms queue, in order, until ctx ends.
func (s *streamer) run(ctx context.Context) {
	defer s.n.wg.Done()
	tick := time.NewTicker(s.flush)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-s.ch:
			s.publish(ctx, it)
		case <-tick.C: // acknowledgements that came while no room queued anything
		}
		s.reap(ctx, maxInflight)
	}
}

// maxInflight bounds the chunks published and not yet acknowledged by JetStream.
const maxInflight = 256

// inflight is a chunk published asynchronously, until JetStream acknowledges it.
type inflight struct {
	f  jetstream.PubAckFuture
	it streamItem
	at time.Time
}

func (s *streamer) publish(ctx context.Context, it streamItem) {
	rs := it.rs
	var err error
	switch it.kind {
	case 0, 255:
		ctx, cancel := context.WithTimeout(ctx, s.n.cfg.RequestTimeout)
		defer cancel()
		if it.kind == 0 {
			if _, err = s.ckpt.Put(ctx, rs.room, it.buf); err == nil {
				s.snapshots.Add(1)
				// The entries of earlier generations are of no use now: the chunks of this one are queued after
				// it (one of the earlier ones still on its way may land after the purge: a reader skips it).
				err = s.strm.Purge(ctx, jetstream.WithPurgeSubject(rs.subj))
			}
		} else if !it.ok {
			_ = s.ckpt.Delete(ctx, rs.room)
			err = s.strm.Purge(ctx, jetstream.WithPurgeSubject(rs.subj))
		}
		s.done(it, err)
	default:
		// Published without waiting for the acknowledgement (one round trip per chunk would bound a node to a
		// few thousand chunks a second): the connection keeps them in order, reap collects the answers.
		f, err := s.js.PublishAsync(rs.subj, it.buf)
		if err != nil {
			s.done(it, err)
			return
		}
		s.pending = append(s.pending, inflight{f: f, it: it, at: time.Now()})
	}
}

// reap collects the acknowledgements that came, and waits for the oldest while more than limit are pending.
func (s *streamer) reap(ctx context.Context, limit int) {
	head := 0
	defer func() { // keep the ones still pending at the front
		k := copy(s.pending, s.pending[head:])
		clear(s.pending[k:])
		s.pending = s.pending[:k]
	}()
	for head < len(s.pending) {
		p := s.pending[head]
		var err error
		select {
		case <-p.f.Ok():
		case err = <-p.f.Err():
		default:
			if time.Since(p.at) > s.n.cfg.RequestTimeout {
				err = context.DeadlineExceeded // no answer (NATS unreachable): lost, its buffer back to its room
				break
			}
			if len(s.pending)-head <= limit {
				return
			}
			t := time.NewTimer(s.n.cfg.RequestTimeout)
			select {
			case <-p.f.Ok():
			case err = <-p.f.Err():
			case <-t.C:
				err = context.DeadlineExceeded
			case <-ctx.Done():
				err = ctx.Err()
			}
			t.Stop()
		}
		head++
		s.done(p.it, err)
	}
}

// done accounts for one item that was written (err nil) or lost, and gives a chunk's buffer back to its room.
func (s *streamer) done(it streamItem, err error) {
	rs := it.rs
	if it.kind == chunkEntries {
		select {
		case rs.free <- it.buf:
		default:
		}
	}
	if err != nil {
		if it.kind != 255 {
			rs.failed.Store(true) // the chunks after a lost one are useless: the room takes a snapshot
			s.dropped.Add(1)
		}
		s.n.log.Debug("cluster: stream publish failed", "room", rs.room, "err", err)
		return
	}
	s.published.Add(1)
}

// randomGen is a snapshot's generation: random, so that two snapshots of a room (on two nodes) never share one.
func randomGen() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("cluster: crypto/rand failed: " + err.Error())
	}
	return binary.LittleEndian.Uint64(b[:])
}

// errNoSnapshot: a room without a snapshot cannot be recovered.
var errNoSnapshot = errors.New("cluster: the room has no snapshot")

// setupStreams makes (when missing) the checkpoints bucket and the journal stream, and the node's publisher.
func (n *Node) setupStreams(ctx context.Context, js jetstream.JetStream,
	kv func(string, time.Duration) (jetstream.KeyValue, error)) error {
	var err error
	if n.ckptKV, err = kv(bucketCheckpoints, 0); err != nil {
		return err
	}
	n.journal, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: streamJournal,
		Subjects: []string{subjectJournal + ">"}, Storage: jetstream.MemoryStorage, Discard: jetstream.DiscardOld,
		MaxBytes: 256 << 20})
	if err != nil {
		return fmt.Errorf("cluster: stream %s: %w", streamJournal, err)
	}
	n.streams.Store(newStreamer(n, js, n.ckptKV, n.journal))
	return nil
}
