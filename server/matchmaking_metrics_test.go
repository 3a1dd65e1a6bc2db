package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestMatchmakingMetrics submits tickets over the HTTP API and reads the matchmaker's numbers back from /metrics.
func TestMatchmakingMetrics(t *testing.T) {
	ts := startServer(t, testConfig()) // MatchMinPlayers 2: one ticket waits, two open a room
	before := scrape(t, ts.admin)
	for series, want := range map[string]float64{
		`tickwire_matchmaker_tickets_queued{mode="arena"}`: 0,
		"tickwire_matchmaker_tickets_placed_total":         0,
		"tickwire_service_event_subscribers":               0,
		"tickwire_service_event_subscribers_dropped_total": 0,
	} {
		if got, ok := before[series]; !ok || got != want {
			t.Errorf("before any ticket: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}

	alice := submitTicket(t, ts.addr, `{"mode":"arena","players":["alice"]}`)
	queued := scrape(t, ts.admin)
	if got := queued[`tickwire_matchmaker_tickets_queued{mode="arena"}`]; got != 1 {
		t.Errorf("one ticket below the minimum: queued gauge %v, want 1", got)
	}
	if got := queued["tickwire_matchmaker_tickets_placed_total"]; got != 0 {
		t.Errorf("placed counter %v before any placement, want 0", got)
	}

	submitTicket(t, ts.addr, `{"mode":"arena","players":["bob"]}`)
	resp, err := http.Get("http://" + ts.addr + "/v1/matchmaking/tickets/" + alice + "?wait=5s")
	if err != nil {
		t.Fatal(err)
	}
	var tk struct {
		Status string `json:"status"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tk)
	resp.Body.Close()
	if err != nil || tk.Status != "placed" {
		t.Fatalf("alice's ticket: %q (%v), want placed", tk.Status, err)
	}
	placed := scrape(t, ts.admin)
	for series, want := range map[string]float64{
		`tickwire_matchmaker_tickets_queued{mode="arena"}`:    0,
		"tickwire_matchmaker_tickets_placed_total":            2,
		"tickwire_matchmaker_rooms_created_total":             1,
		"tickwire_matchmaker_time_to_placement_seconds_count": 2,
		"tickwire_matchmaker_tickets_canceled_total":          0,
		"tickwire_matchmaker_tickets_timed_out_total":         0,
	} {
		if got, ok := placed[series]; !ok || got != want {
			t.Errorf("after placing both: %s = %v (present %v), want %v", series, got, ok, want)
		}
	}
}

// submitTicket posts a ticket request and returns the queued ticket's id.
func submitTicket(t *testing.T, addr, body string) string {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/v1/matchmaking/tickets", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tk struct {
		ID     string `json:"ticket_id"`
		Status string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tk); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d (%v)", body, resp.StatusCode, err)
	}
	if tk.Status != "queued" {
		t.Fatalf("POST %s: status %q, want queued", body, tk.Status)
	}
	return tk.ID
}

// scrape reads /metrics into series (name with its labels, as exposed) → value.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("/metrics line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
