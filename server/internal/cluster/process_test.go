package cluster_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/tools/client"
)

// startNATSProcess builds nats-server from the module this repository requires and runs it as its own process
// (JetStream on, store in a temporary directory) on a loopback port, until the test ends.
func startNATSProcess(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build nats-server with")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "nats-server")
	build := exec.Command(goBin, "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building nats-server: %v\n%s", err, out)
	}
	for attempt := 0; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", filepath.Join(dir, "js"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		for i := 0; i < 200; i++ { // 10 s
			select {
			case <-exited:
				i = 200 // the port was taken meanwhile: try another
				continue
			default:
			}
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				_ = c.Close()
				return "nats://" + addr
			}
			time.Sleep(50 * time.Millisecond)
		}
		if attempt == 2 {
			t.Fatal("nats-server did not start")
		}
	}
}

// Two nodes coordinated through a nats-server running as a separate process: bots submitting tickets to either node
// are placed by the one matchmaker and play on their room's node.
func TestClusterWithNATSProcess(t *testing.T) {
	natsURL := startNATSProcess(t)
	a := startNode(t, nodeConfig(natsURL), "pa")
	b := startNode(t, nodeConfig(natsURL), "pb")
	waitCluster(t, a, b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const bots = 6
	clients := make([]*client.Client, bots)
	errs := make([]error, bots)
	var wg sync.WaitGroup
	for i := range bots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := a.addr
			if i%2 == 1 {
				base = b.addr
			}
			clients[i], errs[i] = client.Dial(ctx, client.Config{Matchmaker: &client.HTTPMatchmaker{BaseURL: "http://" + base},
				Mode: arena.Mode, Name: fmt.Sprintf("p%d", i)})
			if errs[i] == nil {
				errs[i] = play(clients[i], time.Now().Add(time.Second), uint64(i))
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("bot %d: %v", i, err)
		}
		checkPlayed(t, fmt.Sprintf("bot %d", i), clients[i])
	}
}
