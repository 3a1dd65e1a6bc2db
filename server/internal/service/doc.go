// Package service is the API for trusted backends (a lobby, a stats service, a tournament system): create rooms with
// settings and join tokens for named players, end rooms, push server events into rooms, and follow room events live
// over a WebSocket. It also owns the event hub that fans room events out to those subscribers.
//
// # Authentication
//
// Every route needs the configured API key in the X-API-Key header (or "Authorization: Bearer <key>"), compared in
// constant time. A missing or wrong key gets 401. With no key configured the whole service API is off: every route
// answers 404, as if it did not exist.
//
// # HTTP routes (JSON; errors are {"error": code, "message": text} as in package matchmaker)
//
//	POST /v1/service/rooms               CreateRoomRequest → 201 RoomGrant (400 unknown_mode / bad_request)
//	GET  /v1/service/rooms/{id}          → 200 RoomStatus (404 room_not_found)
//	POST /v1/service/rooms/{id}/tokens   {"players": ["alice"]} → 200 RoomGrant with fresh join tokens
//	POST /v1/service/rooms/{id}/end      {"reason": "tournament_cancelled"} → 200 RoomStatus (404 room_not_found)
//	POST /v1/service/rooms/{id}/events   ServerEvent → 202 (the room sends it to its players as an Event)
//	POST /v1/service/rooms/{id}/messages SignalRequest → 200 SignalReply, or 202 (see Messages to the game)
//	GET  /v1/service/events              WebSocket upgrade; query filters room=<id>, mode=<mode>, type=<type>, each
//	                                     repeatable (a filter kind that is absent matches everything)
//
// # Messages to the game
//
// POST /v1/service/rooms/{id}/messages is the backend's way to talk to the room's game (Nakama's match signal):
// {"type": "announce", "text": "..."} or {"type": "grant", "payload": "<base64>"}. The room queues it with its
// players' messages and hands it to the game (game.MessageHandler, from == game.Backend) at the start of its next
// tick; the request waits for that (at most Config.SignalTimeout). Answers:
//
//	200 {"reply": "<base64>", "reply_text": "..."}  the game handled it and replied (reply_text when valid UTF-8)
//	202 {"status": "accepted"}                      the game handled it without a reply
//	400 bad_request       type not 1-32 bytes of UTF-8, payload over 1024 bytes, both payload and text
//	404 room_not_found    no such room, or it ended
//	409 not_supported     the room's game takes no messages
//	503 room_busy         the room's message queue is full: retry later
//	504 timeout           the game did not handle it within SignalTimeout (it may still handle it)
//
// # The event stream
//
// After the upgrade the server sends JSON text frames, one Event each. The first is {"type":"subscribed","seq":N}:
// every event published after it is delivered, in order, with increasing seq (seq is global, so a filtered stream
// has gaps). Event types: room_created, player_joined, player_left, player_disconnected, player_resumed,
// match_ended (with results, best first), room_error, server_event (pushed through this API; its reason is the
// pushed event's type). Fields:
//
//	{"seq": 42, "type": "match_ended", "time": "2026-01-02T15:04:05.123Z", "room_id": "r-7f3a", "mode": "arena",
//	 "epoch": 1, "tick": 1800, "player_id": 0, "player": "", "reason": "time_limit", "text": "", "args": [],
//	 "results": [{"player_id": 2, "name": "alice", "score": 7, "rank": 1}, ...]}
//
// Empty fields are omitted. Messages the subscriber sends are ignored (pings are answered).
//
// Close codes of the event stream: 4000 slow consumer (the subscriber's bounded queue, Config.SubscriberQueue events,
// overflowed: it is dropped rather than slowing rooms; reconnect and resynchronise with GET /v1/service/rooms/{id}),
// 1001 going away (server shutdown), 1011 internal error (a write failed).
//
// # Wiring (server)
//
// NewStack builds the matchmaker and this API over the server's directory and token table (adapters.go holds the
// adapters: DirectoryRooms, SessionTokens). In server.New:
//
//	st, err := service.NewStack(service.StackConfig{
//		PublicURL:    cfg.PublicURL,    // players' ws(s)://host/ws; empty: each request's host
//		JoinTokenTTL: cfg.JoinTokenTTL, // also the matchmaker's seat reservation time
//		Matchmaker:   matchmaker.Config{MinPlayers: 2},
//		Service:      service.Config{APIKey: cfg.ServiceAPIKey, Logger: logger}, // empty key: service API off (404)
//	}, s.dir, s.tokens)
//	st.Mount(s.mux)                 // /v1/matchmaking/, GET /v1/rooms, /v1/service/
//	// in Server.roomEvent (every room event, on the room goroutine): st.OnRoomEvent(ev)  — never blocks
//	// in Serve: go st.Run(ctx)        — the matchmaker's periodic Process, until ctx is done
//	// in shutdown: st.Close()         — event streams get 1001 (http.Server.Shutdown does not close them)
//
// Without the stack: service.New(Config{..., Matchmaker: mm}, rooms, tokens), mount Handler() at /v1/service/, and
// feed every room event to Publish (or OnRoomEvent), which also tells the matchmaker about joins and leaves.
//
// Every exported method is safe to call from several goroutines; Publish may be called from a room goroutine.
package service
