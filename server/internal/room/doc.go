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
// players.go (presence, input queues, grace), tick.go (one tick), snapshot.go (history, frames, encoding),
// frames.go (reliable ServerFrames: welcome, events, results), observer.go (metrics hooks), events.go (room events).
//
// Concurrency: New, Run and the methods of Room documented as goroutine-safe may be called from any goroutine; they
// only hand commands to the loop (non-blocking, except Join and Resume which wait for the answer). A Sink is called
// only from the room goroutine. Frame.Release may be called from any goroutine.
package room
