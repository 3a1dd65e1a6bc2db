package matchmaker

// DrainError is the Error of the tickets a draining server answers: Status is StatusFailed, and the client should
// submit the ticket again (the next attempt reaches another server, or this one after its restart).
const DrainError = "server_draining: the server is shutting down; submit the ticket again"

// Drain answers every queued ticket with StatusFailed and DrainError (waiters of Wait return at once) and returns how
// many it answered. Stop Run first, so that no batch places tickets meanwhile; the server also refuses new
// submissions while it drains.
func (m *Matchmaker) Drain() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.Now()
	n := 0
	for _, t := range m.tickets {
		if t.queued() {
			m.finishLocked(t, StatusFailed, DrainError, now)
			n++
		}
	}
	return n
}
