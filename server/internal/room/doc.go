// Package room runs one authoritative game room: a single goroutine owns the game's Sim, the players, their input
// queues, the fixed-timestep clock, the snapshot history and the reconnection grace table, so none of that state needs
// a lock.
//
// Every tick the room applies each player's queued inputs in sequence order (at most MaxInputsPerTick, duplicates
// dropped), steps the Sim, stores the world in its history, sends the tick's events reliably, and on snapshot ticks
// encodes the world (package snapcodec) once per distinct baseline the players' Sinks report and offers the shared,
// reference-counted Frame to every Sink without blocking.
//
// Files: config.go (Config and defaults), clock.go (time source), room.go (the loop and the goroutine-safe API),
// players.go (presence, input queues, grace, end), tick.go (one tick), snapshot.go (history, per-baseline encoding,
// fan-out), sink.go (the Sink interface and pooled Frames), frames.go (ServerFrame encoding: snapshot, welcome,
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
