package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/server/internal/room"
)

func TestExposition(t *testing.T) {
	m := New()
	m.RegisterRoomGauges(func() float64 { return 3 }, func() float64 { return 17 })
	m.Wrote(100, true)
	m.Wrote(20, false)
	m.Read(12)
	m.Drop(DropReplaced)
	m.Drop(DropReplaced)
	m.Drop("no such reason")
	m.Disconnect(4000)
	m.Disconnect(4000)
	m.Resume("ok")
	o := RoomObserver{M: m}
	o.TickDone(300 * time.Microsecond)
	o.Overrun(2)
	o.Inputs(room.InputCounts{Applied: 5, Missed: 2, Late: 3, Early: 1})
	o.InputLead(-3 * time.Millisecond)
	o.InputLead(4 * time.Millisecond)
	o.InputWait(10 * time.Millisecond)
	o.InputDropped(room.DropDuplicate)
	o.SnapshotEncoded(true, 50)
	m.RegisterMatchmaker(func() MatchmakerStats {
		return MatchmakerStats{QueuedByMode: map[string]int{"arena": 4, "duel": 0}, Placed: 9, Canceled: 2, TimedOut: 1,
			Failed: 5, RoomsCreated: 3}
	})
	m.ObservePlacement(700 * time.Millisecond)
	m.RegisterEventHub(func() float64 { return 2 }, func() float64 { return 6 }, func() float64 { return 40 })
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		"tickwire_rooms 3", "tickwire_players 17", "tickwire_bytes_out_total 120", "tickwire_frames_out_total 2",
		"tickwire_snapshots_out_total 1", "tickwire_bytes_in_total 12", `tickwire_outbound_drops_total{reason="replaced"} 2`,
		`tickwire_outbound_drops_total{reason="skip_limit"} 0`, `tickwire_disconnects_total{code="4000"} 2`,
		`tickwire_resumes_total{result="ok"} 1`, "tickwire_tick_duration_seconds_count 1", "tickwire_tick_overruns_total 2",
		"tickwire_inputs_applied_total 5", `tickwire_inputs_dropped_total{reason="duplicate"} 1`,
		"tickwire_inputs_missed_total 2", `tickwire_inputs_dropped_total{reason="late"} 3`,
		`tickwire_inputs_dropped_total{reason="early"} 1`, `tickwire_input_lead_seconds_bucket{le="-0.005"} 0`,
		`tickwire_input_lead_seconds_bucket{le="0"} 1`, `tickwire_input_lead_seconds_bucket{le="0.005"} 2`,
		"tickwire_input_wait_seconds_count 1",
		"tickwire_snapshots_encoded_full_total 1", "go_goroutines", "process_cpu_seconds_total",
		`tickwire_matchmaker_tickets_queued{mode="arena"} 4`, `tickwire_matchmaker_tickets_queued{mode="duel"} 0`,
		"tickwire_matchmaker_tickets_placed_total 9", "tickwire_matchmaker_tickets_canceled_total 2",
		"tickwire_matchmaker_tickets_timed_out_total 1", "tickwire_matchmaker_tickets_failed_total 5",
		"tickwire_matchmaker_rooms_created_total 3", "tickwire_matchmaker_time_to_placement_seconds_count 1",
		`tickwire_matchmaker_time_to_placement_seconds_bucket{le="0.5"} 0`,
		`tickwire_matchmaker_time_to_placement_seconds_bucket{le="1"} 1`,
		"tickwire_service_event_subscribers 2", "tickwire_service_event_subscribers_dropped_total 6",
		"tickwire_service_events_published_total 40",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
	if m.DropCount(DropReplaced) != 2 {
		t.Errorf("DropCount = %d", m.DropCount(DropReplaced))
	}
}
