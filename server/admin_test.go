package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWildcardOriginWarns: a server that lets any Origin open game sockets says so at start.
func TestWildcardOriginWarns(t *testing.T) {
	cfg := testConfig()
	cfg.AllowedOrigins = []string{"*"}
	var logs syncBuffer
	srv, err := server.New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	for i := 0; i < 500 && srv.Addr() == nil; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN msg=\"allowed origins include *") {
		t.Errorf("no warning in:\n%s", logs.String())
	}
}

// TestServiceAPIListener: the service API is on the admin listener by default, on the public port with
// ServiceAPIOn "public", never on both.
func TestServiceAPIListener(t *testing.T) {
	for _, on := range []string{"admin", "public"} {
		t.Run(on, func(t *testing.T) {
			cfg := testConfig()
			cfg.ServiceAPIKey = "k"
			cfg.ServiceAPIOn = on
			ts := startServer(t, cfg)
			for _, c := range []struct {
				addr string
				want int
			}{{ts.admin, map[string]int{"admin": 401, "public": 404}[on]}, {ts.addr, map[string]int{"admin": 404, "public": 401}[on]}} {
				// Without a key: 401 where the service API is mounted, 404 where it is not.
				resp, err := http.Post("http://"+c.addr+"/v1/service/rooms", "application/json", strings.NewReader(`{"mode":"arena"}`))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != c.want {
					t.Errorf("POST %s/v1/service/rooms: %d, want %d", c.addr, resp.StatusCode, c.want)
				}
			}
		})
	}
}
