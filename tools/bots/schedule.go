package main

// schedule is a driver's min-heap of bots by the time they are due (bot.next). Owned by one driver goroutine.
type schedule struct {
	h []*bot
}

func (q *schedule) len() int   { return len(q.h) }
func (q *schedule) peek() *bot { return q.h[0] }

func (q *schedule) push(b *bot) {
	q.h = append(q.h, b)
	q.up(len(q.h) - 1)
}

func (q *schedule) pop() *bot {
	b := q.h[0]
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h[n] = nil
	q.h = q.h[:n]
	if n > 0 {
		q.down(0)
	}
	return b
}

func (q *schedule) less(i, j int) bool { return q.h[i].next.Before(q.h[j].next) }

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
