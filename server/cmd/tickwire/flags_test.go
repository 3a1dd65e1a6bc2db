package main

import (
	"strings"
	"testing"
)

// A built-in game's flag out of range stops the server at startup with the game's own error.
func TestGameFlagOutOfRangeFailsAtStartup(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-cards-seats", "7"}, `seats="7"`},
		{[]string{"-arena-large-world", "-5"}, "world_size"},
	} {
		err := run(append(c.args, "-addr", "127.0.0.1:0", "-admin-addr", ""))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run %v: %v, want an error naming %s", c.args, err, c.want)
		}
	}
}
