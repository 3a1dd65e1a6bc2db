package matchmaker

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzSubmitTicket feeds arbitrary bodies to POST /v1/matchmaking/tickets: every answer is a documented status with
// a JSON body, a 201 carries a queued ticket, and a batch over whatever was accepted never overfills a room.
func FuzzSubmitTicket(f *testing.F) {
	for _, s := range []string{
		`{"mode":"arena","players":["alice"],"rating":1500,"properties":{"region":"eu"}}`,
		`{"mode":"arena","players":["a","b","c"]}`,
		`{"mode":"arena","create_private":true,"settings":{"score_limit":"5"}}`,
		`{"mode":"arena","code":"ABCDEF"}`,
		`{"mode":"arena","players":["a"],"player_tokens":["eyJhbGciOiJIUzI1NiJ9.e30.x"]}`,
		`{"mode":"chess"}`, `{"mode":"arena","rating":1e400}`, `{}`, `[`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		h := newHarness(t, Config{MinPlayers: 2, MaxTickets: 4}, map[string]int{"arena": 3})
		handler := h.mm.Handler()
		for range 2 { // twice: the second may conflict with the first
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/matchmaking/tickets", bytes.NewReader(body)))
			switch rec.Code {
			case 201:
				var tk Ticket
				if err := json.Unmarshal(rec.Body.Bytes(), &tk); err != nil || tk.Status != StatusQueued || len(tk.Players) == 0 || len(tk.Players) > 3 {
					t.Fatalf("201 with %s (%v)", rec.Body, err)
				}
			case 400, 401, 409, 503:
				var e ErrorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
					t.Fatalf("%d with %s (%v)", rec.Code, rec.Body, err)
				}
			default:
				t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
			}
		}
		h.process()
		for _, info := range h.rooms.List() {
			if n := len(h.mm.tracks[info.ID].reservedCopy()); n > info.Capacity {
				t.Fatalf("room %s promised %d seats of %d", info.ID, n, info.Capacity)
			}
		}
	})
}
