package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// post sends a request with headers and returns the status.
func request(t *testing.T, method, url, body string, header map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Behind a trusted proxy the per-source ticket cap counts the forwarded client, not the proxy; from an untrusted peer
// the header is ignored.
func TestTicketsPerForwardedSource(t *testing.T) {
	cfg := testConfig()
	cfg.SourceTickets = 1
	cfg.MatchMinPlayers = 100 // tickets stay queued
	cfg.TrustedProxies = []string{"127.0.0.1"}
	ts := startServer(t, cfg)
	url := "http://" + ts.addr + "/v1/matchmaking/tickets"
	body := `{"mode":"arena"}`
	a := map[string]string{"X-Forwarded-For": "203.0.113.1"}
	b := map[string]string{"X-Forwarded-For": "203.0.113.1, 203.0.113.2"} // the proxy vouches for .2 only
	for _, c := range []struct {
		h    map[string]string
		want int
	}{{a, 201}, {a, 429}, {b, 201}, {b, 429}} {
		if got := request(t, "POST", url, body, c.h); got != c.want {
			t.Errorf("ticket from %v: %d, want %d", c.h, got, c.want)
		}
	}
}

func TestTicketsPerSourceUntrustedPeer(t *testing.T) {
	cfg := testConfig()
	cfg.SourceTickets = 1
	cfg.MatchMinPlayers = 100
	ts := startServer(t, cfg)
	url := "http://" + ts.addr + "/v1/matchmaking/tickets"
	if got := request(t, "POST", url, `{"mode":"arena"}`, map[string]string{"X-Forwarded-For": "203.0.113.1"}); got != 201 {
		t.Fatalf("first ticket: %d", got)
	}
	if got := request(t, "POST", url, `{"mode":"arena"}`, map[string]string{"X-Forwarded-For": "203.0.113.9"}); got != 429 {
		t.Fatalf("second ticket with a made-up X-Forwarded-For: %d, want 429", got)
	}
}

// The service API's failed authentications are budgeted per source: past the budget even the right key gets 429.
func TestServiceAuthFailuresPerSource(t *testing.T) {
	cfg := testConfig()
	cfg.ServiceAPIOn = "public"
	cfg.ServiceAPIKey = "right-key-right-key"
	cfg.SourceAuthFailures = 2
	cfg.AuthFailRefill = time.Hour
	ts := startServer(t, cfg)
	url := "http://" + ts.addr + "/v1/service/rooms/no-such-room"
	right := map[string]string{"X-API-Key": cfg.ServiceAPIKey}
	wrong := map[string]string{"X-API-Key": "wrong"}
	if got := request(t, "GET", url, "", right); got != 404 {
		t.Fatalf("right key: %d, want 404 (no such room)", got)
	}
	for i, want := range []int{401, 401, 429} {
		if got := request(t, "GET", url, "", wrong); got != want {
			t.Errorf("wrong key %d: %d, want %d", i, got, want)
		}
	}
	if got := request(t, "GET", url, "", right); got != 429 {
		t.Errorf("right key after the budget: %d, want 429", got)
	}
}

// Long-polls beyond the cap get 503; the one in flight is answered normally.
func TestLongPollCap(t *testing.T) {
	cfg := testConfig()
	cfg.MaxLongPolls = 1
	cfg.MatchMinPlayers = 100
	ts := startServer(t, cfg)
	base := "http://" + ts.addr + "/v1/matchmaking/tickets"
	resp, err := http.Post(base, "application/json", strings.NewReader(`{"mode":"arena"}`))
	if err != nil {
		t.Fatal(err)
	}
	loc := resp.Header.Get("Location")
	resp.Body.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := make(chan int, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+ts.addr+loc+"?wait=3s", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	// Wait (bounded) until the first long-poll is counted.
	for i := 0; ; i++ {
		mfs, _ := ts.srv.Registry().Gather()
		open := 0.0
		for _, mf := range mfs {
			if mf.GetName() == "tickwire_long_polls_open" {
				open = mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		if open == 1 {
			break
		}
		if i == 500 {
			t.Fatal("the first long-poll was never counted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := request(t, "GET", "http://"+ts.addr+loc+"?wait=3s", "", nil); got != 503 {
		t.Errorf("second long-poll: %d, want 503", got)
	}
	if got := request(t, "GET", "http://"+ts.addr+loc, "", nil); got != 200 {
		t.Errorf("a plain poll: %d, want 200", got)
	}
	cancel()
	<-first
}
