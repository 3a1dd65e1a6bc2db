package server

import (
	"flag"
	"strings"
	"testing"
)

// The game message limits are settings like the others: defaults as documented, environment then flags, and
// Validate refuses values the transport and the rooms cannot honour.
func TestMessageLimitSettings(t *testing.T) {
	c := DefaultConfig()
	if c.MessageRate != 20 || c.MessageBurst != 40 || c.MaxMessageBytes != 1024 || c.MessageQueue != 256 {
		t.Fatalf("defaults: rate %d, burst %d, %d bytes, queue %d; want 20, 40, 1024, 256", c.MessageRate,
			c.MessageBurst, c.MaxMessageBytes, c.MessageQueue)
	}
	env := map[string]string{"TICKWIRE_MESSAGE_RATE": "5", "TICKWIRE_MAX_MESSAGE_BYTES": "512"}
	if err := c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse([]string{"-message-burst", "7", "-max-message-bytes", "100", "-message-queue", "9"}); err != nil {
		t.Fatal(err)
	}
	if c.MessageRate != 5 || c.MessageBurst != 7 || c.MaxMessageBytes != 100 || c.MessageQueue != 9 {
		t.Errorf("after env and flags: rate %d, burst %d, %d bytes, queue %d; want 5, 7, 100, 9", c.MessageRate,
			c.MessageBurst, c.MaxMessageBytes, c.MessageQueue)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid limits refused: %v", err)
	}
	for _, tc := range []struct {
		name string
		set  func(*Config)
		want string
	}{
		{"no rate", func(c *Config) { c.MessageRate = 0 }, "message rate"},
		{"no burst", func(c *Config) { c.MessageBurst = 0 }, "message burst"},
		{"no queue", func(c *Config) { c.MessageQueue = 0 }, "message queue"},
		{"empty payloads", func(c *Config) { c.MaxMessageBytes = 0 }, "max message bytes"},
		{"over the game contract", func(c *Config) { c.MaxMessageBytes = 1025 }, "max message bytes 1025: must be within 1..1024"},
	} {
		c := DefaultConfig()
		tc.set(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}
