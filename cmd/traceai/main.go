// Command traceai is the traceAI session explorer: it receives OpenTelemetry
// traces over OTLP, keeps them in an embedded SQLite database and shows
// sessions, users, conversations and rankings in a web page.
//
//	traceai serve   receive, store and show traces
//	traceai demo    run the explorer with a simulated multi-user chatbot
//	traceai eval    score stored sessions and turns with LLM-judge evaluators
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = runServe(os.Args[2:])
	case "demo":
		err = runDemo(os.Args[2:])
	case "eval":
		err = runEval(os.Args[2:])
	case "-h", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "traceai: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "traceai:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: traceai <command> [flags]

commands:
  serve   receive OTLP traces, store them, and serve the session explorer
  demo    start the explorer and drive a simulated multi-user chatbot through it
  eval    score stored sessions and turns with LLM-judge evaluators

Run "traceai <command> -h" for a command's flags.
`)
}
