package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/server/internal/directory"
	"github.com/tickwire/tickwire/server/internal/jsonhttp"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
	"github.com/tickwire/tickwire/server/internal/room"
	"github.com/tickwire/tickwire/server/internal/session"
)

func TestSignalEndpoint(t *testing.T) {
	f := newFixture(t, Config{APIKey: testKey})
	info, _ := f.rooms.Create("arena", nil, true)
	path := "/v1/service/rooms/" + info.ID + "/messages"
	long := strings.Repeat("x", 1025)
	for _, c := range []struct {
		name, path, body string
		status           int
		code, reply      string
	}{
		{"reply", path, `{"type":"ping","text":"hi"}`, 200, "", "pong:hi"},
		{"reply to bytes", path, `{"type":"ping","payload":"AAE="}`, 200, "", "pong:\x00\x01"},
		{"no reply", path, `{"type":"quiet"}`, 202, "", ""},
		{"not supported", path, `{"type":"other"}`, 409, "not_supported", ""},
		{"unknown room", "/v1/service/rooms/nope/messages", `{"type":"ping"}`, 404, "room_not_found", ""},
		{"no type", path, `{"text":"x"}`, 400, "bad_request", ""},
		{"type too long", path, `{"type":"` + strings.Repeat("t", 33) + `"}`, 400, "bad_request", ""},
		{"payload too long", path, `{"type":"ping","text":"` + long + `"}`, 400, "bad_request", ""},
		{"payload and text", path, `{"type":"ping","text":"a","payload":"AA=="}`, 400, "bad_request", ""},
		{"unknown field", path, `{"type":"ping","op":3}`, 400, "bad_request", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out struct {
				matchmaker.ErrorBody
				SignalReply
				Status string `json:"status"`
			}
			got := f.call(t, "POST", c.path, testKey, c.body, &out)
			if got != c.status || out.Error != c.code || string(out.Reply) != c.reply {
				t.Fatalf("%d %+v, want %d %q reply %q", got, out, c.status, c.code, c.reply)
			}
			if got == 202 && out.Status != "accepted" {
				t.Fatalf("202 status %q, want accepted", out.Status)
			}
		})
	}
}

// The adapter reaches the room's game through the real directory: the arena answers "announce" with its player count
// and refuses other backend messages silently; a room that does not exist is 404.
func TestSignalThroughDirectory(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := directory.New(directory.Config{Logger: quiet})
	if err := dir.Register(directory.Mode{Name: arena.Mode, Factory: arena.Factory, Room: room.Config{MaxPlayers: 4}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = dir.Close(ctx, "test_over")
	})
	rooms := DirectoryRooms{D: dir}
	svc, err := New(Config{APIKey: testKey, Logger: quiet}, rooms, SessionTokens{T: session.NewTokens(16, time.Minute, time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() { svc.Close(); srv.Close() })
	info, err := rooms.Create(arena.Mode, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if reply, err := rooms.Signal(ctx, info.ID, arena.MessageAnnounce, []byte("server restarts in 5 min")); err != nil || string(reply) != "0" {
		t.Fatalf("Signal(announce) = %q, %v; want the player count 0", reply, err)
	}
	if _, err := rooms.Signal(ctx, "nope", "x", nil); !errors.Is(err, matchmaker.ErrRoomNotFound) {
		t.Fatalf("Signal to no room: %v, want ErrRoomNotFound", err)
	}
	var out SignalReply
	if got := jsonhttp.Call(t, srv.URL, "POST", "/v1/service/rooms/"+info.ID+"/messages", testKey,
		`{"type":"announce","text":"hello"}`, &out); got != 200 || out.ReplyText != "0" {
		t.Fatalf("POST messages: %d %+v, want 200 reply 0", got, out)
	}
	if got := jsonhttp.Call(t, srv.URL, "POST", "/v1/service/rooms/"+info.ID+"/messages", testKey,
		`{"type":"chat","text":"hello"}`, nil); got != 202 {
		t.Fatalf("POST messages of a type the arena ignores from the backend: %d, want 202", got)
	}
}
