package attack

import (
	"testing"
	"time"
)

// A frame header whose 64-bit payload length has its top bit set (a size no int holds) is refused with 1009 (message
// too big) on every read path: the server's own read loop, and gws's when compression is enabled (gws v1.8.9 would
// panic on it and take the whole process down). The bots play on.
func TestAttackHugeFrameLength(t *testing.T) {
	for _, compression := range []bool{false, true} {
		name := "plain"
		if compression {
			name = "compression"
		}
		t.Run(name, func(t *testing.T) {
			cfg := attackConfig()
			cfg.Compression = compression
			e := Start(t, cfg, Options{})
			src := SourceIP(0, 0)
			const n = 20
			codes := make(chan uint16, n)
			frame := []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44, 1, 2, 3}
			parallel(n, 4, func(int) {
				ws, err := e.DialRaw(src)
				if err != nil {
					t.Errorf("dial: %v", err)
					codes <- 0
					return
				}
				_, _ = ws.NetConn().Write(frame)
				codes <- ws.WaitClosed(t, 10*time.Second)
			})
			close(codes)
			got := map[uint16]int{}
			for c := range codes {
				got[c]++
			}
			if got[1009] != n {
				t.Errorf("close codes %v, want %d × 1009", got, n)
			}
			e.Finish()
		})
	}
}
