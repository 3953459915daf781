package store

import (
	"os"
	"syscall"
)

// flushData makes the data of f durable. fdatasync, as SQLite uses where it
// has it: the WAL is written over in place, so the modification time is the
// only metadata fsync would add.
func flushData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
