// Package server is Tickwire's public Go API: a game developer registers game modes (a game.Factory each) and runs
// the server, which puts their rooms on the network over WebSocket.
//
//	cfg := server.DefaultConfig()             // or: cfg.ApplyEnv(os.LookupEnv); cfg.Flags(flag.CommandLine); flag.Parse()
//	cfg.Addr = "127.0.0.1:8080"
//	srv, err := server.New(cfg, logger)       // validates cfg
//	if err != nil { ... }
//	err = srv.RegisterGame("arena", arena.Factory, server.GameOptions{MaxPlayers: 16})
//	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//	defer stop()
//	err = srv.Run(ctx)                        // serves until ctx is done, then drains and returns
//
// The public port (Config.Addr; TLS with Config.TLSCert and TLSKey, reloaded when the files change) serves /ws (the
// game socket), /healthz (liveness), /readyz (200 only while ready), matchmaking under /v1/matchmaking/ and GET
// /v1/rooms, and / (Config.Static, the browser demo; without it a page that says how to connect). The admin listener
// (Config.AdminAddr, loopback by default; Run opens it, ServeListeners takes it, AdminHandler serves it) has /metrics
// (Prometheus text format, the server's own registry), Go's profiler under /debug/pprof/, /healthz, /readyz and the
// service API for trusted backends under /v1/service/ (off unless Config.ServiceAPIKey is set; on the public port
// with Config.ServiceAPIOn "public"). In-process backends use IssueJoinToken, CreateRoom, EndRoom,
// Rooms and OnRoomEvent; Handle mounts extra HTTP APIs.
//
// # Lifecycle
//
// starting → ready (Serve has started) → draining (ctx done; see drain.go: /readyz fails, ticket submissions get 503
// and quick play 1001 (resumes and join tokens still reach the running rooms), queued tickets are answered with status failed and matchmaker.DrainError, rooms play on for
// Config.DrainTimeout and are then ended, so that every player gets the MatchResult and 4509, event streams get the
// rooms' last events and 1001, and only then are the remaining connections told 1001 and the listeners closed) →
// stopped (Serve returns within DrainTimeout + ShutdownTimeout; connections still open at the deadline are dropped).
// /readyz reports the state's name and answers 200 only when ready. A room whose Sim is stuck in one Step for
// Config.StallTimeout is failed by a watchdog (4510) while the other rooms keep their ticks; a game factory that
// panics fails the room's creation with directory.ErrFactoryPanic and the process lives on.
//
// # Protocol and limits
//
// Every client frame is one ClientFrame per binary WebSocket message (proto/tickwire.proto). A session is Hello, then
// Join (join token, resume token or mode), both within HandshakeTimeout; then Input, Ack, Ping and Leave. The server
// answers with Welcome, a full Snapshot, then snapshots every snapshot interval, Pong for each Ping, and Events.
// The server speaks protocol version 2 only: Hello offers a range (min_protocol_version..max_protocol_version, 0
// standing for protocol_version), the server picks 2 when it is in the range and states it in Welcome, else it
// closes with 4501 and the reason "client speaks A..B, server speaks 2..2".
//
// Inputs are addressed to ticks. Each Input names the tick it is for (Input.tick, required, strictly increasing per
// player) and a seq (strictly increasing, for acknowledgement and resume). The room keeps a buffer per player keyed
// by tick (Welcome.input_window + 1 slots) and applies exactly one input per connected player per tick: the one for
// that tick, or the game's fill (Welcome.input_fill: the last applied input again, or neutral values) counted as
// missed. An input for a tick the room already simulated is late (dropped); one more than input_window ticks ahead is
// early (refused); one whose seq or tick is not above the previous accepted input's is a duplicate (dropped). None of
// these closes the connection: they are counted, and the client learns of them from the snapshots. Every snapshot
// carries last_input_seq (field 15, the highest applied); about every 100 ms, when inputs arrived, one also carries
// input_lead_us (field 14): the least lead since the previous report, the time an input's tick was due minus the
// time the input reached the room (negative: it arrived after its tick was due). A client holds that lead a little
// above its jitter. Input.render_tick + render_frac/256 (the moment the client was drawing) is bounded by the room
// before the game sees it: not newer than the newest snapshot the client acknowledged (Input.ack_tick or Ack) nor
// than the tick before, not older than MaxRewind (Welcome.max_rewind_ms). A player's buffered inputs are void when
// its connection drops; on resume, Welcome.last_input_seq says which were applied, and the client resends the later
// ones re-addressed to new ticks: every input is applied once or reported late, never applied twice.
// Resume tokens are 192 random bits, rotated with every Welcome, bound to one player in one room, kept in a
// size-bounded table for the whole stay: a token never expires while its connection is open, and is remembered for
// ResumeTokenTTL (longer than Grace) from the moment that connection ends. So a player who drops after an hour of
// play resumes within Grace like one who dropped after a minute; between Grace and ResumeTokenTTL after the drop the
// resume is refused with 4505 (the slot is gone), after ResumeTokenTTL with 4504. Tokens are only ever sent inside
// frames, never in a URL. Each
// is single-use once its successor is committed: after a resume with token T, whose Welcome carries T', T stays
// redeemable (same player, same room) until the client proves it holds T', by sending any frame (Input, Ack, Ping or
// Leave) on that connection or by resuming with T'; from then on T is refused (4504). So a connection that dies
// between the server's Welcome and the client's reading it does not lose the player: the client resumes with T
// again. Resuming with T again before the proof invalidates the T' of the earlier attempt (the only live tokens of a
// player are its latest one and, until that one is proven, the one it replaced) and, if that connection is still
// open, supersedes it (4503). A client therefore sends nothing between its Join and the Welcome. Resumes with the
// same token are handled one after the other, in the order their connections were accepted: an attempt on a
// connection accepted before that of an attempt which already redeemed the token (a dead first attempt whose Join is
// handled after the client's retry) is refused with 4503, and never supersedes the retry.
//
// Refusals: the server sends a Disconnect{code, reason, reconnect} frame, then closes the WebSocket with the same
// code, and keeps reading until the client's close frame (or CloseTimeout) so that the client receives both.
// Violations the WebSocket layer detects (marked "WS" below) are closed with a close frame only.
//
//	code  name                 when                                                                 client may
//	1001  GOING_AWAY           server shutting down (SIGTERM/SIGINT): a connection not in a room    reconnect, resume
//	1002  PROTOCOL_ERROR       WS: bad opcode, RSV bits without extension, unmasked or fragmented   no
//	                           control frame, control frame > 125 bytes, bad continuation,
//	                           invalid close code (1004-1006, 1015, <1000, 1016-2999, >=5000),
//	                           a close frame with a 1-byte payload, an unmasked client frame
//	1003  UNSUPPORTED_DATA     a text frame                                                         no
//	1007  INVALID_PAYLOAD      WS: invalid UTF-8 in a text frame or in a close frame's reason       no
//	1009  MESSAGE_TOO_BIG      WS: a frame (or a fragmented message) over MaxFrameBytes (the rest  no
//	                           is read and discarded, up to 8 MiB within CloseTimeout, so that the
//	                           close frame arrives instead of a reset); a game message's payload
//	                           over MaxMessageBytes
//	1011  INTERNAL_ERROR       an unexpected server error outside a room; WS: a compressed frame    reconnect
//	                           that fails to inflate or inflates past MaxFrameBytes
//	4000  SLOW_CONSUMER        reliable queue (OutboundQueue) full, or more than MaxSkippedSnapshots reconnect, resume
//	                           snapshots in a row replaced unsent (a write that times out drops the socket)
//	4001  HEARTBEAT_TIMEOUT    no frame for HeartbeatTimeout (Welcome.heartbeat_ms is half of it)   reconnect, resume
//	4002  SERVER_BUSY          MaxConnections reached, or the room did not take a join within       reconnect later
//	                           JoinTimeout (a join token stays valid for the retry), or an earlier
//	                           resume with the same token did not end in time, or quick play needs
//	                           a new room and MaxRooms, MaxModeRooms or RoomRate says no
//	4500  BAD_FRAME            undecodable frame, unknown fields (at any level, which includes a    no
//	                           known field sent with the wrong wire type), empty oneof, a message
//	                           the session state does not expect (Hello twice, Input before Join,
//	                           Join after Join), Input.seq 0, Input.tick 0, Input.render_frac above
//	                           255, Input.values count not the room's input count, a value outside
//	                           its Welcome.input [min, max],
//	                           oversized strings (Hello.client > 64, Join.name > 32 bytes)
//	4501  UNSUPPORTED_VERSION  Hello offers no version in 2..2 (the reason names both ranges)       no
//	4502  HANDSHAKE_TIMEOUT    Hello and Join not both received within HandshakeTimeout             no
//	4503  SUPERSEDED           another connection resumed this player                               no
//	4504  INVALID_TOKEN        join or resume token unknown, forged, expired (join) or already used no
//	                           (a resume token: its successor was proven received, see above)
//	4505  RESUME_EXPIRED       resume after the grace period (the slot or the room is gone)         no
//	4506  ROOM_NOT_FOUND       unknown mode, the join token's room is gone, or open join disabled   no
//	4507  ROOM_FULL            the room has no free slot (or the game refused the player)           no
//	4508  RATE_LIMITED         more than InputRate frames/s sustained (burst InputBurst), or more   no
//	                           than MessageRate game messages/s (burst MessageBurst)
//	4509  ROOM_ENDED           the match ended (after MatchResult), the room was closed, or the     no
//	                           server drained (after MatchResult)
//	4510  ROOM_FAILED          the room's simulation panicked or was stuck in one Step for          no
//	                           StallTimeout, or the game's factory panicked on a quick-play join;
//	                           other rooms are unaffected
//	4511  LEFT                 the client sent Leave                                                no
//	4512  UNAUTHENTICATED      Join.player_token forged, of an unknown kid or the wrong key,        no
//	                           malformed, missing sub/exp, refused by Config.Authenticate; or none
//	                           sent where RequireIdentity demands one (the reason names which)
//	4513  PLAYER_TOKEN_EXPIRED Join.player_token past its exp                                       with a fresh token
//
// Limits (defaults; every one is a Config field, a flag and a TICKWIRE_* environment variable):
//
//	client frame               MaxFrameBytes 4096 bytes (after decompression); text frames refused
//	permessage-deflate         off (Compression); when on, no context takeover, inflated size bounded as above
//	client frame rate          InputRate 90/s sustained, InputBurst 60 (inputs, pings, acks alike)
//	game messages              MessageRate 20/s sustained, MessageBurst 40 per connection (4508), on top of the frame
//	                           rate; MaxMessageBytes 1024 per payload (1009); MessageQueue 256 per room (4002); every
//	                           message counts in tickwire_messages_total{result}
//	inputs                     one applied per player per tick; addressed at most InputWindow ticks ahead (a
//	                           GameOptions field: the ticks of 1 s, at least 8); lag compensation MaxRewind 250ms
//	handshake (Hello + Join)   HandshakeTimeout 5s after the upgrade
//	heartbeat                  HeartbeatTimeout 10s without any frame; clients send one every 5s (heartbeat_ms)
//	HTTP                       ReadHeaderTimeout 5s, ReadTimeout 10s, IdleTimeout 60s, headers <= 16 KiB
//	origins                    same host as the request, localhost, 127.0.0.1, [::1], or no Origin; else HTTP 403
//	connections                MaxConnections 10000 open WebSockets
//	per source address         (an IPv4 address or IPv6 /64; behind TrustedProxies the forwarded client's; refused
//	                           before the upgrade with HTTP 429) SourceConnections 256 open WebSockets,
//	                           SourceUpgradeRate 50/s after SourceUpgradeBurst 256; SourceHTTPConns 256 open HTTP
//	                           connections (a new one is answered 429 and closed); SourceTickets 16 queued tickets,
//	                           SourceCodeMisses 20 unknown private codes (one more every CodeMissRefill 3s),
//	                           SourceAuthFailures 10 service API 401s (one more every AuthFailRefill 6s): HTTP 429;
//	                           LimitSources 16384 sources remembered
//	server-wide caps           MaxHandshakes 1024 sockets before Hello+Join (HTTP 503), MaxHTTPConns 8192 (503,
//	                           closed), MaxLongPolls 2048 (503), MaxRooms 1000, MaxModeRooms off, RoomRate 50/s
//	                           after RoomBurst 200 (quick play 4002, tickets fail), MaxTicketBytes 4096 (HTTP 413);
//	                           every refusal counts in tickwire_limit_refusals_total{reason}
//	outbound                   one pending snapshot per session (latest wins), OutboundQueue 256 reliable frames,
//	                           MaxSkippedSnapshots 60, WriteTimeout 5s per write, CloseTimeout 1s for the close,
//	                           WriteBufferBytes 0 (the kernel's default send buffer)
//	matchmaking                MatchMinPlayers 2 to open a room; PublicURL empty: ws://<request host>/ws
//	reconnection               Grace 20s; resume tokens kept while connected and ResumeTokenTTL 5m after the
//	                           drop (both count from the drop), at most TokenTableSize 100000
//	identity                   anonymous unless AuthKeys (HS256/ES256 by kid, reloaded on SIGHUP) or Authenticate;
//	                           RequireIdentity off; PublicMatchmaker on; player tokens at most 2048 bytes, 16 claims
//	join tokens                single-use, JoinTokenTTL 1m, at most TokenTableSize
//	shutdown                   DrainTimeout 0 (rooms play on before they are ended), ShutdownTimeout 10s
//	watchdog                   StallTimeout 1s in one Sim.Step fails the room
//	listeners                  Addr 127.0.0.1:8080 (public), AdminAddr 127.0.0.1:9090, ServiceAPIOn admin
//
// Every exported method of Server is safe to call from several goroutines; register games and listeners before Run.
package server
