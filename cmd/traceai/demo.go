package main

import "errors"

// runDemo is replaced by the demo work (issue 8).
func runDemo(args []string) error { return errors.New("demo: not built yet") }
