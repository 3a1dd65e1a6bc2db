package client

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/lxzan/gws"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
)

// benchClient is a joined client without a socket, fed frames directly (the read path of one connection).
func benchClient(tb testing.TB) (*Client, *gws.Conn, [][]byte) {
	codec, err := snapcodec.New(fakeSchema)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := Config{URL: "ws://x"}
	cfg.setDefaults()
	conn := new(gws.Conn)
	c := &Client{cfg: cfg, stats: cfg.Stats, log: cfg.Logger, done: make(chan struct{}), ring: make([]sentInput, 128),
		state: stateJoined, conn: conn, codec: codec, welcome: &proto.Welcome{PlayerId: 1}}
	// Sixteen moving players and some projectiles; frames alternate between deltas so each applies to the last.
	var frames [][]byte
	var prev *snapcodec.World
	for tick := uint32(1); tick <= 31; tick++ {
		w := &snapcodec.World{Tick: tick}
		for id := uint32(1); id <= 16; id++ {
			vx := int32(id%3) - 1
			w.Entities = append(w.Entities, game.Entity{ID: id, Kind: 1, Fields: [game.MaxFields]int32{int32(id)*100 + vx*int32(tick), 50, vx, 0}})
		}
		for p := uint32(0); p < 20; p++ {
			w.Entities = append(w.Entities, game.Entity{ID: 65536 + p + tick/10, Kind: 2, Fields: [game.MaxFields]int32{int32(tick * 9), 9}})
		}
		baseline := uint32(0)
		if prev != nil {
			baseline = prev.Tick
		}
		h := codec.Hash(w)
		b, _ := gproto.Marshal(&proto.ServerFrame{Msg: &proto.ServerFrame_Snapshot{Snapshot: &proto.Snapshot{
			Tick: tick, BaselineTick: baseline, Entities: codec.AppendDelta(nil, prev, w), StateHash: &h}}})
		frames = append(frames, append(b, 0x78, byte(tick)))
		prev = w
	}
	return c, conn, frames
}

// BenchmarkSnapshotReadPath: decode one frame, apply the delta, check the hash, acknowledge inputs.
func BenchmarkSnapshotReadPath(b *testing.B) {
	c, conn, frames := benchClient(b)
	now := time.Now()
	c.onFrame(conn, frames[0], now)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i%30 + 1
		if k == 1 {
			c.world.Tick = 1 // replay the same sequence of deltas
			c.onFrame(conn, frames[0], now)
		}
		c.onFrame(conn, frames[k], now)
	}
	if c.stats.DecodeErrors.Load() != 0 || c.stats.WorldMismatches.Load() != 0 {
		b.Fatalf("decode errors %d, mismatches %d", c.stats.DecodeErrors.Load(), c.stats.WorldMismatches.Load())
	}
}

func TestSnapshotReadPathDoesNotAllocate(t *testing.T) {
	c, conn, frames := benchClient(t)
	now := time.Now()
	k := 0
	allocs := testing.AllocsPerRun(200, func() {
		if k%31 == 0 {
			c.world.Tick = 0
		}
		c.onFrame(conn, frames[k%31], now)
		k++
	})
	if allocs != 0 {
		t.Errorf("%v allocs per snapshot", allocs)
	}
	if c.stats.DecodeErrors.Load() != 0 || c.stats.WorldMismatches.Load() != 0 || c.stats.HashChecks.Load() == 0 {
		t.Errorf("decode errors %d, mismatches %d", c.stats.DecodeErrors.Load(), c.stats.WorldMismatches.Load())
	}
}

// wsFramed wraps each payload in an unmasked binary WebSocket frame, as a server sends it.
func wsFramed(frames [][]byte) [][]byte {
	out := make([][]byte, len(frames))
	for i, p := range frames {
		var h []byte
		switch n := len(p); {
		case n < 126:
			h = []byte{0x82, byte(n)}
		case n < 65536:
			h = []byte{0x82, 126, byte(n >> 8), byte(n)}
		default:
			panic("frame too large for the benchmark")
		}
		out[i] = append(h, p...)
	}
	return out
}

// BenchmarkFrameReadPath: the read loop's work per snapshot after read(2): WebSocket framing, then the snapshot path.
func BenchmarkFrameReadPath(b *testing.B) {
	c, conn, frames := benchClient(b)
	framed := wsFramed(frames)
	fr := frameReader{buf: make([]byte, readBufferSize)}
	feed := func(p []byte) {
		fr.w += copy(fr.buf[fr.w:], p)
		if err := c.handleFrames(conn, &fr, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	feed(framed[0])
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i%30 + 1
		if k == 1 {
			c.world.Tick = 1
			feed(framed[0])
		}
		feed(framed[k])
	}
	if c.stats.DecodeErrors.Load() != 0 || c.stats.WorldMismatches.Load() != 0 {
		b.Fatalf("decode errors %d, mismatches %d", c.stats.DecodeErrors.Load(), c.stats.WorldMismatches.Load())
	}
}

func TestFrameReadPathDoesNotAllocate(t *testing.T) {
	c, conn, frames := benchClient(t)
	framed := wsFramed(frames)
	fr := frameReader{buf: make([]byte, readBufferSize)}
	k := 0
	allocs := testing.AllocsPerRun(200, func() {
		if k%31 == 0 {
			c.world.Tick = 0
		}
		// Two frames per read, the second split across reads: the reader keeps the partial frame.
		p := framed[k%31]
		half := len(p) / 2
		fr.w += copy(fr.buf[fr.w:], p[:half])
		if err := c.handleFrames(conn, &fr, time.Now()); err != nil {
			t.Fatal(err)
		}
		fr.w += copy(fr.buf[fr.w:], p[half:])
		if err := c.handleFrames(conn, &fr, time.Now()); err != nil {
			t.Fatal(err)
		}
		k++
	})
	if allocs != 0 {
		t.Errorf("%v allocs per snapshot", allocs)
	}
	if c.stats.DecodeErrors.Load() != 0 || c.stats.WorldMismatches.Load() != 0 || c.stats.Snapshots.Load() == 0 {
		t.Errorf("decode errors %d, mismatches %d, snapshots %d", c.stats.DecodeErrors.Load(),
			c.stats.WorldMismatches.Load(), c.stats.Snapshots.Load())
	}
}

// inputBench is a joined client whose connection is a real loopback WebSocket to a server that discards inputs
// (after the handshake it only copies the socket to io.Discard, so that the benchmark counts the client's work).
func inputBench(tb testing.TB) (*Client, func()) {
	c, _, _ := benchClient(tb)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() {
		sc, err := ln.Accept()
		if err != nil {
			return
		}
		defer sc.Close()
		req, err := http.ReadRequest(bufio.NewReader(sc))
		if err != nil {
			return
		}
		h := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		_, _ = io.WriteString(sc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: "+base64.StdEncoding.EncodeToString(h[:])+"\r\n\r\n")
		_, _ = io.Copy(io.Discard, sc)
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	gc := newGateConn(nc)
	conn, _, err := gws.NewClientFromConn(&connHandler{c: c}, &gws.ClientOption{Addr: "ws://" + ln.Addr().String() + "/ws"}, gc)
	if err != nil {
		tb.Fatal(err)
	}
	c.conn, c.gate = conn, gc
	c.clock = NewInputClock(time.Second / 30)
	c.clock.Start(time.Now(), 1, time.Millisecond)
	return c, func() { _ = gc.closeNow(); _ = ln.Close() }
}

// BenchmarkInputPath: one input's work in the client: the input clock gives its tick, it is encoded and written to
// the socket, and a snapshot acknowledges it. The clock is driven one tick per input.
func BenchmarkInputPath(b *testing.B) {
	c, done := inputBench(b)
	defer done()
	values := []int32{1, -1, 12345, 1}
	now := time.Now()
	step := c.clock.Interval()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(step)
		if err := c.benchInput(values, now); err != nil {
			b.Fatal(err)
		}
	}
}

func TestInputPathDoesNotAllocate(t *testing.T) {
	c, done := inputBench(t)
	defer done()
	values := []int32{1, -1, 12345, 1}
	now := time.Now()
	step := c.clock.Interval()
	allocs := testing.AllocsPerRun(200, func() {
		now = now.Add(step)
		if err := c.benchInput(values, now); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocs per input", allocs)
	}
	if sent, acked := c.Inputs(); sent == 0 || acked != sent {
		t.Errorf("sent %d, acked %d", sent, acked)
	}
}

// benchInput is SendInputTick's work at a given time, followed by the acknowledgement a snapshot of that tick brings.
func (c *Client) benchInput(values []int32, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	tick, ok := c.clock.Take(now, c.world.Tick+1)
	if !ok {
		return ErrInputEarly
	}
	seq := c.sent + 1
	e := &c.ring[(c.head+c.count)%len(c.ring)]
	e.seq, e.tick, e.n, e.sentAt = seq, tick, uint8(len(values)), now
	copy(e.values[:], values)
	if err := c.writeInputLocked(e, now); err != nil {
		return err
	}
	c.count++
	c.sent = seq
	applied := c.ackLocked(seq, tick, tick-1, now.Add(time.Millisecond))
	c.countTicksLocked(tick, applied)
	return nil
}

// BenchmarkSnapshotReadPathManyClients is the snapshot path of a thousand clients in one process, as the bots run:
// each snapshot goes to the next client, whose world is no longer in the processor's caches. The op is one snapshot.
func BenchmarkSnapshotReadPathManyClients(b *testing.B) {
	const n = 1024
	cs := make([]*Client, n)
	var conns []*gws.Conn
	var frames [][]byte
	for i := range cs {
		var conn *gws.Conn
		cs[i], conn, frames = benchClient(b)
		conns = append(conns, conn)
		cs[i].onFrame(conn, frames[0], time.Now())
	}
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, conn := cs[i%n], conns[i%n]
		k := (i/n)%30 + 1
		if k == 1 {
			c.world.Tick = 1 // replay the same sequence of deltas
			c.onFrame(conn, frames[0], now)
		}
		c.onFrame(conn, frames[k], now)
	}
	for _, c := range cs {
		if c.stats.DecodeErrors.Load() != 0 || c.stats.WorldMismatches.Load() != 0 {
			b.Fatalf("decode errors %d, mismatches %d", c.stats.DecodeErrors.Load(), c.stats.WorldMismatches.Load())
		}
	}
}
