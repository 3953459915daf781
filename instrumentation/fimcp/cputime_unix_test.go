//go:build unix

package fimcp_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used: the benchmarks report it
// per operation (cpu-ns/op), steadier than wall time on a loaded machine and
// counting the server side's goroutines too.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
