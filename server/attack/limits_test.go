package attack

import (
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/tickwire/tickwire/server"
)

// attackConfig is DefaultConfig with short timeouts, for the attack cases.
func attackConfig() server.Config {
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Grace = 2 * time.Second
	cfg.HandshakeTimeout = 2 * time.Second
	cfg.HeartbeatTimeout = 5 * time.Second
	cfg.ShutdownTimeout = 3 * time.Second
	return cfg
}

// Garbage frames from 200 connections of one source are each refused with 4500 (bad frame), while the bots play on.
func TestAttackGarbageFrames(t *testing.T) {
	e := Start(t, attackConfig(), Options{})
	src := SourceIP(0, 0)
	const n = 200
	codes := make(chan uint16, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, err := e.DialRaw(src)
			if err != nil {
				t.Errorf("dial: %v", err)
				codes <- 0
				return
			}
			_ = ws.WriteMessage(gws.OpcodeBinary, []byte{0xff, 0xff, 0xff, 0xff, 0x0f})
			codes <- ws.WaitClosed(t, 10*time.Second)
		}()
	}
	wg.Wait()
	close(codes)
	e.Mem("after the garbage")
	got := map[uint16]int{}
	for c := range codes {
		got[c]++
	}
	if got[4500] != n {
		t.Errorf("close codes %v, want %d × 4500", got, n)
	}
	e.Finish()
}
