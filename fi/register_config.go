package fi

// registerConfig collects the options of Register. The fields below are the
// ones options shared with other constructors set; register.go adds the rest.
type registerConfig struct {
	traceConfig    TraceConfig
	traceConfigSet bool
}
