package attack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server/internal/journal"
	"github.com/tickwire/tickwire/tools/client"
)

// The server records every room (-record) while the bots play and other players come and go: they join, chat, drop
// their connection and resume, and leave. Once the server has stopped, every room's journal replays with a fresh
// arena, every tick's world hash matching.
func TestRecordedRoomsReplay(t *testing.T) {
	cfg := attackConfig()
	cfg.Record = t.TempDir()
	e := Start(t, cfg, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 4 {
		c, err := client.Dial(ctx, client.Config{URL: e.URL, Name: "visitor", NetDial: DialFrom(SourceIP(0, 2+i)).DialContext})
		if err != nil {
			t.Fatalf("visitor %d: %v", i, err)
		}
		for k := range 20 {
			time.Sleep(35 * time.Millisecond)
			_, err := c.SendInput([]int32{int32(k%3) - 1, 1, int32(k * 3000), int32(k % 2)})
			if err != nil && !errors.Is(err, client.ErrInputEarly) && !errors.Is(err, client.ErrInputBacklog) &&
				!errors.Is(err, client.ErrNotConnected) {
				t.Fatalf("visitor %d: %v", i, err)
			}
			if k == 5 {
				_, _ = c.SendMessage(arena.MessageChat, []byte("hello"))
			}
			if k == 10 && i%2 == 0 {
				c.Drop() // the client resumes by itself
			}
		}
		if err := c.Close(); err != nil {
			t.Logf("visitor %d close: %v", i, err)
		}
	}
	e.Finish()
	e.stop() // the rooms end and the journal files are closed
	names, err := filepath.Glob(filepath.Join(cfg.Record, "*.twj"))
	if err != nil || len(names) == 0 {
		t.Fatalf("journal files: %v, %v", names, err)
	}
	slices.Sort(names)
	rooms := map[string][][]byte{} // a room's files, in segment order
	var order []string
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		room := strings.TrimSuffix(filepath.Base(n), filepath.Ext(n))
		room = room[:strings.LastIndexByte(room, '-')]
		if rooms[room] == nil {
			order = append(order, room)
		}
		rooms[room] = append(rooms[room], b)
	}
	for _, room := range order {
		res, err := journal.Replay(rooms[room], arena.Factory)
		if err != nil {
			t.Fatalf("room %s: replay %+v: %v", room, res, err)
		}
		if res.Ticks == 0 || res.Gaps != 0 {
			t.Fatalf("room %s: replay %+v", room, res)
		}
		t.Logf("room %s: %d files, ticks %d..%d all match", room, len(rooms[room]), res.From+1, res.To)
	}
}
