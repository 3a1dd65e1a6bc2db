//go:build !linux

package client

func bindNoPort(uintptr) error { return nil }
