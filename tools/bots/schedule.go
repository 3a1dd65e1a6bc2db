package main

import "time"

// schedule is a driver's min-heap of bots by the time they are due, owned by one driver goroutine. Each entry holds
// its due time next to the bot's pointer: a pass over a thousand bots compares times within one array instead of
// following a pointer to each bot (an entry's bot is touched only when it is due).
type schedule struct {
	base time.Time // due times are offsets from base (monotonic)
	h    []schedEntry
}

type schedEntry struct {
	at time.Duration // due at base+at
	b  *bot
}

func newSchedule(base time.Time, n int) schedule {
	return schedule{base: base, h: make([]schedEntry, 0, n)}
}

func (q *schedule) len() int { return len(q.h) }

// peek returns the earliest bot and when it is due; the schedule must not be empty.
func (q *schedule) peek() (*bot, time.Time) { return q.h[0].b, q.base.Add(q.h[0].at) }

// due reports whether the earliest bot is due at now.
func (q *schedule) due(now time.Time) bool { return len(q.h) > 0 && q.h[0].at <= now.Sub(q.base) }

func (q *schedule) push(b *bot, at time.Time) {
	q.h = append(q.h, schedEntry{at: at.Sub(q.base), b: b})
	q.up(len(q.h) - 1)
}

func (q *schedule) pop() *bot {
	b := q.h[0].b
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h[n] = schedEntry{}
	q.h = q.h[:n]
	if n > 0 {
		q.down(0)
	}
	return b
}

func (q *schedule) less(i, j int) bool { return q.h[i].at < q.h[j].at }

func (q *schedule) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			return
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *schedule) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(q.h) {
			return
		}
		m := l
		if r := l + 1; r < len(q.h) && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			return
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
}
