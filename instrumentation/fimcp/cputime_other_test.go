//go:build !unix

package fimcp_test

import "time"

func processCPU() time.Duration { return 0 }
