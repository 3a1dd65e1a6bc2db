package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/internal/forwarded"
)

// Config is every setting of a Tickwire server. The zero value of a field means "use the default" only through
// DefaultConfig: start from DefaultConfig, change what you need, and call Validate (New does).
//
// Every field except Static can also be set by a command-line flag and an environment variable (see Flags and
// ApplyEnv); the table of names lives in settings below so that -h documents all of them.
type Config struct {
	// Addr is the TCP address to listen on: the public port (the game socket, the demo, matchmaking, the room list,
	// /healthz and /readyz).
	Addr string
	// AdminAddr is the operators' listener: /metrics, Go's profiler (/debug/pprof/), /healthz, /readyz and, with
	// ServiceAPIOn "admin", the service API. Keep it on loopback or a private interface. Empty: no admin listener.
	AdminAddr string
	// ServiceAPIOn is the listener that serves the service API (/v1/service/): "admin" or "public".
	ServiceAPIOn string
	// TLSCert and TLSKey are PEM files of the public port's certificate chain and key; both empty: plain TCP. The
	// files are read again when their modification time or size changes (checked at most once a second, at a TLS
	// handshake), so a renewed certificate is used by new connections without a restart.
	TLSCert string
	TLSKey  string
	// LogFormat is "text" or "json"; LogLevel is "debug", "info", "warn" or "error". Used by the tickwire binary and by
	// NewLogger; New itself takes a ready *slog.Logger.
	LogFormat string
	LogLevel  string

	// AllowedOrigins lists the Origin header values (scheme://host[:port]) allowed to open /ws, or "*" for any. Empty:
	// the page's own host and localhost/127.0.0.1/[::1] on any port, and clients that send no Origin (non-browsers).
	AllowedOrigins []string
	// TrustedProxies lists the reverse proxies and load balancers (CIDR prefixes or addresses) whose forwarding
	// headers (X-Forwarded-For/-Proto/-Host, Forwarded) are believed: the client's address for the per-source limits,
	// and the scheme and host it used. Empty: no header is believed and the TCP peer is the client.
	TrustedProxies []string
	// MaxConnections caps open WebSocket connections; one more is closed with 4002.
	MaxConnections int

	// Limits per source address (an IPv4 address or an IPv6 /64; behind TrustedProxies, the forwarded client's). Zero
	// turns a limit off. See the README's limits table for what they mean together.
	//
	// SourceConnections caps one source's open WebSockets; SourceUpgradeRate (per second, sustained) and
	// SourceUpgradeBurst bound its upgrades. Beyond them the upgrade is refused with HTTP 429.
	SourceConnections  int
	SourceUpgradeRate  float64
	SourceUpgradeBurst int
	// SourceHTTPConns caps one source's open HTTP connections (before an upgrade, or kept alive); beyond it a new
	// connection is answered 429 and closed.
	SourceHTTPConns int
	// SourceTickets caps one source's queued matchmaking tickets (429).
	SourceTickets int
	// SourceCodeMisses failed private-code lookups of one source are allowed at once, one more every CodeMissRefill;
	// beyond them its tickets with a code are refused (429).
	SourceCodeMisses int
	CodeMissRefill   time.Duration
	// SourceAuthFailures failed service API authentications (401) of one source are allowed at once, one more every
	// AuthFailRefill; beyond them its service API requests are refused (429).
	SourceAuthFailures int
	AuthFailRefill     time.Duration
	// LimitSources bounds the per-source table (least recently seen sources are forgotten first; sources holding a
	// connection or ticket are kept).
	LimitSources int

	// Server-wide limits. Zero turns a limit off.
	//
	// MaxHandshakes caps WebSockets that have not finished Hello and Join; beyond it upgrades get 503.
	MaxHandshakes int
	// MaxHTTPConns caps open HTTP connections (upgraded WebSockets do not count); beyond it a new connection is
	// answered 503 and closed.
	MaxHTTPConns int
	// MaxLongPolls caps matchmaking long-polls (GET ...?wait=) in flight (503).
	MaxLongPolls int
	// MaxRooms caps running rooms, MaxModeRooms the rooms of one mode; RoomRate (per second, sustained) and
	// RoomBurst bound room creation. Beyond them a quick-play Join is refused with 4002 and the matchmaker's or
	// service API's room creation fails (503).
	MaxRooms     int
	MaxModeRooms int
	RoomRate     float64
	RoomBurst    int
	// MaxTicketBytes caps a matchmaking ticket's request body (413).
	MaxTicketBytes int
	// MaxFrameBytes is the largest client frame accepted (after decompression); larger ones are closed with 1009.
	MaxFrameBytes int
	// ReadBufferBytes is the size of each connection's read buffer.
	ReadBufferBytes int
	// WriteBufferBytes sets each WebSocket's kernel send buffer (SO_SNDBUF); 0 keeps the system's default. A small
	// buffer bounds the memory a stalled client pins in the kernel and makes the slow-consumer cut come sooner.
	WriteBufferBytes int
	// Compression enables permessage-deflate (negotiated only when the client offers it). Decompressed frames are still
	// bounded by MaxFrameBytes.
	Compression bool

	// ReadHeaderTimeout, ReadTimeout and IdleTimeout bound plain HTTP requests (and the request part of the upgrade).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	// HandshakeTimeout is how long a new WebSocket may take to send Hello and Join (4502).
	HandshakeTimeout time.Duration
	// HeartbeatTimeout closes a session that sent no frame for this long (4001). Clients are told to send a Ping or an
	// Input at least every HeartbeatTimeout/3.
	HeartbeatTimeout time.Duration
	// WriteTimeout bounds every socket write; a client that does not drain its socket within it is disconnected.
	WriteTimeout time.Duration
	// CloseTimeout is how long the server waits for the client's answer to its close frame.
	CloseTimeout time.Duration
	// JoinTimeout is how long a Join or Resume waits for its room to take the player (the room's loop may be behind
	// on a starved machine). Past it the connection is refused with 4002 (reconnect later), and a join token stays
	// valid for the client's retry.
	JoinTimeout time.Duration

	// InputRate is the sustained number of client frames per second a connection may send, InputBurst the burst above
	// it; beyond them the connection is closed with 4508.
	InputRate  float64
	InputBurst int
	// Players' game messages (chat, "ready", "buy item"; README, "Protocol"), on top of InputRate: MessageRate (per
	// second, sustained) and MessageBurst bound one connection's messages (more close it with 4508), MaxMessageBytes
	// a message's payload (more closes with 1009; at most game.MaxMessageBytes), and MessageQueue each room's queue
	// of messages waiting for the next tick (a full queue closes the sender with 4002). Rooms announce the first
	// three in Welcome; tickwire_messages_total{result} counts what became of each message.
	MessageRate     int
	MessageBurst    int
	MaxMessageBytes int
	MessageQueue    int
	// MaxRewind bounds lag compensation in every room: an input's View (the moment the client was drawing) is never
	// older than this before the tick the input is applied at. GameOptions.MaxRewind overrides it per mode.
	MaxRewind time.Duration

	// OutboundQueue bounds each session's queue of reliable frames (welcome, events, pongs); overflowing it closes the
	// session with 4000.
	OutboundQueue int
	// MaxSkippedSnapshots is how many snapshots in a row may be replaced before the writer sent any of them (the
	// client is not reading); one more closes the session with 4000.
	MaxSkippedSnapshots int

	// Grace is how long a dropped player's slot is kept for a resume, counted from the drop.
	Grace time.Duration
	// ResumeTokenTTL is how long a resume token is remembered after its connection ends (while the connection is open
	// it never expires, however long the match). It must exceed Grace so that a resume after the grace period is told
	// 4505 (expired) rather than 4504 (unknown). Both count from the drop: a resume within Grace of it succeeds at any
	// point of a match.
	ResumeTokenTTL time.Duration
	// TokenTableSize bounds the number of resume tokens and, separately, of join tokens kept in memory.
	TokenTableSize int
	// JoinTokenTTL is the default lifetime of an issued join token.
	JoinTokenTTL time.Duration

	// OpenJoin allows Join{mode} (quick play into any open room of a registered mode).
	OpenJoin bool
	// PublicURL is the WebSocket address the matchmaker hands players (ws(s)://host/ws). Empty: ws://<the request's
	// host>/ws.
	PublicURL string
	// MatchMinPlayers is the fewest compatible players the matchmaker needs to open a new room.
	MatchMinPlayers int
	// TickPhases is how many phases of the tick interval the rooms' schedules are spread over: 0 spreads them evenly
	// (no two rooms tick at the same instant), n puts every room on one of n evenly spaced phases (1: all in step),
	// which handles the wake-ups, reads and writes of the rooms on a phase together.
	TickPhases int
	// MatchTicketTimeout is how long a matchmaking ticket may stay queued before it fails with status timed_out.
	MatchTicketTimeout time.Duration
	// ServiceAPIKey authenticates trusted backends on /v1/service/ (X-API-Key or Authorization: Bearer). Empty: the
	// service API is off. Prefer the environment variable to the flag, which other local users can see.
	ServiceAPIKey string
	// DrainTimeout is how long running rooms may play on once the server drains (SIGTERM, or Serve's ctx done) so
	// that their matches end by themselves; rooms still running then are ended (every player gets the MatchResult).
	DrainTimeout time.Duration
	// ShutdownTimeout bounds the rest of the shutdown once rooms are told to end: their loops return, and every
	// remaining connection is told 1001; connections still open at its end are dropped.
	ShutdownTimeout time.Duration
	// StallTimeout fails a room (its players get 4510, ROOM_FAILED) whose game simulation is stuck in one Step for
	// this long; other rooms keep their ticks. 0: no watchdog.
	StallTimeout time.Duration
	// Record is a directory every room's journal is written to (one file per room and segment, ROOM-EPOCH-NNNN.twj;
	// `tickwire replay FILE` checks one); empty: no recording. RecordFileMB bounds a file (a room then starts the next
	// one), RecordKeep the files kept per room.
	Record       string
	RecordFileMB int
	RecordKeep   int

	// AuthKeys is the path of the player token key set: a JSON file of HS256 secrets and ES256 public keys, each
	// under its kid (README, "Identity"). Empty: no keys; players are anonymous (unless Authenticate decides), and a
	// Join or ticket that carries a player token is refused (4512 / HTTP 401).
	AuthKeys string
	// RequireIdentity refuses quick play (Join by mode) and matchmaking tickets without a verified player token
	// (4512 / HTTP 401). Off: anonymous play is allowed (the demo's default).
	RequireIdentity bool
	// NATS, when set, makes this process a node of a cluster coordinated through that NATS server (JetStream on):
	// rooms, matchmaking and the service API span every node (package cluster). Empty: a single server.
	NATS string
	// NodeID names this node in the cluster (empty: random). NodeAddr is the address players reach this node at
	// (host:port, or ws(s)://host[:port]/ws); required with NATS.
	NodeID   string
	NodeAddr string
	// CheckpointInterval and StreamFlush (clustered only): how often each room's snapshot is written to JetStream,
	// and how often its journal entries are (in batches), so that a surviving node rebuilds the room when this one
	// dies; a node's death loses the ticks after the last flushed batch (package cluster, crash recovery).
	CheckpointInterval time.Duration
	StreamFlush        time.Duration

	// PublicMatchmaker serves the public matchmaking API (/v1/matchmaking/). Off: 404 there; players come in with
	// join tokens from the service API, or by quick play when OpenJoin.
	PublicMatchmaker bool

	// Static is served at / (the browser demo). Nil: a short page that says how to connect.
	Static fs.FS
	// Authenticate, when set, decides who a joining player is instead of the AuthKeys key set, at Join (quick play,
	// or with a join token when the client also sends a player token) and at ticket submission. It gets the player
	// token the client sent ("" when none) and the name it asked for; an error refuses the player (see
	// ErrPlayerTokenExpired). It runs on the connection's or request's goroutine, bounded by JoinTimeout at Join, and
	// must be safe for concurrent use. No flag sets it: programs that embed the server do.
	Authenticate func(ctx context.Context, playerToken, name string) (Identity, error)
}

// DefaultConfig returns the embedded defaults: loopback on :8080, small frames, 20 s grace.
func DefaultConfig() Config {
	return Config{
		Addr:                "127.0.0.1:8080",
		AdminAddr:           "127.0.0.1:9090",
		ServiceAPIOn:        "admin",
		LogFormat:           "text",
		LogLevel:            "info",
		MaxConnections:      10000,
		SourceConnections:   256,
		SourceUpgradeRate:   50,
		SourceUpgradeBurst:  256,
		SourceHTTPConns:     256,
		SourceTickets:       16,
		SourceCodeMisses:    20,
		CodeMissRefill:      3 * time.Second,
		SourceAuthFailures:  10,
		AuthFailRefill:      6 * time.Second,
		LimitSources:        16384,
		MaxHandshakes:       1024,
		MaxHTTPConns:        8192,
		MaxLongPolls:        2048,
		MaxRooms:            1000,
		RoomRate:            50,
		RoomBurst:           200,
		MaxTicketBytes:      4096,
		MaxFrameBytes:       4096,
		ReadBufferBytes:     2048,
		ReadHeaderTimeout:   5 * time.Second,
		ReadTimeout:         10 * time.Second,
		IdleTimeout:         60 * time.Second,
		HandshakeTimeout:    5 * time.Second,
		HeartbeatTimeout:    10 * time.Second,
		WriteTimeout:        5 * time.Second,
		CloseTimeout:        time.Second,
		JoinTimeout:         5 * time.Second,
		InputRate:           90,
		InputBurst:          60,
		MessageRate:         20,
		MessageBurst:        40,
		MaxMessageBytes:     1024,
		MessageQueue:        256,
		MaxRewind:           250 * time.Millisecond,
		OutboundQueue:       256,
		MaxSkippedSnapshots: 60,
		Grace:               20 * time.Second,
		ResumeTokenTTL:      5 * time.Minute,
		TokenTableSize:      100000,
		JoinTokenTTL:        time.Minute,
		OpenJoin:            true,
		MatchMinPlayers:     2,
		MatchTicketTimeout:  time.Minute,
		PublicMatchmaker:    true,
		ShutdownTimeout:     10 * time.Second,
		StallTimeout:        time.Second,
		RecordFileMB:        64,
		RecordKeep:          4,
		CheckpointInterval:  2 * time.Second,
		StreamFlush:         100 * time.Millisecond,
	}
}

// Validate reports the first nonsensical setting.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("server: config: "+format, args...)) }
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr %q: %v", c.Addr, err)
	}
	if c.AdminAddr != "" {
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			bad("admin addr %q: %v", c.AdminAddr, err)
		} else if c.AdminAddr == c.Addr {
			bad("admin addr %q: must differ from addr", c.AdminAddr)
		}
	}
	if c.ServiceAPIOn != "admin" && c.ServiceAPIOn != "public" {
		bad("service api on %q: want admin or public", c.ServiceAPIOn)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls cert %q and tls key %q: give both or neither", c.TLSCert, c.TLSKey)
	}
	if c.RecordFileMB < 1 || c.RecordKeep < 1 {
		bad("record-file-mb %d and record-keep %d must be positive", c.RecordFileMB, c.RecordKeep)
	}
	if c.DrainTimeout < 0 || c.StallTimeout < 0 {
		bad("drain timeout %v and stall timeout %v must not be negative", c.DrainTimeout, c.StallTimeout)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log format %q: want text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	for _, o := range c.AllowedOrigins {
		if o != "*" && !strings.Contains(o, "://") {
			bad("allowed origin %q: want scheme://host[:port] or *", o)
		}
	}
	if _, err := forwarded.New(c.TrustedProxies); err != nil {
		bad("trusted proxies: %v", err)
	}
	if c.MaxConnections < 1 {
		bad("max connections %d: must be at least 1", c.MaxConnections)
	}
	for _, n := range []struct {
		name string
		v    int
	}{
		{"source connections", c.SourceConnections}, {"source upgrade burst", c.SourceUpgradeBurst},
		{"source http conns", c.SourceHTTPConns}, {"source tickets", c.SourceTickets},
		{"source code misses", c.SourceCodeMisses}, {"source auth failures", c.SourceAuthFailures},
		{"max handshakes", c.MaxHandshakes}, {"max http conns", c.MaxHTTPConns}, {"max long polls", c.MaxLongPolls},
		{"max rooms", c.MaxRooms}, {"max mode rooms", c.MaxModeRooms}, {"room burst", c.RoomBurst},
		{"max ticket bytes", c.MaxTicketBytes},
	} {
		if n.v < 0 {
			bad("%s %d: must not be negative (0 turns the limit off)", n.name, n.v)
		}
	}
	if c.SourceUpgradeRate < 0 || c.RoomRate < 0 || c.CodeMissRefill < 0 || c.AuthFailRefill < 0 {
		bad("limit rates and refill times must not be negative (0 turns the limit off)")
	}
	if c.SourceCodeMisses > 0 && c.CodeMissRefill <= 0 {
		bad("code miss refill %v: must be positive when source code misses is set", c.CodeMissRefill)
	}
	if c.SourceAuthFailures > 0 && c.AuthFailRefill <= 0 {
		bad("auth fail refill %v: must be positive when source auth failures is set", c.AuthFailRefill)
	}
	if c.LimitSources < 16 {
		bad("limit sources %d: must be at least 16", c.LimitSources)
	}
	if c.MaxFrameBytes < 64 || c.MaxFrameBytes > 1<<20 {
		bad("max frame bytes %d: must be within 64..1048576", c.MaxFrameBytes)
	}
	if c.WriteBufferBytes < 0 {
		bad("write buffer bytes %d: must not be negative", c.WriteBufferBytes)
	}
	if c.ReadBufferBytes < 256 || c.ReadBufferBytes > 1<<20 {
		bad("read buffer bytes %d: must be within 256..1048576", c.ReadBufferBytes)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"read header timeout", c.ReadHeaderTimeout}, {"read timeout", c.ReadTimeout}, {"idle timeout", c.IdleTimeout},
		{"handshake timeout", c.HandshakeTimeout}, {"heartbeat timeout", c.HeartbeatTimeout},
		{"write timeout", c.WriteTimeout}, {"close timeout", c.CloseTimeout}, {"join timeout", c.JoinTimeout},
		{"grace", c.Grace},
		{"resume token ttl", c.ResumeTokenTTL}, {"join token ttl", c.JoinTokenTTL}, {"match ticket timeout", c.MatchTicketTimeout}, {"shutdown timeout", c.ShutdownTimeout},
	} {
		if d.v <= 0 {
			bad("%s %v: must be positive", d.name, d.v)
		}
	}
	if c.HeartbeatTimeout > 0 && c.HeartbeatTimeout < 300*time.Millisecond {
		bad("heartbeat timeout %v: must be at least 300ms", c.HeartbeatTimeout)
	}
	if c.ResumeTokenTTL <= c.Grace {
		bad("resume token ttl %v: must exceed grace %v", c.ResumeTokenTTL, c.Grace)
	}
	if !(c.InputRate > 0) || c.InputRate > 100000 {
		bad("input rate %v: must be within (0, 100000]", c.InputRate)
	}
	if c.InputBurst < 1 {
		bad("input burst %d: must be at least 1", c.InputBurst)
	}
	if c.MessageRate < 1 || c.MessageBurst < 1 || c.MessageQueue < 1 {
		bad("message rate %d, message burst %d and message queue %d: must be at least 1", c.MessageRate,
			c.MessageBurst, c.MessageQueue)
	}
	if c.MaxMessageBytes < 1 || c.MaxMessageBytes > game.MaxMessageBytes {
		bad("max message bytes %d: must be within 1..%d", c.MaxMessageBytes, game.MaxMessageBytes)
	}
	if c.MaxRewind <= 0 || c.MaxRewind > time.Second {
		bad("max rewind %v: must be within (0, 1s]", c.MaxRewind)
	}
	if c.OutboundQueue < 4 {
		bad("outbound queue %d: must be at least 4", c.OutboundQueue)
	}
	if c.MaxSkippedSnapshots < 1 {
		bad("max skipped snapshots %d: must be at least 1", c.MaxSkippedSnapshots)
	}
	if c.NATS != "" && c.NodeAddr == "" {
		bad("nats %q needs node-addr: the address players reach this node at", c.NATS)
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "ws://") && !strings.HasPrefix(c.PublicURL, "wss://") {
		bad("public url %q: want ws://... or wss://...", c.PublicURL)
	}
	if c.MatchMinPlayers < 1 {
		bad("match min players %d: must be at least 1", c.MatchMinPlayers)
	}
	if c.TickPhases < 0 {
		bad("tick phases %d: must be 0 or more", c.TickPhases)
	}
	if c.RequireIdentity && c.AuthKeys == "" && c.Authenticate == nil {
		bad("require identity: needs auth keys (or an Authenticate hook) to verify players with")
	}
	if c.TokenTableSize < 16 {
		bad("token table size %d: must be at least 16", c.TokenTableSize)
	}
	return errors.Join(errs...)
}

// setting is one configurable field: its flag name (the environment variable is TICKWIRE_ + upper snake case) and
// how to read and write it as text.
type setting struct {
	name  string
	usage string
	get   func(c *Config) string
	set   func(c *Config, s string) error
	// boolean flags may be given without a value (-compression).
	boolean bool
}

func (s setting) env() string {
	return "TICKWIRE_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

func strSetting(name, usage string, p func(*Config) *string) setting {
	return setting{name: name, usage: usage,
		get: func(c *Config) string { return *p(c) },
		set: func(c *Config, s string) error { *p(c) = s; return nil }}
}

// parsed builds a setting whose text form is read by parse and written by format.
func parsed[T any](name, usage string, p func(*Config) *T, parse func(string) (T, error), format func(T) string) setting {
	return setting{name: name, usage: usage,
		get: func(c *Config) string { return format(*p(c)) },
		set: func(c *Config, s string) error {
			v, err := parse(s)
			if err != nil {
				return err
			}
			*p(c) = v
			return nil
		}}
}

// listSetting is a comma-separated list; blank elements are dropped.
func listSetting(name, usage string, p func(*Config) *[]string) setting {
	return setting{name: name, usage: usage,
		get: func(c *Config) string { return strings.Join(*p(c), ",") },
		set: func(c *Config, s string) error {
			var l []string
			for _, o := range strings.Split(s, ",") {
				if o = strings.TrimSpace(o); o != "" {
					l = append(l, o)
				}
			}
			*p(c) = l
			return nil
		}}
}

func intSetting(name, usage string, p func(*Config) *int) setting {
	return parsed(name, usage, p, strconv.Atoi, strconv.Itoa)
}

func floatSetting(name, usage string, p func(*Config) *float64) setting {
	return parsed(name, usage, p, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) },
		func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) })
}

func boolSetting(name, usage string, p func(*Config) *bool) setting {
	s := parsed(name, usage, p, strconv.ParseBool, strconv.FormatBool)
	s.boolean = true
	return s
}

func durSetting(name, usage string, p func(*Config) *time.Duration) setting {
	return parsed(name, usage, p, time.ParseDuration, time.Duration.String)
}

var settings = []setting{
	strSetting("addr", "public TCP address: game socket, demo, matchmaking, room list, health", func(c *Config) *string { return &c.Addr }),
	strSetting("admin-addr", "admin TCP address (keep it private): /metrics, /debug/pprof/, health, the service API; empty: off", func(c *Config) *string { return &c.AdminAddr }),
	strSetting("service-api-on", "listener of the service API: admin or public", func(c *Config) *string { return &c.ServiceAPIOn }),
	strSetting("tls-cert", "PEM certificate chain of the public port (TLS; reloaded when the file changes)", func(c *Config) *string { return &c.TLSCert }),
	strSetting("tls-key", "PEM private key of the public port (TLS; reloaded when the file changes)", func(c *Config) *string { return &c.TLSKey }),
	strSetting("log-format", "log format: text or json", func(c *Config) *string { return &c.LogFormat }),
	strSetting("log-level", "log level: debug, info, warn or error", func(c *Config) *string { return &c.LogLevel }),
	listSetting("allowed-origins", "comma-separated Origin values allowed to open /ws (scheme://host[:port], or * for any); empty: same host and localhost",
		func(c *Config) *[]string { return &c.AllowedOrigins }),
	listSetting("trusted-proxies", "comma-separated CIDR prefixes or addresses of reverse proxies whose X-Forwarded-For/-Proto/-Host and Forwarded headers are believed; empty: none",
		func(c *Config) *[]string { return &c.TrustedProxies }),
	intSetting("max-connections", "most open WebSocket connections; more are closed with 4002", func(c *Config) *int { return &c.MaxConnections }),
	intSetting("source-connections", "most open WebSockets per source address (IPv4 address or IPv6 /64); more get HTTP 429 (0: off)", func(c *Config) *int { return &c.SourceConnections }),
	floatSetting("source-upgrade-rate", "WebSocket upgrades per second per source address, sustained; more get HTTP 429 (0: off)", func(c *Config) *float64 { return &c.SourceUpgradeRate }),
	intSetting("source-upgrade-burst", "WebSocket upgrades per source address allowed above source-upgrade-rate in a burst", func(c *Config) *int { return &c.SourceUpgradeBurst }),
	intSetting("source-http-conns", "most open HTTP connections per source address; more are answered 429 and closed (0: off)", func(c *Config) *int { return &c.SourceHTTPConns }),
	intSetting("source-tickets", "most queued matchmaking tickets per source address; more get 429 (0: off)", func(c *Config) *int { return &c.SourceTickets }),
	intSetting("source-code-misses", "failed private-code lookups per source address before its code tickets get 429 (0: off)", func(c *Config) *int { return &c.SourceCodeMisses }),
	durSetting("code-miss-refill", "one more failed private-code lookup is allowed per source after this long", func(c *Config) *time.Duration { return &c.CodeMissRefill }),
	intSetting("source-auth-failures", "failed service API authentications (401) per source address before it gets 429 (0: off)", func(c *Config) *int { return &c.SourceAuthFailures }),
	durSetting("auth-fail-refill", "one more failed service API authentication is allowed per source after this long", func(c *Config) *time.Duration { return &c.AuthFailRefill }),
	intSetting("limit-sources", "size of the per-source limit table (least recently seen sources are forgotten first)", func(c *Config) *int { return &c.LimitSources }),
	intSetting("max-handshakes", "most WebSockets that have not finished Hello and Join; more upgrades get HTTP 503 (0: off)", func(c *Config) *int { return &c.MaxHandshakes }),
	intSetting("max-http-conns", "most open HTTP connections (WebSockets excluded); more are answered 503 and closed (0: off)", func(c *Config) *int { return &c.MaxHTTPConns }),
	intSetting("max-long-polls", "most matchmaking long-polls in flight; more get 503 (0: off)", func(c *Config) *int { return &c.MaxLongPolls }),
	intSetting("max-rooms", "most running rooms; more room creations are refused (quick play 4002, HTTP 503) (0: off)", func(c *Config) *int { return &c.MaxRooms }),
	intSetting("max-mode-rooms", "most running rooms of one mode (0: off)", func(c *Config) *int { return &c.MaxModeRooms }),
	floatSetting("room-rate", "rooms created per second, sustained, server-wide (0: off)", func(c *Config) *float64 { return &c.RoomRate }),
	intSetting("room-burst", "rooms that may be created above room-rate in a burst", func(c *Config) *int { return &c.RoomBurst }),
	intSetting("max-ticket-bytes", "largest matchmaking ticket request body in bytes; larger get 413 (0: off)", func(c *Config) *int { return &c.MaxTicketBytes }),
	intSetting("max-frame-bytes", "largest client frame in bytes; larger ones are closed with 1009", func(c *Config) *int { return &c.MaxFrameBytes }),
	intSetting("read-buffer-bytes", "per-connection read buffer in bytes", func(c *Config) *int { return &c.ReadBufferBytes }),
	intSetting("write-buffer-bytes", "per-connection kernel send buffer in bytes (0: system default)", func(c *Config) *int { return &c.WriteBufferBytes }),
	boolSetting("compression", "negotiate permessage-deflate when the client offers it", func(c *Config) *bool { return &c.Compression }),
	durSetting("read-header-timeout", "time to read an HTTP request's headers", func(c *Config) *time.Duration { return &c.ReadHeaderTimeout }),
	durSetting("read-timeout", "time to read a whole HTTP request", func(c *Config) *time.Duration { return &c.ReadTimeout }),
	durSetting("idle-timeout", "keep-alive idle time of plain HTTP connections", func(c *Config) *time.Duration { return &c.IdleTimeout }),
	durSetting("handshake-timeout", "time for Hello and Join after the upgrade (4502)", func(c *Config) *time.Duration { return &c.HandshakeTimeout }),
	durSetting("heartbeat-timeout", "silence after which a session is closed (4001)", func(c *Config) *time.Duration { return &c.HeartbeatTimeout }),
	durSetting("write-timeout", "deadline of every socket write", func(c *Config) *time.Duration { return &c.WriteTimeout }),
	durSetting("close-timeout", "wait for the client's close frame after ours", func(c *Config) *time.Duration { return &c.CloseTimeout }),
	durSetting("join-timeout", "wait for a room to take a joining player; past it the join is refused with 4002", func(c *Config) *time.Duration { return &c.JoinTimeout }),
	floatSetting("input-rate", "client frames per second allowed per connection (sustained); more close with 4508", func(c *Config) *float64 { return &c.InputRate }),
	intSetting("input-burst", "client frames allowed above input-rate in a burst", func(c *Config) *int { return &c.InputBurst }),
	intSetting("message-rate", "game messages per second allowed per connection (sustained); more close with 4508", func(c *Config) *int { return &c.MessageRate }),
	intSetting("message-burst", "game messages allowed above message-rate in a burst", func(c *Config) *int { return &c.MessageBurst }),
	intSetting("max-message-bytes", "largest game message payload in bytes (at most 1024); larger close with 1009", func(c *Config) *int { return &c.MaxMessageBytes }),
	intSetting("message-queue", "game messages queued per room for the next tick; a full queue closes the sender with 4002", func(c *Config) *int { return &c.MessageQueue }),
	durSetting("max-rewind", "longest lag compensation: an input's view is never older than this before its tick", func(c *Config) *time.Duration { return &c.MaxRewind }),
	intSetting("outbound-queue", "reliable frames queued per session; overflow closes with 4000", func(c *Config) *int { return &c.OutboundQueue }),
	intSetting("max-skipped-snapshots", "snapshots replaced unsent in a row before a session is closed with 4000", func(c *Config) *int { return &c.MaxSkippedSnapshots }),
	durSetting("grace", "how long a dropped player's slot is kept for a resume, counted from the drop (any time in a match)", func(c *Config) *time.Duration { return &c.Grace }),
	durSetting("resume-token-ttl", "how long a resume token is remembered after its connection drops (never expires while connected; must exceed grace: between the two a resume gets 4505, after both 4504)", func(c *Config) *time.Duration { return &c.ResumeTokenTTL }),
	intSetting("token-table-size", "most resume tokens (and most join tokens) kept in memory", func(c *Config) *int { return &c.TokenTableSize }),
	durSetting("join-token-ttl", "default lifetime of an issued join token", func(c *Config) *time.Duration { return &c.JoinTokenTTL }),
	boolSetting("open-join", "allow quick play (Join by mode) into any open room", func(c *Config) *bool { return &c.OpenJoin }),
	strSetting("public-url", "WebSocket address the matchmaker hands players (ws(s)://host/ws); empty: the request's host", func(c *Config) *string { return &c.PublicURL }),
	intSetting("match-min-players", "fewest players the matchmaker needs to open a new room", func(c *Config) *int { return &c.MatchMinPlayers }),
	intSetting("tick-phases", "phases of the tick interval rooms are spread over (0: evenly, no two rooms in step; 1: all in step)", func(c *Config) *int { return &c.TickPhases }),
	durSetting("match-ticket-timeout", "how long a matchmaking ticket may stay queued before it times out", func(c *Config) *time.Duration { return &c.MatchTicketTimeout }),
	strSetting("service-api-key", "API key of the service API for trusted backends; empty: off (prefer the env variable)", func(c *Config) *string { return &c.ServiceAPIKey }),
	durSetting("drain-timeout", "on shutdown, how long rooms may play on to end their matches before they are ended", func(c *Config) *time.Duration { return &c.DrainTimeout }),
	durSetting("shutdown-timeout", "graceful shutdown deadline once rooms are told to end", func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
	durSetting("stall-timeout", "fail a room (4510) whose simulation is stuck in one step this long; 0: off", func(c *Config) *time.Duration { return &c.StallTimeout }),
	strSetting("record", "directory to write every room's journal to (tickwire replay FILE re-runs one); empty: off", func(c *Config) *string { return &c.Record }),
	intSetting("record-file-mb", "largest journal file in MiB; a room then starts its next file", func(c *Config) *int { return &c.RecordFileMB }),
	intSetting("record-keep", "journal files kept per room (older ones are deleted)", func(c *Config) *int { return &c.RecordKeep }),
	strSetting("auth-keys", "JSON file of player token keys (HS256 secrets, ES256 public keys, each with a kid); empty: anonymous play only", func(c *Config) *string { return &c.AuthKeys }),
	boolSetting("require-identity", "refuse quick play and matchmaking tickets without a verified player token (4512, HTTP 401)", func(c *Config) *bool { return &c.RequireIdentity }),
	strSetting("nats", "NATS server URL (JetStream on): this process becomes a node of a cluster; empty: a single server", func(c *Config) *string { return &c.NATS }),
	strSetting("node-id", "this node's id in the cluster (empty: random)", func(c *Config) *string { return &c.NodeID }),
	strSetting("node-addr", "the address players reach this node at: host:port or ws(s)://host[:port]/ws (required with -nats)", func(c *Config) *string { return &c.NodeAddr }),
	durSetting("checkpoint-interval", "clustered: how often each room's snapshot is streamed to JetStream for crash recovery", func(c *Config) *time.Duration { return &c.CheckpointInterval }),
	durSetting("stream-flush", "clustered: how often each room's journal entries are streamed (a node's death loses the ticks since)", func(c *Config) *time.Duration { return &c.StreamFlush }),
	boolSetting("public-matchmaker", "serve the public matchmaking API /v1/matchmaking/ (false: 404; join tokens from the service API only)", func(c *Config) *bool { return &c.PublicMatchmaker }),
}

// ApplyEnv sets every field whose environment variable (TICKWIRE_ADDR, TICKWIRE_GRACE, ...) is present. lookup is
// usually os.LookupEnv.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	for _, s := range settings {
		if v, ok := lookup(s.env()); ok {
			if err := s.set(c, v); err != nil {
				return fmt.Errorf("server: config: %s=%q: %w", s.env(), v, err)
			}
		}
	}
	return nil
}

// Flags registers one flag per setting on fs, each defaulting to c's current value and writing into c when parsed.
// Call ApplyEnv first so that flags override environment variables, which override the defaults.
func (c *Config) Flags(fs *flag.FlagSet) {
	for _, s := range settings {
		fs.Var(flagValue{c, s}, s.name, s.usage+" (env "+s.env()+")")
	}
}

type flagValue struct {
	c *Config
	s setting
}

func (f flagValue) String() string {
	if f.c == nil {
		return ""
	}
	return f.s.get(f.c)
}

func (f flagValue) Set(v string) error { return f.s.set(f.c, v) }

func (f flagValue) IsBoolFlag() bool { return f.s.boolean }
