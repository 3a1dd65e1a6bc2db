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
//	GET  /v1/service/events              WebSocket upgrade; query filters room=<id>, mode=<mode>, type=<type>, each
//	                                     repeatable (a filter kind that is absent matches everything)
//
// # The event stream
//
// After the upgrade the server sends JSON text frames, one Event each. The first is {"type":"subscribed","seq":N}:
// every event published after it is delivered, in order, with increasing seq (seq is global, so a filtered stream
// has gaps). Event types: room_created, player_joined, player_left, player_disconnected, player_resumed,
// match_ended (with results, best first), room_error, server_event (pushed through this API). Fields:
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
//	svc, err := service.New(service.Config{APIKey: cfg.ServiceAPIKey, Matchmaker: mm, Logger: log}, roomsAdapter, tokensAdapter)
//	mux.Handle("/v1/service/", svc.Handler())
//	// every room event (directory.Config.OnEvent) → svc.Publish(event converted to service.Event); Publish never blocks
//	// and also tells the matchmaker about joins.
//	// on shutdown: svc.Close() (hijacked WebSockets are not closed by http.Server.Shutdown).
//
// Every exported method is safe to call from several goroutines; Publish may be called from a room goroutine.
package service
