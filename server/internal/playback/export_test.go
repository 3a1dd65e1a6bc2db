package playback

import (
	"testing"

	"github.com/tickwire/tickwire/game"
)

// MakeRecording is makeRecording for the package's external tests: one file of ticks ticks, a checkpoint every
// ckptEvery ticks, one input recorded other than applied at tick flip (0: none).
func MakeRecording(t testing.TB, ticks, ckptEvery int, flip game.Tick) []byte {
	return makeRecording(t, ticks, ckptEvery, 0, flip).files[0]
}
