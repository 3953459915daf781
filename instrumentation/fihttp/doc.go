// Package fihttp carries traceAI sessions across net/http services.
//
// On the server side, NewHandler (or Middleware) reads the session and user
// ids of each request from the sources you configure (a header, a cookie, a
// query parameter, W3C Baggage or your own function) and puts them into the
// request context with fi.UsingAttributes, so every span of the request
// carries session.id and user.id. Put it outside otelhttp.NewHandler so the
// server span carries them too:
//
//	h := fihttp.NewHandler(otelhttp.NewHandler(mux, "gateway"))
//
// On the client side, NewTransport writes the session id (and, only when
// enabled, the user id) of the request context into the W3C baggage header
// of requests to allowed hosts (loopback and the hosts you list) and removes
// them from requests to every other host, such as an LLM provider's API,
// even when they arrived in the baggage of an upstream request.
//
// The ids live in the fi context scope; baggage is only their wire format.
// The handler takes them out of the incoming baggage (header and context)
// once read, so a propagating client without NewTransport cannot forward
// them either.
package fihttp
