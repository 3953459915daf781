//go:build !linux

package store

import "os"

// flushData makes the data of f durable.
func flushData(f *os.File) error { return f.Sync() }
