package playback_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"
	gproto "google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/proto/snapcodec"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/internal/playback"
	"github.com/tickwire/tickwire/tools/client"
)

var games = map[string]game.Factory{arena.Mode: arena.Factory}

// recordRoom runs a real server with -record on loopback, plays an arena room with three bots (tools/client) for
// about ticks ticks, shuts the server down (which flushes the journal) and returns the record directory.
func recordRoom(t *testing.T, ticks int) string {
	t.Helper()
	dir := t.TempDir()
	cfg := server.DefaultConfig()
	cfg.AdminAddr = ""
	cfg.Record = dir
	cfg.DrainTimeout = 0
	srv, err := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.RegisterGame(arena.Mode, arena.Factory, server.GameOptions{}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for b := 1; b <= 3; b++ {
		// One after the other, so that quick play puts them in one room.
		c, err := client.Dial(ctx, client.Config{URL: "ws://" + ln.Addr().String() + "/ws", Mode: arena.Mode,
			Name: fmt.Sprintf("bot%d", b)})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			for sent := 0; sent < ticks && ctx.Err() == nil; {
				if at := c.NextInputAt(); at.IsZero() {
					time.Sleep(10 * time.Millisecond)
				} else {
					time.Sleep(time.Until(at))
				}
				dir := int32((sent/15+b)%3) - 1 // turns every half second
				_, _, err := c.SendInputTick([]int32{dir, int32((sent/20+2*b)%3) - 1, int32(sent * 50 * b % 62832),
					int32(sent % 6 / 5)})
				switch {
				case err == nil:
					sent++
				case errors.Is(err, client.ErrNotConnected), errors.Is(err, client.ErrInputBacklog),
					errors.Is(err, client.ErrInputEarly):
				default:
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cancel()
	if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	return dir
}

// viewer is a test's watch socket: binary frames decoded as ServerFrames, text frames as state messages.
type viewer struct {
	gws.BuiltinEventHandler
	conn *gws.Conn
	msgs chan any // *proto.ServerFrame or map[string]any
	done chan error
}

func (v *viewer) OnMessage(_ *gws.Conn, m *gws.Message) {
	defer m.Close()
	if m.Opcode == gws.OpcodeText {
		var s map[string]any
		if err := json.Unmarshal(m.Bytes(), &s); err != nil {
			panic(err)
		}
		v.msgs <- s
		return
	}
	f := &proto.ServerFrame{}
	if err := gproto.Unmarshal(m.Bytes(), f); err != nil {
		panic(err)
	}
	v.msgs <- f
}

func (v *viewer) OnClose(_ *gws.Conn, err error) { v.done <- err }

func watch(t *testing.T, base, id string, header http.Header) *viewer {
	t.Helper()
	v := &viewer{msgs: make(chan any, 1<<14), done: make(chan error, 1)}
	// A playback that just ended releases its slot as its goroutine returns: a 503 is retried for a while.
	deadline := time.Now().Add(10 * time.Second)
	var conn *gws.Conn
	for {
		c, resp, err := gws.NewClient(v, &gws.ClientOption{Addr: "ws" + strings.TrimPrefix(base, "http") +
			"/v1/replays/" + id + "/watch", RequestHeader: header})
		if err == nil {
			conn = c
			break
		}
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		if status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("watch %s: %v (status %d)", id, err, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	v.conn = conn
	go conn.ReadLoop()
	t.Cleanup(func() { _ = conn.WriteClose(1000, nil) })
	return v
}

func (v *viewer) send(t *testing.T, s string) {
	t.Helper()
	if err := v.conn.WriteMessage(gws.OpcodeText, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

// next returns the next message, failing the test after 20 s.
func (v *viewer) next(t *testing.T) any {
	t.Helper()
	select {
	case m := <-v.msgs:
		return m
	case err := <-v.done:
		t.Fatalf("the socket closed: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no message within 20 s")
	}
	return nil
}

// nextText skips frames up to the next state message of type typ.
func (v *viewer) nextText(t *testing.T, typ string) map[string]any {
	t.Helper()
	for {
		if s, ok := v.next(t).(map[string]any); ok && s["type"] == typ {
			return s
		}
	}
}

func newHandler(t *testing.T, cfg playback.Config) string {
	t.Helper()
	cfg.Games = games
	h, err := playback.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		ts.Close()
	})
	return ts.URL
}

func list(t *testing.T, base, key string) (int, []playback.Recording) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/v1/replays", nil)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Recordings []playback.Recording }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Recordings
}

// expected re-runs the recording with a Player of its own: the snapcodec hash of the world at each tick, which the
// viewer's decoded worlds must match.
func expected(t *testing.T, dir, id string) (map[uint32]uint32, *playback.Player) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	_, files, err := playback.Load(root, id, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	p, err := playback.Open(files, arena.Factory)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := snapcodec.New(p.Sim().Schema())
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32]uint32{}
	for p.Step() == nil {
		want[uint32(p.Tick())] = codec.Hash(&snapcodec.World{Tick: uint32(p.Tick()), Entities: p.World()})
	}
	q, _ := playback.Open(files, arena.Factory)
	return want, q
}

// TestWatchRecordedRoom records a room of bots on a real server, watches it over a loopback WebSocket at 4x, and
// checks that every tick arrives, decodes with the client's codec to the world the recording gives, and that the
// playback checked every tick's hash; then seeks back and forth.
func TestWatchRecordedRoom(t *testing.T) {
	dir := recordRoom(t, 75)
	base := newHandler(t, playback.Config{Dir: dir})
	status, recs := list(t, base, "")
	if status != 200 || len(recs) != 1 || recs[0].Mode != arena.Mode || recs[0].Error != "" {
		t.Fatalf("list: %d %+v; want one arena recording", status, recs)
	}
	id := recs[0].ID
	want, p := expected(t, dir, id)
	if len(want) < 60 {
		t.Fatalf("the recording holds %d ticks, want at least 60", len(want))
	}

	v := watch(t, base, id, nil)
	v.send(t, `{"op":"speed","speed":4}`)
	info := v.nextText(t, "info")
	first, last := uint32(info["first_tick"].(float64)), uint32(info["last_tick"].(float64))
	if last != uint32(p.Last()) || first != uint32(p.First()) {
		t.Fatalf("info %v; want ticks %d..%d", info, p.First(), p.Last())
	}
	var codec *snapcodec.Codec
	var replica *snapcodec.Replica
	var moved bool
	startPos := map[uint32][2]int32{}
	seen := 0
	next := first + 1
	joined := 0
	for done := false; !done; {
		switch m := v.next(t).(type) {
		case map[string]any:
			switch m["type"] {
			case "divergence", "error":
				t.Fatalf("playback: %v", m)
			case "end":
				if uint32(m["tick"].(float64)) != last {
					t.Fatalf("end at %v, want %d", m["tick"], last)
				}
				done = true
			}
		case *proto.ServerFrame:
			switch f := m.Msg.(type) {
			case *proto.ServerFrame_Welcome:
				s, err := snapcodec.SchemaFromWelcome(f.Welcome.Kinds, f.Welcome.Input, f.Welcome.Params)
				if err != nil {
					t.Fatal(err)
				}
				if codec, err = snapcodec.New(s); err != nil {
					t.Fatal(err)
				}
				replica = snapcodec.NewReplica(codec)
			case *proto.ServerFrame_Event:
				if f.Event.Type == "player_joined" {
					joined++
				}
			case *proto.ServerFrame_Snapshot:
				s := f.Snapshot
				if s.Tick != next {
					t.Fatalf("snapshot of tick %d, want %d", s.Tick, next)
				}
				next++
				if err := replica.Apply(s.Tick, s.BaselineTick, s.Entities); err != nil {
					t.Fatalf("tick %d: %v", s.Tick, err)
				}
				if got := replica.Hash(); got != want[s.Tick] {
					t.Fatalf("tick %d: decoded world hash %08x, want %08x", s.Tick, got, want[s.Tick])
				}
				if s.StateHash != nil && *s.StateHash != want[s.Tick] {
					t.Fatalf("tick %d: state_hash %08x, want %08x", s.Tick, *s.StateHash, want[s.Tick])
				}
				for _, e := range replica.World().Entities {
					if e.Kind != arena.KindPlayer {
						continue
					}
					pos := [2]int32{e.Fields[arena.PlayerX], e.Fields[arena.PlayerY]}
					if p0, ok := startPos[e.ID]; !ok {
						startPos[e.ID] = pos
					} else if p0 != pos {
						moved = true
					}
				}
				seen++
			}
		}
	}
	if seen != int(last-first) || !moved || joined != 3 {
		t.Fatalf("%d snapshots (want %d), players moved %v, %d joins (want 3)", seen, last-first, moved, joined)
	}
	st := v.nextText(t, "state")
	if int(st["checked"].(float64)) != int(last-first) {
		t.Fatalf("state after the end %v: want %d ticks checked", st, last-first)
	}

	// Seek: a full snapshot of the tick asked for, then the ticks after it.
	for _, to := range []uint32{last / 2, 3, last - 1} {
		v.send(t, fmt.Sprintf(`{"op":"seek","tick":%d}`, to))
		if s := v.nextText(t, "seeked"); uint32(s["tick"].(float64)) != to {
			t.Fatalf("seeked to %v, want %d", s["tick"], to)
		}
		f, ok := v.next(t).(*proto.ServerFrame)
		if !ok || f.GetSnapshot() == nil || f.GetSnapshot().Tick != to || f.GetSnapshot().BaselineTick != 0 {
			t.Fatalf("after the seek to %d: %v, want a full snapshot of it", to, f)
		}
		replica.Reset()
		if err := replica.Apply(to, 0, f.GetSnapshot().Entities); err != nil || replica.Hash() != want[to] {
			t.Fatalf("seek %d: %v, hash ok %v", to, err, replica.Hash() == want[to])
		}
	}
	// Pause while playing: no snapshot follows the paused state, and the next control's state is at the same tick.
	v.send(t, `{"op":"seek","tick":3}`)
	v.nextText(t, "seeked")
	v.send(t, `{"op":"speed","speed":0.5}`)
	v.send(t, `{"op":"pause"}`)
	var paused map[string]any
	for paused = v.nextText(t, "state"); paused["paused"] != true; paused = v.nextText(t, "state") { // states before it
	}
	v.send(t, `{"op":"speed","speed":1}`)
	for {
		m := v.next(t)
		if f, ok := m.(*proto.ServerFrame); ok {
			t.Fatalf("a frame while paused: %v", f)
		}
		if s := m.(map[string]any); s["type"] == "state" {
			if s["tick"] != paused["tick"] || s["paused"] != true || s["speed"] != 1.0 {
				t.Fatalf("state after a control while paused %v; paused at %v", s, paused)
			}
			break
		}
	}
	v.send(t, `{"op":"play"}`)
	v.nextText(t, "end") // and it plays on to the end
}

func TestWatchAuthAndLimits(t *testing.T) {
	dir := recordRoom(t, 20)
	base := newHandler(t, playback.Config{Dir: dir, APIKey: "sesame", MaxPlaybacks: 1, AuthTimeout: 2 * time.Second})
	if status, _ := list(t, base, ""); status != http.StatusUnauthorized {
		t.Fatalf("list without the key: %d, want 401", status)
	}
	if status, _ := list(t, base, "wrong"); status != http.StatusUnauthorized {
		t.Fatalf("list with a wrong key: %d, want 401", status)
	}
	status, recs := list(t, base, "sesame")
	if status != 200 || len(recs) != 1 {
		t.Fatalf("list with the key: %d %v", status, recs)
	}
	id := recs[0].ID

	// Paths that are not a recording id never reach the file system.
	for _, path := range []string{"..%2F..%2Fetc%2Fpasswd", "%2e%2e", "a.b", "..%5C" + id, id + "%00"} {
		resp, err := http.Get(base + "/v1/replays/" + path + "/watch")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusNotFound {
			t.Errorf("watch %q: %d, want 400 or 404", path, resp.StatusCode)
		}
	}

	// The key as the first message (a browser), wrong: closed with 4512.
	v := watch(t, base, id, nil)
	v.send(t, `{"op":"auth","key":"nope"}`)
	select {
	case err := <-v.done:
		var ce *gws.CloseError
		if !errors.As(err, &ce) || ce.Code != playback.CloseUnauthenticated {
			t.Fatalf("a wrong key: closed with %v, want 4512", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a wrong key was not closed")
	}

	// The right one: the playback starts. It takes the only slot: a second viewer is refused with 503.
	v = watch(t, base, id, nil)
	v.send(t, `{"op":"auth","key":"sesame"}`)
	v.nextText(t, "info")
	resp, err := http.Get(base + "/v1/replays/" + id + "/watch")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a second playback: %d, want 503", resp.StatusCode)
	}
	// A malformed control closes it (4500), which frees the slot; the key in a header then works as well.
	v.send(t, `{"op":"speed","speed":40}`)
	select {
	case err := <-v.done:
		var ce *gws.CloseError
		if !errors.As(err, &ce) || ce.Code != playback.CloseBadFrame {
			t.Fatalf("a bad control: closed with %v, want 4500", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a bad control was not closed")
	}
	v = watch(t, base, id, http.Header{"X-Api-Key": {"sesame"}})
	v.nextText(t, "info")
}

// TestWatchReportsDivergence: a recording whose journal does not reproduce its hashes (one input changed at tick 25)
// is played up to tick 24; the viewer then gets a divergence naming tick 25, and no snapshot of it.
func TestWatchReportsDivergence(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/room_1-7-0000.twj", playback.MakeRecording(t, 60, 20, 25), 0o644); err != nil {
		t.Fatal(err)
	}
	base := newHandler(t, playback.Config{Dir: dir})
	v := watch(t, base, "room_1-7", nil)
	v.send(t, `{"op":"speed","speed":4}`)
	last := uint32(0)
	for {
		switch m := v.next(t).(type) {
		case *proto.ServerFrame:
			if s := m.GetSnapshot(); s != nil {
				last = s.Tick
			}
			continue
		case map[string]any:
			switch m["type"] {
			case "end", "error":
				t.Fatalf("%v, want a divergence", m)
			case "divergence":
				if m["tick"] != 25.0 || m["what"] != "hash" || last != 24 {
					t.Fatalf("divergence %v after the snapshot of tick %d; want tick 25 after 24", m, last)
				}
				if st := v.nextText(t, "state"); st["paused"] != true || st["tick"] != 25.0 {
					t.Fatalf("state after the divergence: %v", st)
				}
				// Before the divergence, a seek still plays.
				v.send(t, `{"op":"seek","tick":10}`)
				if s := v.nextText(t, "seeked"); s["tick"] != 10.0 {
					t.Fatalf("seek after the divergence: %v", s)
				}
				return
			}
		}
	}
}
