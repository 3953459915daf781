// Package eventstream decodes and encodes the AWS event-stream framing
// (application/vnd.amazon.eventstream) that Bedrock's streaming operations
// answer with. The Decoder is incremental: it takes the bytes an
// application has just read, in pieces of any size, and reports each
// message as soon as its last byte arrives, holding back at most one
// unfinished message.
//
// A message is laid out as
//
//	total length (4) | headers length (4) | prelude CRC32 (4) |
//	headers | payload | message CRC32 (4)
//
// with big-endian integers and IEEE CRC32s, the prelude's over its first 8
// bytes and the message's over everything before it.
package eventstream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Limits of the framing, as AWS documents them.
const (
	preludeLen = 12
	crcLen     = 4
	// MaxHeadersLen bounds the headers of one message.
	MaxHeadersLen = 128 << 10
	// MaxPayloadLen bounds the payload of one message.
	MaxPayloadLen = 16 << 20
	// MaxMessageLen bounds a whole message; a longer total length is an error.
	MaxMessageLen = preludeLen + MaxHeadersLen + MaxPayloadLen + crcLen
	minMessageLen = preludeLen + crcLen
)

// Errors of malformed streams.
var (
	ErrPreludeCRC = errors.New("eventstream: prelude checksum mismatch")
	ErrMessageCRC = errors.New("eventstream: message checksum mismatch")
	ErrLength     = errors.New("eventstream: message or headers length out of bounds")
	ErrHeader     = errors.New("eventstream: malformed header")
	// ErrTruncated is Close's answer when the stream ended inside a message.
	ErrTruncated = fmt.Errorf("eventstream: stream ended inside a message: %w", io.ErrUnexpectedEOF)
)

// Type is the type of a header value.
type Type byte

// Header value types.
const (
	TypeTrue      Type = 0
	TypeFalse     Type = 1
	TypeByte      Type = 2
	TypeInt16     Type = 3
	TypeInt32     Type = 4
	TypeInt64     Type = 5
	TypeBytes     Type = 6
	TypeString    Type = 7
	TypeTimestamp Type = 8
	TypeUUID      Type = 9
)

// fixedLen is the value length of the fixed-size types, -1 for the
// length-prefixed ones.
var fixedLen = [...]int{0, 0, 1, 2, 4, 8, -1, -1, 8, 16}

// Header is one header of a message. Value holds the value's bytes as they
// are on the wire (big-endian for numbers, no length prefix for strings).
type Header struct {
	Name  string
	Type  Type
	Value []byte
}

// String returns a header holding the string v.
func String(name, v string) Header {
	return Header{Name: name, Type: TypeString, Value: []byte(v)}
}

// Message is one decoded message. Its slices are its own: a Decoder never
// reuses them.
type Message struct {
	Headers []Header
	Payload []byte
}

// Get returns the value of the first string (or bytes) header named name,
// or "".
func (m *Message) Get(name string) string {
	for _, h := range m.Headers {
		if h.Name == name && (h.Type == TypeString || h.Type == TypeBytes) {
			return string(h.Value)
		}
	}
	return ""
}

// Decoder decodes a stream fed to it piece by piece. The zero value is
// ready to use. After an error it ignores further input.
type Decoder struct {
	buf  []byte // the unfinished message's bytes so far
	need int    // its total length, once its prelude is in buf and checked
	err  error
}

// Feed takes the next bytes of the stream and calls fn with each message
// they complete, in order. It copies what it keeps; p is not retained. It
// returns the first framing error of the stream, then and ever after.
func (d *Decoder) Feed(p []byte, fn func(*Message)) error {
	for len(p) > 0 && d.err == nil {
		if len(d.buf) == 0 {
			// Whole messages straight from p, without gathering them.
			n, ok := d.frameLen(p)
			if d.err != nil {
				break
			}
			if ok && n <= len(p) {
				d.emit(p[:n], false, fn)
				p = p[n:]
				continue
			}
			d.buf = append(make([]byte, 0, d.want(p)), p...)
			if ok {
				d.need = n
			}
			p = nil
			break
		}
		// Complete the prelude, then the message, taking no more of p
		// than the message needs. Readers such as aws-sdk-go-v2's read a
		// message in many small pieces: the prelude is checked once.
		if d.need == 0 {
			take := min(preludeLen-len(d.buf), len(p))
			d.buf = append(d.buf, p[:take]...)
			p = p[take:]
			n, ok := d.frameLen(d.buf)
			if !ok {
				continue // still short of a prelude, or d.err is set
			}
			d.need = n
			if cap(d.buf) < n {
				d.buf = append(make([]byte, 0, n), d.buf...)
			}
		}
		take := min(d.need-len(d.buf), len(p))
		d.buf = append(d.buf, p[:take]...)
		p = p[take:]
		if len(d.buf) == d.need {
			frame := d.buf
			d.buf, d.need = nil, 0
			d.emit(frame, true, fn)
		}
	}
	return d.err
}

// Close reports whether the stream ended on a message boundary: it returns
// ErrTruncated when bytes of an unfinished message are held, or the
// stream's framing error.
func (d *Decoder) Close() error {
	if d.err == nil && len(d.buf) > 0 {
		return ErrTruncated
	}
	return d.err
}

// Err returns the stream's framing error, if any.
func (d *Decoder) Err() error { return d.err }

// want is the capacity for gathering the message that starts in p.
func (d *Decoder) want(p []byte) int {
	if n, ok := d.frameLen(p); ok && d.err == nil {
		return n
	}
	return preludeLen
}

// frameLen returns the total length of the message starting at b, once b
// holds its prelude (ok false before), checking the prelude; a bad
// prelude sets d.err.
func (d *Decoder) frameLen(b []byte) (int, bool) {
	if len(b) < preludeLen {
		return 0, false
	}
	total := binary.BigEndian.Uint32(b[0:4])
	headers := binary.BigEndian.Uint32(b[4:8])
	if crc32.ChecksumIEEE(b[:8]) != binary.BigEndian.Uint32(b[8:12]) {
		d.err = ErrPreludeCRC
		return 0, false
	}
	if total < minMessageLen || total > MaxMessageLen || headers > MaxHeadersLen ||
		headers > total-minMessageLen || total-minMessageLen-headers > MaxPayloadLen {
		d.err = ErrLength
		return 0, false
	}
	return int(total), true
}

// emit checks and decodes the whole message frame and hands it to fn;
// owned says the frame is the Decoder's own, not the caller's bytes.
func (d *Decoder) emit(frame []byte, owned bool, fn func(*Message)) {
	n := len(frame)
	if crc32.ChecksumIEEE(frame[:n-crcLen]) != binary.BigEndian.Uint32(frame[n-crcLen:]) {
		d.err = ErrMessageCRC
		return
	}
	hl := int(binary.BigEndian.Uint32(frame[4:8]))
	// One buffer, never reused, holds the message's headers and payload.
	own := frame[preludeLen : n-crcLen : n-crcLen]
	if !owned {
		own = append([]byte(nil), own...)
	}
	hs, err := parseHeaders(own[:hl])
	if err != nil {
		d.err = err
		return
	}
	fn(&Message{Headers: hs, Payload: own[hl:]})
}

// commonNames are the header names of AWS's streams, kept as constants so
// that decoding them allocates nothing.
var commonNames = []string{":event-type", ":content-type", ":message-type", ":exception-type", ":error-code", ":error-message"}

func headerName(b []byte) string {
	for _, c := range commonNames {
		if string(b) == c {
			return c
		}
	}
	return string(b)
}

func parseHeaders(b []byte) ([]Header, error) {
	hs := make([]Header, 0, 3)
	for len(b) > 0 {
		nl := int(b[0])
		if nl == 0 || len(b) < 1+nl+1 {
			return nil, ErrHeader
		}
		name := headerName(b[1 : 1+nl])
		t := Type(b[1+nl])
		b = b[2+nl:]
		if int(t) >= len(fixedLen) {
			return nil, ErrHeader
		}
		vl := fixedLen[t]
		if vl < 0 {
			if len(b) < 2 {
				return nil, ErrHeader
			}
			vl = int(binary.BigEndian.Uint16(b))
			b = b[2:]
		}
		if len(b) < vl {
			return nil, ErrHeader
		}
		hs = append(hs, Header{Name: name, Type: t, Value: b[:vl:vl]})
		b = b[vl:]
	}
	return hs, nil
}

// Append appends the encoding of m to dst. It is for tests and stand-ins:
// it does not check the limits beyond what the layout needs (a header name
// of 1 to 255 bytes, a value of the type's size or under 64 KiB).
func Append(dst []byte, m *Message) ([]byte, error) {
	hl := 0
	for _, h := range m.Headers {
		if len(h.Name) == 0 || len(h.Name) > 255 || int(h.Type) >= len(fixedLen) {
			return dst, ErrHeader
		}
		vl := fixedLen[h.Type]
		if vl < 0 {
			if len(h.Value) > 0xffff {
				return dst, ErrHeader
			}
			vl = 2 + len(h.Value)
		} else if len(h.Value) != vl {
			return dst, ErrHeader
		}
		hl += 2 + len(h.Name) + vl
	}
	total := preludeLen + hl + len(m.Payload) + crcLen
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(total))
	dst = binary.BigEndian.AppendUint32(dst, uint32(hl))
	dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:start+8]))
	for _, h := range m.Headers {
		dst = append(dst, byte(len(h.Name)))
		dst = append(dst, h.Name...)
		dst = append(dst, byte(h.Type))
		if fixedLen[h.Type] < 0 {
			dst = binary.BigEndian.AppendUint16(dst, uint16(len(h.Value)))
		}
		dst = append(dst, h.Value...)
	}
	dst = append(dst, m.Payload...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:])), nil
}
