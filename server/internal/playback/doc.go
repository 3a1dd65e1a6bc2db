// Package playback serves a server's recordings (the room journals written with -record, package journal) for
// watching: a spectator's replay viewer. The journal is re-run through the game's Sim at the room's tick rate (or
// 0.5x to 4x of it) and the viewer receives the ServerFrames a spectator of the live room would have: a Welcome with
// the game's schema, a full Snapshot of the whole world, then a delta Snapshot every tick, with the room's events
// (joins, leaves, the game's broadcast events) and the MatchResult. The browser SDK decodes and interpolates them as
// it does a live room's. Every replayed tick's world hash is checked against the recording: a divergence is reported
// to the viewer and the playback stops there; it is never drawn silently.
//
// # HTTP routes
//
//	GET /v1/replays                 → 200 {"recordings": [Recording...]}, newest first
//	GET /v1/replays/{id}/watch      WebSocket: one playback of recording id (ROOM-EPOCH, as listed)
//
// A recording is a room's files ROOM-EPOCH-NNNN.twj in the record directory, played in segment order. Ids are made
// of letters, digits, '-' and '_' only; the files are opened through an os.Root of the directory, so that no id
// reaches a file outside it. Errors are {"error": code, "message": text}: 400 bad_id, 401 unauthorized, 404
// not_found, 413 too_large (the recording is over Config.MaxBytes), 503 busy (Config.MaxPlaybacks playbacks are
// running; counted in tickwire_playback_refused_total{reason="busy"}).
//
// # Authentication
//
// With an API key configured (the server's service API key), the list needs it in the X-API-Key header (or
// "Authorization: Bearer <key>"), compared in constant time, else 401. A browser cannot set headers on a WebSocket,
// so the watch socket takes the key either in those headers or as its first text message {"op":"auth","key":"..."}
// within Config.AuthTimeout; nothing is played before, and a wrong or missing key closes the socket with 4512.
// Without a key, anyone who reaches the port can list and watch the recordings.
//
// # The watch socket
//
// Binary messages from the server are ServerFrames (proto/tickwire.proto). Text messages are JSON playback state:
//
//	{"type":"info", "id", "room", "mode", "epoch", "tick_rate", "first_tick", "last_tick", "checkpoints": [ticks],
//	 "truncated": "..."}                 once, first; truncated says why the recording ends early (a file cut short)
//	{"type":"state", "tick", "paused", "speed", "checked"}   after every control and about 4 times a second
//	{"type":"seeked", "tick"}            sent before the full snapshot of the new position: drop what is buffered
//	{"type":"end", "tick"}               the last recorded tick was sent; the playback pauses (seek to watch again)
//	{"type":"divergence", "tick", "what", "want", "got", "message"}   the replay does not reproduce the recording
//	                                     at tick: the playback stops (seek back to an earlier tick to watch again)
//	{"type":"error", "message"}          the recording cannot be read further
//
// Text messages from the viewer are controls (at most 16 queued, 256 bytes each; a flood closes the socket with
// 4508): {"op":"pause"}, {"op":"play"}, {"op":"speed","speed":2} (0.5 to 4), {"op":"seek","tick":N} (re-runs the
// journal from the nearest checkpoint at or before N, then plays from N), {"op":"auth","key":"..."}. A malformed
// control closes the socket with 4500. The playback starts playing at 1x from the first tick.
//
// # Concurrency
//
// A Handler is safe for concurrent use; each playback runs on one goroutine of its own, which alone owns its Player
// and writes its socket. A Player belongs to one goroutine.
package playback
