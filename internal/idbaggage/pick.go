package idbaggage

// Source is one place a server reads ids from: a function of the incoming
// request (an HTTP request, gRPC metadata), or the request's baggage.
type Source[R any] struct {
	Name    string
	Baggage bool
	Fn      func(R) (sessionID, userID string)
}

// Pick tries sources in order and returns, for each id, the first valid
// value. Baggage sources yield bSession and bUser (validated by Extract),
// only when trustBaggage; values from functions are checked here, and a
// refused one is reported and skipped.
func Pick[R any](r R, sources []Source[R], trustBaggage bool, bSession, bUser string) (sid, uid string) {
	for _, src := range sources {
		if sid != "" && uid != "" {
			break
		}
		var s, u string
		if src.Baggage {
			if !trustBaggage {
				continue
			}
			s, u = bSession, bUser
		} else if src.Fn != nil {
			s, u = src.Fn(r)
			if s != "" && !Check("session id from "+src.Name, s) {
				s = ""
			}
			if u != "" && !Check("user id from "+src.Name, u) {
				u = ""
			}
		}
		if sid == "" {
			sid = s
		}
		if uid == "" {
			uid = u
		}
	}
	return sid, uid
}
