package cluster_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/tools/client"
)

// The operator's move (POST /v1/service/rooms/{id}/move, on any node) across three nodes, one of which refuses
// imports (it is at its room cap):
//   - a private room asked to go to the refusing node goes to the next node by headroom, stays private there, and
//     its player plays on;
//   - a room with a seat reserved by matchmaking (the player has its join token, not yet its seat) moves through a
//     node that does not run it; the player then claims the seat with its token at the room's old node and is
//     redirected to the new one;
//   - a room no other node takes (both refuse) is imported back on its node, and its player resumes there.
func TestClusterServiceMoveAcrossNodes(t *testing.T) {
	natsURL := startNATS(t)
	a := migrationNode(t, natsURL, "ma", 2)
	b := migrationNode(t, natsURL, "mb", 1)
	c := migrationNode(t, natsURL, "mc", 0)
	waitCluster(t, a, b, c)
	if _, err := b.srv.CreateRoom(arena.Mode, nil, true); err != nil { // b is at its cap from here on
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// A private room on a, with a player playing in it until the end of the test.
	priv, err := a.srv.CreateRoom(arena.Mode, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := client.Dial(ctx, client.Config{URL: a.url, JoinToken: a.srv.IssueJoinToken(priv.ID, "owner", 0)})
	if err != nil {
		t.Fatal(err)
	}
	stopPlay := make(chan struct{})
	var playErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := uint64(0); ; k++ {
			select {
			case <-stopPlay:
				return
			default:
			}
			if playErr = play(p, time.Now().Add(200*time.Millisecond), k); playErr != nil {
				return
			}
		}
	}()

	// To b, which refuses: it lands on c, the only other node, private still.
	time.Sleep(300 * time.Millisecond)
	status, body := moveRoom(t, a, priv.ID, "mb")
	if status != http.StatusOK || body["address"] != c.url || body["private"] != true {
		t.Fatalf("move: %d %v, want 200 with address %s", status, body, c.url)
	}
	rec := a.srv.RoomMoves()[0]
	if rec.To != "mc" || rec.Attempts != 2 || rec.ImportHash != rec.Hash {
		t.Errorf("move record %+v: want to mc after 2 attempts, the same hash", rec)
	}
	info, ok := roomOn(c, priv.ID)
	if !ok || !info.Private {
		t.Fatalf("room on c: %v %+v, want private", ok, info)
	}
	for _, r := range c.srv.Rooms(arena.Mode, false) {
		if r.ID == priv.ID {
			t.Errorf("the private room is listed publicly on c")
		}
	}
	waitFor(t, 10*time.Second, "the moved room in the cluster directory", func() bool {
		return listed(t, a, priv.ID) == 0 // hidden from the public list, on every node
	})

	// A seat reserved by matchmaking in a public room of a: the room moves (asked at c, which does not run it) with
	// its reservation and the join token; the player claims the seat with the token at a, is sent to the new node.
	pub, err := a.srv.CreateRoom(arena.Mode, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the public room in the cluster directory", func() bool { return listed(t, c, pub.ID) == 1 })
	asg, err := (&client.HTTPMatchmaker{BaseURL: "http://" + b.addr}).Match(ctx, arena.Mode, "late")
	if err != nil {
		t.Fatal(err)
	}
	if asg.URL != a.url {
		t.Fatalf("ticket placed at %s, want the open room on a (%s)", asg.URL, a.url)
	}
	status, body = moveRoom(t, c, pub.ID, "")
	if status != http.StatusOK || body["address"] != c.url {
		t.Fatalf("move: %d %v, want 200 with address %s", status, body, c.url)
	}
	rec = a.srv.RoomMoves()[1]
	if rec.Room != pub.ID || rec.To != "mc" || rec.Reserved != 1 {
		t.Errorf("move record %+v: want room %s to mc with its reservation", rec, pub.ID)
	}
	late, err := client.Dial(ctx, client.Config{URL: asg.URL, JoinToken: asg.JoinToken})
	if err != nil {
		t.Fatalf("claiming the reserved seat after the move: %v", err)
	}
	if late.Welcome().GetRoomId() != pub.ID || late.Stats().Disconnects()[client.CodeMoved] != 1 {
		t.Errorf("joined room %s after %v, want room %s after one redirect", late.Welcome().GetRoomId(),
			late.Stats().Disconnects(), pub.ID)
	}
	if err := play(late, time.Now().Add(500*time.Millisecond), 9); err != nil {
		t.Fatal(err)
	}
	checkPlayed(t, "reserved seat", late)

	// Nobody takes the private room from c now (a is at its cap too): it runs on c again, and its player resumes.
	for range 2 {
		if _, err := a.srv.CreateRoom(arena.Mode, nil, true); err != nil {
			t.Fatal(err)
		}
	}
	status, body = moveRoom(t, a, priv.ID, "")
	if status != http.StatusOK || body["address"] != c.url {
		t.Fatalf("move: %d %v, want 200 with the room back on %s", status, body, c.url)
	}
	recs := c.srv.RoomMoves()
	if len(recs) != 1 || recs[0].To != "mc" || recs[0].Attempts != 3 || recs[0].ImportHash != recs[0].Hash {
		t.Errorf("move records of c %+v: want the room back on mc after 3 attempts", recs)
	}
	if info, ok := roomOn(c, priv.ID); !ok || !info.Private {
		t.Errorf("room back on c: %v %+v, want private", ok, info)
	}
	time.Sleep(500 * time.Millisecond)
	close(stopPlay)
	wg.Wait()
	if playErr != nil {
		t.Fatal(playErr)
	}
	// Two exports closed the owner's connection (1001). The first moved the room away from a: a answered the resume
	// with a redirect to c. The second brought it back to c itself: a resume that reaches c while the room is on its
	// way is redirected (to c), one that comes after the room runs there again resumes at once; either is right.
	if d := p.Stats().Disconnects(); d[1001] != 2 || d[client.CodeMoved] < 1 || d[client.CodeMoved] > 2 {
		t.Errorf("owner: disconnects %v, want two exports (1001) and one or two redirects (%d)", d, client.CodeMoved)
	}
	checkPlayed(t, "owner", p)

	// An unknown node or room is refused.
	if status, _ := moveRoom(t, a, pub.ID, "nowhere"); status != http.StatusConflict {
		t.Errorf("move to an unknown node: %d, want 409", status)
	}
	if status, _ := moveRoom(t, a, "0123456789abcdef", ""); status != http.StatusNotFound {
		t.Errorf("move of an unknown room: %d, want 404", status)
	}
	// Stopped in this order, the nodes drain at once: a's and b's rooms move to c, c has no node left to move to.
	a.stop()
	b.stop()
	c.stop()
}

// listed counts room id in node n's public room list (GET /v1/rooms: the cluster's rooms).
func listed(t testing.TB, n *node, id string) int {
	resp, err := http.Get("http://" + n.addr + "/v1/rooms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Rooms []struct {
			RoomID string `json:"room_id"`
		} `json:"rooms"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	k := 0
	for _, r := range list.Rooms {
		if r.RoomID == id {
			k++
		}
	}
	return k
}
