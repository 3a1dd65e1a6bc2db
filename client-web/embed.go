// Package clientweb embeds the built browser demo (client-web/dist: index.html, app.js and its source map) so that the
// tickwire binary serves it at / without any file on disk. Rebuild it with `npm run build` in client-web; the build
// is deterministic and its output is committed. Dist is safe to call from several goroutines.
package clientweb

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Dist returns the built demo with index.html at its root.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic("clientweb: " + err.Error()) // unreachable: "dist" is a valid, embedded path
	}
	return sub
}
