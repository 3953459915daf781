// Package idbaggage carries traceAI session and user ids across process
// boundaries in W3C Baggage (the "baggage" header or gRPC metadata entry).
//
// The ids live in the fi context scope (fi.UsingSession, fi.UsingUser), not
// in context baggage: baggage is only their wire format. On the way in,
// Extract takes the ids out of the baggage so that they travel on only
// through Outgoing, which writes them for allowed destinations and removes
// them for all others. fihttp and figrpc are built on it; use it directly
// for other transports (message queues, custom RPC).
package idbaggage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

const (
	// Header is the W3C Baggage header name (also the gRPC metadata key).
	Header = "baggage"
	// SessionKey is the baggage member key of the session id.
	SessionKey = string(semconv.SessionID)
	// UserKey is the baggage member key of the user id.
	UserKey = string(semconv.UserID)
	// MaxBaggageBytes is the W3C limit on a whole baggage list; a longer
	// incoming list is refused, and ids that would make an outgoing list
	// longer are not sent.
	MaxBaggageBytes = 8192
	// MaxMemberBytes is the W3C limit on one list member. An id of at most
	// fi.MaxIDLength bytes always fits, even fully percent-encoded.
	MaxMemberBytes = 4096
)

// ErrInvalidID is wrapped by every error reported for a refused session or
// user id, so an error handler can tell them apart.
var ErrInvalidID = errors.New("traceai: invalid session or user id")

// ErrInvalidBaggage is wrapped by errors reported for an incoming baggage
// list that could not be read whole.
var ErrInvalidBaggage = errors.New("traceai: invalid baggage")

// ValidateID checks an incoming id. what names it in the error ("session id
// from header X-Session-Id"). It refuses empty ids, ids over fi.MaxIDLength
// bytes, invalid UTF-8 and control characters.
func ValidateID(what, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: %s is empty; ignored", ErrInvalidID, what)
	case len(id) > fi.MaxIDLength:
		return fmt.Errorf("%w: %s is %d bytes, over the %d-byte limit; ignored", ErrInvalidID, what, len(id), fi.MaxIDLength)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: %s is not valid UTF-8; ignored", ErrInvalidID, what)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: %s contains control character %#x at byte %d; ignored", ErrInvalidID, what, c, i)
		}
	}
	return nil
}

// Check is ValidateID that reports the error to otel.Handle and returns
// whether id may be used.
func Check(what, id string) bool {
	if err := ValidateID(what, id); err != nil {
		otel.Handle(err)
		return false
	}
	return true
}

func mentionsIDs(values []string) bool {
	for _, v := range values {
		if strings.Contains(v, SessionKey) || strings.Contains(v, UserKey) {
			return true
		}
	}
	return false
}

// memberKey returns the key of one raw list member ("k=v;p" -> "k").
func memberKey(raw string) string {
	if i := strings.IndexAny(raw, "=;"); i >= 0 {
		raw = raw[:i]
	}
	return strings.Trim(raw, " \t")
}

// filter returns the raw members of list other than the id members, byte
// for byte, and calls id for each id member.
func filter(list string, id func(key, raw string)) []string {
	var kept []string
	for raw := range strings.SplitSeq(list, ",") {
		switch k := memberKey(raw); k {
		case SessionKey, UserKey:
			if id != nil {
				id(k, raw)
			}
		case "":
			if strings.Trim(raw, " \t") != "" {
				kept = append(kept, raw) // malformed; left for the propagator to judge
			}
		default:
			kept = append(kept, raw)
		}
	}
	return kept
}

func joinChecked(values []string) (string, bool) {
	s := strings.Join(values, ",")
	if len(s) > MaxBaggageBytes {
		otel.Handle(fmt.Errorf("%w: list is %d bytes, over the %d-byte W3C limit; dropped", ErrInvalidBaggage, len(s), MaxBaggageBytes))
		return "", false
	}
	return s, true
}

// strip removes the id members; DeleteMember copies the list, so only
// members present are deleted.
func strip(b baggage.Baggage) baggage.Baggage {
	if b.Member(SessionKey).Key() != "" {
		b = b.DeleteMember(SessionKey)
	}
	if b.Member(UserKey).Key() != "" {
		b = b.DeleteMember(UserKey)
	}
	return b
}

func hasIDs(b baggage.Baggage) bool {
	return b.Len() > 0 && (b.Member(SessionKey).Key() != "" || b.Member(UserKey).Key() != "")
}

// Extract reads the session and user ids out of incoming baggage header
// values. Ids that fail ValidateID, and id members that are not valid W3C
// members, are reported and ignored; as in OpenTelemetry, the last of
// duplicate members wins. rest is the header values to hand on: the other
// members byte for byte, without the id members; changed reports whether
// rest differs from values (nil rest means: remove the header). A list over
// MaxBaggageBytes is refused whole.
func Extract(values []string) (sessionID, userID string, rest []string, changed bool) {
	if !mentionsIDs(values) {
		return "", "", values, false
	}
	list, ok := joinChecked(values)
	if !ok {
		return "", "", nil, true
	}
	var rawSession, rawUser string
	var hasSession, hasUser bool
	kept := filter(list, func(key, raw string) {
		if key == SessionKey {
			rawSession, hasSession = raw, true
		} else {
			rawUser, hasUser = raw, true
		}
	})
	if !hasSession && !hasUser {
		return "", "", values, false // the keys were only mentioned inside other members
	}
	if hasSession {
		sessionID = decode("session id", rawSession)
	}
	if hasUser {
		userID = decode("user id", rawUser)
	}
	if len(kept) > 0 {
		rest = []string{strings.Join(kept, ",")}
	}
	return sessionID, userID, rest, true
}

// decode reads the value of one id member ("session.id=v;props") as the W3C
// format defines it (baggage-octets, percent-encoded) and validates it.
func decode(what, raw string) string {
	v, ok := memberValue(raw)
	if !ok {
		otel.Handle(fmt.Errorf("%w: %s member %.64q is not a valid W3C baggage member; ignored", ErrInvalidBaggage, what, raw))
		return ""
	}
	if !Check(what+" from baggage", v) {
		return ""
	}
	return v
}

func memberValue(raw string) (string, bool) {
	eq := strings.IndexByte(raw, '=')
	if eq < 0 {
		return "", false
	}
	v := raw[eq+1:]
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i] // properties are not ours
	}
	v = strings.Trim(v, " \t")
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c == 0x21 || c >= 0x23 && c <= 0x2B || c >= 0x2D && c <= 0x3A || c >= 0x3C && c <= 0x5B || c >= 0x5D && c <= 0x7E) {
			return "", false
		}
	}
	d, err := url.PathUnescape(v)
	return d, err == nil
}

// StripContext returns ctx with session.id and user.id removed from its
// baggage, so that propagators which copy context baggage to every outgoing
// request (otelhttp, otelgrpc) cannot forward them.
func StripContext(ctx context.Context) context.Context {
	b := baggage.FromContext(ctx)
	if !hasIDs(b) {
		return ctx
	}
	return baggage.ContextWithBaggage(ctx, strip(b))
}

// Outgoing prepares the baggage of an outgoing request. The id members are
// removed from the context baggage and from the header values already set
// (other members are kept byte for byte); when allowed is true, the session
// id of ctx's fi scope (and its user id, when withUser is true) are added to
// both. It returns the context to send with, the header values to send (nil:
// no header) and whether anything changed; when changed is false, send ctx
// and header as they are.
func Outgoing(ctx context.Context, header []string, allowed, withUser bool) (context.Context, []string, bool) {
	var sid, uid string
	if allowed {
		sid = fi.SessionID(ctx)
		if withUser {
			uid = fi.UserID(ctx)
		}
	}
	cb := baggage.FromContext(ctx)
	ctxHas := hasIDs(cb)
	if sid == "" && uid == "" && !ctxHas && !mentionsIDs(header) {
		return ctx, header, false
	}
	var kept []string
	if len(header) > 0 {
		if list, ok := joinChecked(header); ok {
			kept = filter(list, nil)
		}
	}
	var ids []baggage.Member
	var enc []string
	for _, id := range [...]struct{ key, val string }{{SessionKey, sid}, {UserKey, uid}} {
		if id.val == "" {
			continue
		}
		m, err := baggage.NewMemberRaw(id.key, id.val)
		if err != nil {
			otel.Handle(fmt.Errorf("%w: %s %.64q cannot be a baggage value: %v; not sent", ErrInvalidID, id.key, id.val, err))
			continue
		}
		e := m.String()
		if len(e) > MaxMemberBytes {
			otel.Handle(fmt.Errorf("%w: %s is %d bytes encoded, over the %d-byte W3C member limit; not sent", ErrInvalidID, id.key, len(e), MaxMemberBytes))
			continue
		}
		ids, enc = append(ids, m), append(enc, e)
	}
	out := strings.Join(kept, ",")
	if len(ids) > 0 {
		withIDs := append(kept, enc...)
		if s := strings.Join(withIDs, ","); len(s) <= MaxBaggageBytes {
			out = s
		} else {
			otel.Handle(fmt.Errorf("%w: baggage with ids would be %d bytes, over the %d-byte W3C limit; ids not sent", ErrInvalidID, len(s), MaxBaggageBytes))
			ids = nil
		}
	}
	if ctxHas {
		cb = strip(cb)
	}
	if len(ids) > 0 && cb.Len() == 0 {
		cb, _ = baggage.New(ids...)
	} else {
		for _, m := range ids {
			cb, _ = cb.SetMember(m)
		}
	}
	if ctxHas || len(ids) > 0 {
		ctx = baggage.ContextWithBaggage(ctx, cb)
	}
	var h []string
	if out != "" {
		h = []string{out}
	}
	return ctx, h, true
}
