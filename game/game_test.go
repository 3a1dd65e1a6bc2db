package game_test

import (
	"testing"

	"github.com/tickwire/tickwire/game"
)

func TestSchemaValidate(t *testing.T) {
	fields := func(n int) []game.FieldSpec { return make([]game.FieldSpec, n) }
	tests := []struct {
		name   string
		schema game.Schema
		ok     bool
	}{
		{"empty", game.Schema{}, true},
		{"max fields and inputs", game.Schema{
			Kinds: []game.KindSpec{{ID: 1, Name: "a", Fields: fields(game.MaxFields)}},
			Input: make([]game.InputField, game.MaxInputValues),
		}, true},
		{"rate field in range", game.Schema{Kinds: []game.KindSpec{{ID: 1, Name: "a", Fields: []game.FieldSpec{{RateField: 2}, {}}}}}, true},
		{"too many fields", game.Schema{Kinds: []game.KindSpec{{ID: 1, Name: "a", Fields: fields(game.MaxFields + 1)}}}, false},
		{"too many inputs", game.Schema{Input: make([]game.InputField, game.MaxInputValues+1)}, false},
		{"duplicate kind", game.Schema{Kinds: []game.KindSpec{{ID: 1, Name: "a"}, {ID: 1, Name: "b"}}}, false},
		{"rate field out of range", game.Schema{Kinds: []game.KindSpec{{ID: 1, Name: "a", Fields: []game.FieldSpec{{RateField: 2}}}}}, false},
		{"input min above max", game.Schema{Input: []game.InputField{{Name: "x", Min: 1, Max: 0}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.schema.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestEventsReuse(t *testing.T) {
	var ev game.Events
	ev.Add(game.Event{Type: "a"})
	ev.Add(game.Event{Type: "b"})
	capBefore := cap(ev.List)
	ev.Reset()
	if len(ev.List) != 0 || cap(ev.List) != capBefore {
		t.Errorf("after Reset: len %d cap %d, want 0 and %d", len(ev.List), cap(ev.List), capBefore)
	}
	ev.Add(game.Event{Type: "c"})
	if len(ev.List) != 1 || ev.List[0].Type != "c" {
		t.Errorf("after Reset and Add: %v", ev.List)
	}
}
