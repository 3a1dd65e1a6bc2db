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
}

func (r *closeRecorder) OnMessage(_ *gws.Conn, m *gws.Message) {
	var f pb.ServerFrame
	if proto.Unmarshal(m.Bytes(), &f) == nil && f.GetWelcome() != nil {
		close(r.welcome)
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

// TestSIGTERMWithPlayers builds the tickwire binary, joins players, sends SIGTERM and checks that every player is
// told 1001 and the process exits 0 within its shutdown deadline.
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
	addr := freeAddr(t)
	cmd := exec.Command(bin, "-addr", addr, "-shutdown-timeout", "3s", "-log-format", "json")
	cmd.Env = append(os.Environ(), "TICKWIRE_LOG_LEVEL=info")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	logs := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs <- sc.Text()
		}
		close(logs)
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
			if code != 1001 {
				t.Errorf("player %d closed with %d, want 1001", i, code)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("player %d not closed", i)
		}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not exit within the shutdown deadline")
	}
	took := time.Since(start)
	var all []string
	for l := range logs {
		all = append(all, l)
	}
	if !strings.Contains(strings.Join(all, "\n"), `"msg":"stopped"`) {
		t.Errorf("no stopped log line in:\n%s", strings.Join(all, "\n"))
	}
	t.Logf("SIGTERM to exit: %v", took)
	if took > 3*time.Second {
		t.Errorf("shutdown took %v, deadline 3s", took)
	}
}
