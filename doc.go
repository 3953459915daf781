// Package traceai sets up export for the traceAI SDK: Register builds an
// OpenTelemetry TracerProvider that stamps the session, user and other
// context attributes of package fi on every span, masks what the
// TraceConfig hides, and sends spans to Future AGI, to any OTLP backend, or
// to the local traceAI explorer, as Python's register() does.
//
//	tp, err := traceai.Register(ctx, traceai.WithProjectName("support-bot"))
//	if err != nil {
//		return err
//	}
//	defer func() {
//		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//		defer cancel()
//		_ = tp.Shutdown(ctx)
//	}()
//
// Register lives apart from package fi because it links the OTLP exporters
// (and with them gRPC): the SDK (fi, fi/semconv) and the instrumentation
// packages depend on the OpenTelemetry API and SDK only, so a library that
// instruments itself does not pull exporters into its users' programs.
package traceai
