package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"google.golang.org/protobuf/proto"

	pb "github.com/tickwire/tickwire/proto"
)

type closeRecorder struct {
	gws.BuiltinEventHandler
	welcome chan struct{}
	code    chan uint16
	result  atomic.Bool // a MatchResult arrived
}

func (r *closeRecorder) OnMessage(_ *gws.Conn, m *gws.Message) {
	var f pb.ServerFrame
	if proto.Unmarshal(m.Bytes(), &f) == nil {
		if f.GetWelcome() != nil {
			close(r.welcome)
		}
		if f.GetMatchResult() != nil {
			r.result.Store(true)
		}
	}
	m.Close()
}

func (r *closeRecorder) OnClose(_ *gws.Conn, err error) {
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		r.code <- ce.Code
	} else {
		r.code <- 0
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestSIGTERMWithPlayers builds the tickwire binary, joins players, sends SIGTERM and checks that every player gets
// its room's MatchResult and 4509, and the process exits 0 within its shutdown deadline. Metrics and the profiler are
// on the admin listener only.
func TestSIGTERMWithPlayers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "tickwire")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	addr, admin := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "-addr", addr, "-admin-addr", admin, "-shutdown-timeout", "3s", "-log-format", "json")
	cmd.Env = append(os.Environ(), "TICKWIRE_LOG_LEVEL=info")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The log is read to its end before Wait, which closes the pipe (lines still in it would be lost).
	var all []string
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			all = append(all, sc.Text())
		}
	}()
	ready := false
	for i := 0; i < 100 && !ready; i++ {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			ready = resp.StatusCode == 200
			resp.Body.Close()
		}
		if !ready {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatal("server never became ready")
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "<script") {
		t.Fatalf("GET / = %d, want the demo page: %.200s", resp.StatusCode, page)
	}
	for _, c := range []struct {
		url  string
		want int
	}{
		{"http://" + admin + "/metrics", 200}, {"http://" + admin + "/debug/pprof/cmdline", 200},
		{"http://" + admin + "/readyz", 200}, {"http://" + addr + "/metrics", 404},
		{"http://" + addr + "/debug/pprof/", 404},
	} {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s = %d, want %d", c.url, resp.StatusCode, c.want)
		}
	}
	var recs []*closeRecorder
	for i := 0; i < 3; i++ {
		r := &closeRecorder{welcome: make(chan struct{}), code: make(chan uint16, 1)}
		ws, _, err := gws.NewClient(r, &gws.ClientOption{Addr: "ws://" + addr + "/ws"})
		if err != nil {
			t.Fatal(err)
		}
		go ws.ReadLoop()
		for _, f := range []*pb.ClientFrame{
			{Msg: &pb.ClientFrame_Hello{Hello: &pb.Hello{ProtocolVersion: pb.ProtocolVersion_PROTOCOL_VERSION_2}}},
			{Msg: &pb.ClientFrame_Join{Join: &pb.Join{Target: &pb.Join_Mode{Mode: "arena"}, Name: "p"}}},
		} {
			b, _ := proto.Marshal(f)
			_ = ws.WriteMessage(gws.OpcodeBinary, b)
		}
		select {
		case <-r.welcome:
		case <-time.After(5 * time.Second):
			t.Fatal("no welcome")
		}
		recs = append(recs, r)
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		select {
		case code := <-r.code:
			if code != 4509 || !r.result.Load() {
				t.Errorf("player %d closed with %d, match result %v: want the result, then 4509", i, code, r.result.Load())
			}
		case <-time.After(5 * time.Second):
			t.Errorf("player %d not closed", i)
		}
	}
	// The process ends its stderr when it exits. The bound only catches a hang: how long the shutdown takes is the
	// server's to report (its "stopped" line), not something to time from here on a machine that may be busy.
	select {
	case <-logged:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not exit after SIGTERM")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	if !strings.Contains(strings.Join(all, "\n"), `"msg":"stopped"`) {
		t.Errorf("no stopped log line in:\n%s", strings.Join(all, "\n"))
	}
	t.Logf("SIGTERM to exit: %v", time.Since(start))
}
