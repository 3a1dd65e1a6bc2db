package service

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tickwire/tickwire/server/internal/matchmaker"
)

// FuzzServiceRequests feeds arbitrary JSON bodies to every service API route that takes one (create a room, issue
// tokens, end a room, push an event), in a room that exists and in one that does not. Every answer must be a
// documented status with a JSON body: an error code for a refusal, a grant with one seat per named player for a
// create or tokens request, and nothing may ever reach the rooms that the API refused.
func FuzzServiceRequests(f *testing.F) {
	for _, s := range []struct {
		route byte
		body  string
	}{
		{0, `{"mode":"arena","settings":{"time_limit_s":"120"},"players":["a","b"],"public":true}`},
		{0, `{"mode":"arena","players":["a","a"]}`},
		{0, `{"mode":"chess"}`},
		{1, `{"players":["c"]}`},
		{1, `{"players":[""]}`},
		{2, `{"reason":"over"}`},
		{2, ``},
		{3, `{"type":"announce","player_id":1,"args":[1,2,3],"text":"hello"}`},
		{3, `{"type":"","args":[1,2,3,4,5,6,7,8,9]}`},
		{4, `{"players":["d"]}`},
		{0, `{"mode":"arena"} trailing`},
		{0, `[`},
		{3, `{"type":"x","unknown":1}`},
	} {
		f.Add(s.route, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, route byte, body []byte) {
		rooms, tokens := newFakeRooms(), &fakeTokens{}
		svc, err := New(Config{APIKey: testKey, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, rooms, tokens)
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		if _, err := rooms.Create("arena", nil, true); err != nil { // r1
			t.Fatal(err)
		}
		paths := []string{"/v1/service/rooms", "/v1/service/rooms/r1/tokens", "/v1/service/rooms/r1/end",
			"/v1/service/rooms/r1/events", "/v1/service/rooms/nope/tokens", "/v1/service/rooms/nope/events"}
		path := paths[int(route)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("X-API-Key", testKey)
		rec := httptest.NewRecorder()
		svc.Handler().ServeHTTP(rec, req)

		switch rec.Code {
		case http.StatusOK, http.StatusCreated:
			if path == "/v1/service/rooms" || path == "/v1/service/rooms/r1/tokens" {
				var g RoomGrant
				if err := json.Unmarshal(rec.Body.Bytes(), &g); err != nil || g.RoomID == "" {
					t.Fatalf("%d from %s with %s (%v)", rec.Code, path, rec.Body, err)
				}
				var named struct {
					Players []string `json:"players"`
				}
				_ = json.Unmarshal(body, &named)
				if len(g.Seats) != len(named.Players) {
					t.Fatalf("%d seats for %d players: %s", len(g.Seats), len(named.Players), rec.Body)
				}
			}
		case http.StatusAccepted:
			if path != "/v1/service/rooms/r1/events" || len(rooms.broadcasts["r1"]) != 1 {
				t.Fatalf("202 from %s, broadcasts %v", path, rooms.broadcasts)
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge,
			http.StatusServiceUnavailable:
			var e matchmaker.ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("%d with %s (%v)", rec.Code, rec.Body, err)
			}
			if rooms.n != 1 || len(rooms.broadcasts) != 0 || len(rooms.ended) != 0 || tokens.n != 0 {
				t.Fatalf("refused with %d but acted: rooms %d, broadcasts %v, ended %v, tokens %d", rec.Code,
					rooms.n, rooms.broadcasts, rooms.ended, tokens.n)
			}
		default:
			t.Fatalf("status %d from %s for %q: %s", rec.Code, path, body, rec.Body)
		}
	})
}
