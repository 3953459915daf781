package main

import "errors"

// runServe is replaced by the explorer work (issue 5).
func runServe(args []string) error { return errors.New("serve: not built yet") }
