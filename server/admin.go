package server

import (
	"net/http"
	"net/http/pprof"
)

// adminRoutes mounts the operators' endpoints on the admin mux: /metrics, Go's profiler, the health probes and,
// when Config.ServiceAPIOn is "admin", the service API. None of them is on the public port.
func (s *Server) adminRoutes() {
	m := s.admin
	m.Handle("GET /metrics", s.metrics.Handler())
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	m.HandleFunc("/debug/pprof/", pprof.Index) // the named profiles: heap, goroutine, allocs, block, mutex, ...
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if s.cfg.ServiceAPIOn == "admin" {
		m.Handle("/v1/service/", s.clientView(s.stack.Service.Handler()))
	}
	m.Handle("/{$}", getOnly(http.HandlerFunc(s.adminIndex)))
}

const adminIndexPage = `<!doctype html>
<meta charset="utf-8">
<title>Tickwire admin</title>
<h1>Tickwire admin</h1>
<p><a href="/metrics">/metrics</a> · <a href="/debug/pprof/">/debug/pprof/</a> · <a href="/healthz">/healthz</a> ·
<a href="/readyz">/readyz</a></p>
`

func (s *Server) adminIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(adminIndexPage))
}

// AdminHandler is the admin listener's handler (/metrics, /debug/pprof/, /healthz, /readyz and, with ServiceAPIOn
// "admin", /v1/service/): for embedders that serve it themselves. Never expose it to the internet.
func (s *Server) AdminHandler() http.Handler { return s.admin }
