package playback

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
)

// Control is one message from a viewer.
type Control struct {
	Op    string  `json:"op"`              // "pause", "play", "speed", "seek" or "auth"
	Speed float64 `json:"speed,omitempty"` // op "speed": 0.5 to 4
	Tick  uint32  `json:"tick,omitempty"`  // op "seek"
	Key   string  `json:"key,omitempty"`   // op "auth"
}

// Limits of a control message.
const (
	MaxControlBytes = 256
	MinSpeed        = 0.5
	MaxSpeed        = 4
)

// ErrBadControl is a control message that is not one of the documented ones.
var ErrBadControl = errors.New("playback: bad control message")

// ParseControl decodes and checks one control message: a JSON object of at most MaxControlBytes with no unknown
// fields and an op with what it needs (a speed within [MinSpeed, MaxSpeed] for "speed").
func ParseControl(b []byte) (Control, error) {
	var c Control
	if len(b) > MaxControlBytes {
		return c, ErrBadControl
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return Control{}, ErrBadControl
	}
	if d.More() {
		return Control{}, ErrBadControl
	}
	switch c.Op {
	case "pause", "play", "seek", "auth":
	case "speed":
		if math.IsNaN(c.Speed) || c.Speed < MinSpeed || c.Speed > MaxSpeed {
			return Control{}, ErrBadControl
		}
	default:
		return Control{}, ErrBadControl
	}
	return c, nil
}
