package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"
)

// Config configures a Node. Zero values get the defaults in brackets.
type Config struct {
	// URL is the NATS server's URL (nats://host:port). Required.
	URL string
	// NodeID names this node in the cluster; unique [a random id].
	NodeID string
	// NodeAddr is the address clients reach this node at: host:port (then ws://host:port/ws and http://host:port),
	// or a full ws(s)://host[:port]/ws URL (its HTTP base is the same host over http(s)). Required.
	NodeAddr string
	// Heartbeat is the period of the node's announcements and lease renewals [1s].
	Heartbeat time.Duration
	// Expiry is how long a node (and the matchmaking lease) lives without a heartbeat [3 × Heartbeat].
	Expiry time.Duration
	// RequestTimeout bounds one request to another node [2s].
	RequestTimeout time.Duration
	// ImportTimeout bounds one import of a moving room on another node (its journal replayed there, up to its first
	// tick) [10s, at least RequestTimeout].
	ImportTimeout time.Duration
	// Cores is the CPU this node may spend on ticks; headroom = Cores − measured tick cost [GOMAXPROCS].
	Cores float64
	// Logger [slog.Default()].
	Logger *slog.Logger

	// Crash recovery (recovery.go, stream.go). CheckpointInterval is how often each room's snapshot (a checkpoint
	// and its seats) is written to bucket tickwire_checkpoints [2s]; FlushInterval how often its journal entries are
	// published (in batches) to stream TICKWIRE_JOURNAL [100ms]: the ticks after the last flushed batch are what a
	// node's death loses. StreamQueue bounds the chunks, seats and snapshots waiting for the publisher, all rooms
	// together; a room whose chunk finds it full drops it and takes a snapshot at its next tick [1024].
	CheckpointInterval time.Duration
	FlushInterval      time.Duration
	StreamQueue        int
	// OnRecovered, when set, is called after each room this node rebuilt from a dead node's stream.
	OnRecovered func(Recovery)
}

// Validate checks c and fills in the defaults.
func (c *Config) Validate() error {
	if c.URL == "" {
		return errors.New("cluster: a NATS URL is required")
	}
	if c.NodeAddr == "" {
		return errors.New("cluster: the node's public address (node-addr) is required")
	}
	if _, _, err := addrURLs(c.NodeAddr); err != nil {
		return err
	}
	if c.NodeID == "" {
		c.NodeID = randomID()
	}
	if strings.ContainsAny(c.NodeID, ".*> \t") {
		return fmt.Errorf("cluster: node id %q: no dots, wildcards or spaces", c.NodeID)
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = time.Second
	}
	if c.Expiry <= 0 {
		c.Expiry = 3 * c.Heartbeat
	}
	if c.Expiry <= c.Heartbeat {
		return fmt.Errorf("cluster: expiry %v must exceed the heartbeat %v", c.Expiry, c.Heartbeat)
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 2 * time.Second
	}
	if c.ImportTimeout <= 0 {
		c.ImportTimeout = max(10*time.Second, c.RequestTimeout)
	}
	if c.Cores <= 0 {
		c.Cores = float64(runtime.GOMAXPROCS(0))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.CheckpointInterval <= 0 {
		c.CheckpointInterval = 2 * time.Second
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 100 * time.Millisecond
	}
	if c.StreamQueue <= 0 {
		c.StreamQueue = 1024
	}
	return nil
}

// addrURLs turns a node address into the players' WebSocket URL and the HTTP base URL of the node.
func addrURLs(addr string) (ws, base string, err error) {
	if !strings.Contains(addr, "://") {
		return "ws://" + addr + "/ws", "http://" + addr, nil
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("cluster: node address %q: want host:port or ws(s)://host[:port]/ws", addr)
	}
	switch u.Scheme {
	case "ws":
		return addr, "http://" + u.Host, nil
	case "wss":
		return addr, "https://" + u.Host, nil
	}
	return "", "", fmt.Errorf("cluster: node address %q: want host:port or ws(s)://host[:port]/ws", addr)
}
