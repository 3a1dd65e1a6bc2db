// Package proto holds Tickwire's wire protocol: tickwire.proto and the Go code generated from it. One envelope per
// direction (ClientFrame, ServerFrame), each a oneof. Regenerate with `go generate ./proto` after editing the .proto;
// a test fails when the committed code is stale.
package proto

//go:generate sh -c "cd .. && exec client-web/node_modules/.bin/buf generate"
