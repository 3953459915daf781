package fi

// Version is the traceai-go release, recorded as the instrumentation version
// of every tracer the module creates.
const Version = "0.1.0"
