package cluster_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/arena"
	"github.com/tickwire/tickwire/tools/client"
)

// BenchmarkMigrate100Rooms drains a node running 100 arena rooms (30 Hz, a playing bot in each) into another node
// and reports the rooms' migration pause (export start to the first tick on the new node: p50-pause-ms,
// p99-pause-ms) and the bots' (their last snapshot before the move to the first after it: p50-bot-gap-ms,
// p99-bot-gap-ms). One drain per iteration; run it with -benchtime=1x.
//
//	go test ./server/internal/cluster -run '^$' -bench Migrate100Rooms -benchtime=1x
func BenchmarkMigrate100Rooms(b *testing.B) {
	const rooms = 100
	var pauses, gaps []time.Duration
	for range b.N {
		b.StopTimer()
		natsURL := startNATS(b)
		cfg := nodeConfig(natsURL)
		cfg.ShutdownTimeout = 60 * time.Second
		cfg.Grace = 30 * time.Second
		cfg.RoomRate = 0
		src := startNode(b, cfg, "from")
		dst := startNode(b, cfg, "to")
		waitCluster(b, src, dst)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		bots := make([]*bot, rooms)
		var wg sync.WaitGroup
		errs := make([]error, rooms)
		for i := range rooms {
			info, err := src.srv.CreateRoom(arena.Mode, nil, false)
			if err != nil {
				b.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := &tickWatch{}
				c, err := client.Dial(ctx, client.Config{URL: src.url, Handler: w,
					JoinToken: src.srv.IssueJoinToken(info.ID, fmt.Sprintf("p%d", i), 0)})
				if err != nil {
					errs[i] = err
					return
				}
				bots[i] = &bot{c: c, room: info.ID, w: w}
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				b.Fatalf("bot %d: %v", i, err)
			}
		}
		stopped := make(chan struct{})
		go func() {
			time.Sleep(time.Second)
			b.StartTimer()
			src.stop()
			b.StopTimer()
			close(stopped)
		}()
		for done := false; !done; {
			driveAll(bots, 2, time.Now().Add(500*time.Millisecond), 100*time.Millisecond)
			select {
			case <-stopped:
				done = true
			default:
			}
		}
		driveAll(bots, 2, time.Now().Add(time.Second), 100*time.Millisecond)
		for _, m := range src.srv.RoomMoves() {
			if m.To != dst.id {
				b.Errorf("room %s: moved to %q", m.Room, m.To)
			}
			pauses = append(pauses, m.Pause)
		}
		for _, bt := range bots {
			_ = bt.c.Close()
			for _, ch := range bt.w.changes() {
				gaps = append(gaps, ch.gap)
				break
			}
		}
		cancel()
		dst.stop()
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(quantile(pauses, 0.5)), "p50-pause-ms")
	b.ReportMetric(ms(quantile(pauses, 0.99)), "p99-pause-ms")
	b.ReportMetric(ms(quantile(gaps, 0.5)), "p50-bot-gap-ms")
	b.ReportMetric(ms(quantile(gaps, 0.99)), "p99-bot-gap-ms")
	b.Logf("%d rooms moved: pause p50 %v p99 %v max %v; %d bots: gap p50 %v p99 %v max %v", len(pauses),
		quantile(pauses, 0.5), quantile(pauses, 0.99), quantile(pauses, 1), len(gaps), quantile(gaps, 0.5),
		quantile(gaps, 0.99), quantile(gaps, 1))
}
