//go:build race

package room

const raceEnabled = true
