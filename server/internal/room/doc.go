// Package room runs one authoritative game room: a single goroutine owns the game's Sim, the players, their input
// buffers, the fixed-timestep clock, the snapshot history and the reconnection grace table, so none of that state needs
// a lock.
//
// Inputs are addressed to ticks. Room.Input stamps each input's arrival time; the loop files it in the player's buffer
// (InputWindow+1 slots, indexed by tick) unless it is late (its tick is simulated), early (more than InputWindow
// ahead) or a duplicate (seq or tick not above the last accepted input's), and notes its lead: the time its tick is
// due minus its arrival. Every tick the room hands the Sim exactly one input per connected player, in ascending
// player order: the one addressed to the tick, else the fill of Schema.Fill marked Missed (counted once the player has
// sent an input). A View is bounded by MaxRewind and by the newest snapshot the client acknowledged. The least lead
// since the previous report goes out in the snapshot tail about every 100 ms. A disconnect or resume empties the
// player's buffer: the client resends what Welcome.last_input_seq does not cover, to new ticks.
//
// Every tick the room then steps the Sim, stores the world in its history, sends the tick's events reliably, and on
// snapshot ticks encodes the world (package snapcodec) once per distinct baseline the players' Sinks report and
// offers the shared, reference-counted Frame to every Sink without blocking. When the Sim implements
// game.Visibility, each player is sent its own view instead: one view per distinct view key, each player's delta
// against the view it was last sent (a ring per player), one encoding per distinct (view, baseline view).
//
// Files: config.go (Config and defaults), clock.go (time source), room.go (the loop and the goroutine-safe API),
// players.go (presence, grace, end), inputs.go (input buffers, fill, View bounds, lead reports), tick.go (one tick),
// snapshot.go (history, per-baseline encoding, fan-out), visibility.go (per-player views), history.go (the history as a game.History for lag
// compensation), sink.go (the Sink interface and pooled Frames), frames.go (ServerFrame encoding: snapshot, welcome,
// events, results), observer.go (metrics hooks), events.go (room events for the server), errors.go.
//
// The clock: tick n is due at start + n·dt. A late loop runs the due ticks back to back, at most MaxCatchUp of them;
// beyond that it drops the rest from the schedule (counted as overruns) and continues one interval later, in slow
// motion rather than in a burst. Inputs and commands that arrive before a tick starts count for that tick.
//
// Concurrency: New, Run and the methods of Room documented as goroutine-safe may be called from any goroutine; they
// only hand commands to the loop (non-blocking, except Join and Resume which wait for the answer). A Sink is called
// only from the room goroutine. Frame.Release may be called from any goroutine.
package room
