// Package matchmaker places players into rooms.
//
// A client asks to play a mode by submitting a ticket (one player or a party that stays together, an optional rating,
// optional properties such as a region, or a private-room code). A batch, Process, runs over every queued ticket:
// it fills open rooms of the mode before it opens new ones, never exceeds a room's capacity, opens a room only when
// at least the mode's minimum of compatible players is queued, widens each ticket's rating window the longer it
// waits, backfills running rooms whose players left, creates private rooms and places parties into them by code, and
// times out tickets that waited too long. A placed ticket carries the room id, the WebSocket address to connect to and
// one single-use, expiring join token per player, bound to that player and that room.
//
// Process takes the time as an argument so that tests drive it with a fake clock; in production Run calls it
// periodically (and soon after each new ticket). The matchmaker never talks to rooms directly: it goes through the
// small Rooms and Tokens interfaces below, which the server's room directory and session table satisfy (adapters are
// fine).
//
// The minimum to start is the matchmaker's: a new public room opens only when ModeConfig.MinPlayers (default 2)
// compatible players are queued; rooms already open take players one ticket at a time. Room states are the room's own
// (RoomInfo.State: waiting while nobody holds a slot, running, ended): waiting and running rooms with free seats are
// filled (running ones unless ModeConfig.NoBackfill), ended ones never.
//
// # Cost of a batch
//
// Process runs under the matchmaker's lock, so its cost is what every other call waits for. Queued public tickets
// are kept in an index (index.go) as they are submitted and leave the queue: by mode, in buckets of identical
// properties linked by key and value, with each bucket's and each mode's rated tickets sorted by rating. A ticket
// that anchors a new group looks only at the tickets whose properties agree with its own (through its most selective
// key) and whose rating lies within its window, so tickets that cannot be matched with each other (a flood of
// distinct regions, or of ratings far apart) cost about log n each per batch, not n: a batch over 10,000 of them
// takes a few milliseconds (BenchmarkProcessIncompatible).
//
// # Seats and reservations
//
// A placed player holds a reservation in its room until it joins (the room reports the join through PlayerJoined)
// or until the join token would have expired (Config.JoinTTL; keep it equal to the token issuer's lifetime). When
// Rooms is also a SeatReserver (the server's directory is), the room itself holds the seat under the player's join
// token: only the join that presents that token takes it, quick play and other joins never do, and only that join or
// the expiry releases it. A room that refuses the seats (quick play took them first) leaves the ticket queued. A room's
// occupancy is its player count plus its live reservations, so a burst of tickets never overfills a room whose
// players have not connected yet. The player count is the larger of the room's own count and the count its events
// give (PlayerJoined minus PlayerLeft): the two may disagree for a moment around a join or a leave, and the larger one
// never promises a seat twice.
//
// # HTTP
//
// Handler serves, under /v1/ (JSON bodies, errors as {"error": code, "message": text}):
//
//	POST   /v1/matchmaking/tickets          body TicketRequest → 201 Ticket
//	GET    /v1/matchmaking/tickets/{id}     ?wait=10s long-polls until the ticket is no longer queued → 200 Ticket
//	DELETE /v1/matchmaking/tickets/{id}     cancels a queued ticket → 200 Ticket (409 when already placed)
//	GET    /v1/rooms                        ?mode=arena → 200 {"rooms": [RoomView...]} (private rooms hidden)
//
// A ticket id is 128 random bits: whoever knows it can read the join tokens, so hand it only to the ticket's owner.
//
// Private room codes are CodeLength (10) characters of a 32-letter alphabet, 50 bits, and admit newcomers for
// Config.CodeTTL after the room opened. A code ticket whose code matches no live room fails with Error "unknown room
// code" (or "room code expired"; "the private room is full" when it lacks seats), counted in Stats.CodeMisses by
// reason (metric tickwire_matchmaker_code_misses_total{reason}). Unknown and expired codes also count against the
// submitting address's budget of failed lookups (Config.Gate): past it, that address's code tickets are refused
// with 429 {"error": "too_many_requests"} and a Retry-After, counted as tickwire_limit_refusals_total{reason=
// "source_code_guesses"}.
//
// Identity: a ticket may carry player_tokens, one signed player token per player, which Config.Auth verifies at
// submission (401 {"error": "unauthenticated"} or "player_token_expired" when refused; with Auth.Require, a ticket
// without them is refused too). The join tokens of a placed ticket are bound to the verified users, and the queue
// de-duplicates players by verified user id only (409 player_queued): a name is free-form text that anyone could
// type to block another player, so anonymous players are never de-duplicated.
//
// # Wiring (server)
//
// service.NewStack does all of this for the server's directory and token table. By hand:
//
//	mm, err := matchmaker.New(matchmaker.Config{PublicURL: "ws://host:port/ws", Logger: log}, roomsAdapter, tokensAdapter)
//	go mm.Run(ctx)                                   // periodic Process; returns when ctx is done
//	mux.Handle("/v1/matchmaking/", mm.Handler())
//	mux.Handle("/v1/rooms", mm.Handler())
//	// in every room's OnEvent (non-blocking): "player_joined" → mm.PlayerJoined(roomID), "player_left" →
//	// mm.PlayerLeft(roomID) (service.Service.Publish/OnRoomEvent do this when the service is given the matchmaker).
//
// All exported methods are safe to call from several goroutines. PlayerJoined never blocks on Process, so it may be
// called from a room goroutine.
package matchmaker
