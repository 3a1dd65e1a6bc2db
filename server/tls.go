package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certReloader serves the certificate of a key pair of PEM files and reads them again when either file changes
// (modification time or size), so that a renewed certificate (certbot, cert-manager) reaches new connections without a
// restart. The files are looked at during a TLS handshake, at most once per every: no goroutine, no file watcher. A
// pair that fails to load (a renewal caught half-written) keeps the previous certificate, and is tried again at the
// next look.
type certReloader struct {
	// Static after construction.
	certFile, keyFile string
	every             time.Duration
	log               *slog.Logger
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]fileStamp // of the files cert was loaded from
	checked time.Time
}

// fileStamp is what tells that a file changed.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(name string) (fileStamp, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size()}, nil
}

// newCertReloader loads the pair once: a server must not start with a certificate it cannot read.
func newCertReloader(certFile, keyFile string, every time.Duration, log *slog.Logger) (*certReloader, error) {
	c := &certReloader{certFile: certFile, keyFile: keyFile, every: every, log: log, now: time.Now}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

// load reads the pair if it changed since the last load. Called with mu held, or before c is shared.
func (c *certReloader) load() error {
	cs, err := stampOf(c.certFile)
	if err != nil {
		return fmt.Errorf("server: tls cert: %w", err)
	}
	ks, err := stampOf(c.keyFile)
	if err != nil {
		return fmt.Errorf("server: tls key: %w", err)
	}
	if c.cert != nil && c.stamp == [2]fileStamp{cs, ks} {
		return nil
	}
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("server: tls key pair: %w", err)
	}
	if c.cert != nil {
		c.log.Info("tls certificate reloaded", "cert", c.certFile, "not_after", pair.Leaf.NotAfter)
	}
	c.cert, c.stamp = &pair, [2]fileStamp{cs, ks}
	return nil
}

// GetCertificate is tls.Config.GetCertificate.
func (c *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Sub(c.checked) >= c.every {
		c.checked = now
		if err := c.load(); err != nil {
			c.log.Warn("tls certificate not reloaded: keeping the previous one", "err", err)
		}
	}
	return c.cert, nil
}

// tlsConfig is the public port's TLS configuration: HTTP/1.1 only (WebSockets upgrade over HTTP/1.1), TLS 1.2 and up.
func (c *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{
		GetCertificate: c.GetCertificate,
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"http/1.1"},
	}
}
