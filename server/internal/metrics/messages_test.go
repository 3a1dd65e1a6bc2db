package metrics

import (
	"maps"
	"testing"
)

// Every result of tickwire_messages_total is exported from the start (at 0), counts what Message reports, and
// ignores a result it does not know.
func TestMessageResults(t *testing.T) {
	m := New()
	m.Message(MessageQueued)
	m.Message(MessageQueued)
	m.Message(MessageRateLimited)
	m.Message("no such result")
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "tickwire_messages_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			got[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"queued": 2, "too_big": 0, "bad_type": 0, "rate_limited": 1, "queue_full": 0, "room_ended": 0}
	if !maps.Equal(got, want) {
		t.Errorf("tickwire_messages_total = %v, want %v", got, want)
	}
}

// Counting a message costs no allocation: it runs once per player message on the connection's read loop.
func BenchmarkMessage(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.Message(MessageQueued)
	}
	if n := testing.AllocsPerRun(100, func() { m.Message(MessageQueued) }); n != 0 {
		b.Fatalf("%v allocations per message", n)
	}
}
