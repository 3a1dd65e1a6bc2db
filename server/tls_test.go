package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"google.golang.org/protobuf/proto"

	pb "github.com/tickwire/tickwire/proto"
	"github.com/tickwire/tickwire/server/internal/matchmaker"
)

// selfSigned makes a self-signed certificate for 127.0.0.1 named cn and writes it and its key as PEM files into dir
// (overwriting), with the files' modification time set to mtime. It returns the certificate.
func selfSigned(t *testing.T, dir, cn string, mtime time.Time) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// A renewal replaces the files by renaming new ones over them, as certbot and cert-manager do.
	for name, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der},
		keyFile: {Type: "EC PRIVATE KEY", Bytes: kder}} {
		tmp := name + ".new"
		if err := os.WriteFile(tmp, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, name); err != nil {
			t.Fatal(err)
		}
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// servedCN opens a TLS connection to addr trusting roots and returns the common name of the certificate served.
func servedCN(t *testing.T, addr string, roots *x509.CertPool) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Subject.CommonName
}

type welcomeWaiter struct {
	gws.BuiltinEventHandler
	welcome chan struct{}
}

func (w *welcomeWaiter) OnMessage(_ *gws.Conn, m *gws.Message) {
	var f pb.ServerFrame
	if proto.Unmarshal(m.Bytes(), &f) == nil && f.GetWelcome() != nil {
		select {
		case w.welcome <- struct{}{}:
		default:
		}
	}
	m.Close()
}

// TestTLSReload: the public port serves TLS; a wss client joins a room; the certificate files are replaced and new
// connections get the new certificate (no restart) while the old connection plays on; the matchmaker hands out a
// wss:// address to a ticket submitted over TLS.
func TestTLSReload(t *testing.T) {
	dir := t.TempDir()
	old := selfSigned(t, dir, "first", time.Now().Add(-time.Minute))
	cfg := testConfig()
	cfg.TLSCert, cfg.TLSKey = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	cfg.MatchMinPlayers = 1
	ts := startServer(t, cfg)
	roots := x509.NewCertPool()
	roots.AddCert(old)

	w := &welcomeWaiter{welcome: make(chan struct{}, 1)}
	ws, _, err := gws.NewClient(w, &gws.ClientOption{Addr: "wss://" + ts.addr + "/ws", TlsConfig: &tls.Config{RootCAs: roots}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.NetConn().Close()
	go ws.ReadLoop()
	for _, f := range []*pb.ClientFrame{hello(), joinMode("arena", "secure")} {
		b, _ := proto.Marshal(f)
		_ = ws.WriteMessage(gws.OpcodeBinary, b)
	}
	select {
	case <-w.welcome:
	case <-time.After(10 * time.Second):
		t.Fatal("no welcome over wss")
	}
	if got := ws.NetConn().(*tls.Conn).ConnectionState().PeerCertificates[0].Subject.CommonName; got != "first" {
		t.Fatalf("served %q", got)
	}

	// The matchmaker's address for a client that came over TLS is wss://.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err := hc.Post("https://"+ts.addr+"/v1/matchmaking/tickets", "application/json",
		strings.NewReader(`{"mode":"arena","players":["m"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var tk matchmaker.Ticket
	_ = json.NewDecoder(resp.Body).Decode(&tk)
	resp.Body.Close()
	resp, err = hc.Get("https://" + ts.addr + "/v1/matchmaking/tickets/" + tk.ID + "?wait=10s")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&tk)
	resp.Body.Close()
	if tk.Status != matchmaker.StatusPlaced || tk.Address != "wss://"+ts.addr+"/ws" {
		t.Errorf("ticket over TLS: status %q address %q, want placed at wss://%s/ws", tk.Status, tk.Address, ts.addr)
	}

	renewed := selfSigned(t, dir, "second", time.Now())
	roots.AddCert(renewed)
	got := ""
	for i := 0; i < 100 && got != "second"; i++ { // the files are looked at once a second at most
		if got = servedCN(t, ts.addr, roots); got != "second" {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if got != "second" {
		t.Fatalf("new connections still get %q after the renewal", got)
	}
	// A broken renewal (a key that does not match) keeps the working certificate.
	if err := os.WriteFile(cfg.TLSKey, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	_ = os.Chtimes(cfg.TLSKey, later, later)
	time.Sleep(1100 * time.Millisecond) // past the once-a-second look, so that the next handshake reads the files
	if got := servedCN(t, ts.addr, roots); got != "second" {
		t.Fatalf("after a broken renewal: %q", got)
	}
	if err := ws.WriteMessage(gws.OpcodePing, nil); err != nil {
		t.Fatalf("the first connection was dropped by the renewal: %v", err)
	}
}

// TestForwardedScheme: behind a trusted proxy that says https, the matchmaker hands out wss:// at the forwarded
// host; from an untrusted peer the same headers are ignored.
func TestForwardedScheme(t *testing.T) {
	for _, c := range []struct {
		name    string
		trusted []string
		want    func(addr string) string
	}{
		{"trusted", []string{"127.0.0.1"}, func(string) string { return "wss://game.example.com/ws" }},
		{"untrusted", nil, func(addr string) string { return "ws://" + addr + "/ws" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.TrustedProxies = c.trusted
			cfg.MatchMinPlayers = 1
			ts := startServer(t, cfg)
			req, _ := http.NewRequest("POST", "http://"+ts.addr+"/v1/matchmaking/tickets",
				strings.NewReader(`{"mode":"arena","players":["f"]}`))
			fwd := http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"game.example.com"},
				"X-Forwarded-For": {"203.0.113.9"}} // what nginx or Caddy send
			req.Header = fwd.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var tk matchmaker.Ticket
			_ = json.NewDecoder(resp.Body).Decode(&tk)
			resp.Body.Close()
			req, _ = http.NewRequest("GET", "http://"+ts.addr+"/v1/matchmaking/tickets/"+tk.ID+"?wait=10s", nil)
			req.Header = fwd.Clone()
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = json.NewDecoder(resp.Body).Decode(&tk)
			resp.Body.Close()
			if want := c.want(ts.addr); tk.Status != matchmaker.StatusPlaced || tk.Address != want {
				t.Errorf("status %q address %q, want placed at %s", tk.Status, tk.Address, want)
			}
		})
	}
}
