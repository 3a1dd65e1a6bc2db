package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestReplayServe: `tickwire replay -serve` serves the replay page and the recordings of the file's directory.
func TestReplayServe(t *testing.T) {
	file := writeJournal(t, 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveReplays(ctx, ln, file) }()
	base := "http://" + ln.Addr().String()
	resp, err := http.Get(base + "/v1/replays")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Recordings []struct{ ID, Mode string }
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || len(body.Recordings) != 1 || body.Recordings[0].ID != "r-0" {
		t.Fatalf("list: %v %+v, want the recording r-0", err, body)
	}
	resp, err = http.Get(base + "/replay/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/replay/: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serveReplays did not return after its context ended")
	}
}
