// Package pyjson writes JSON the way Python's json.dumps(obj, default=str,
// ensure_ascii=False) writes it, so that JSON-valued attributes (metadata,
// prompt-template variables, request parameters) are byte-identical to the
// ones the traceAI Python SDK emits: ", " and ": " separators, non-ASCII left
// as is, floats in Python's repr, and values JSON cannot hold written as
// their string form instead of failing.
//
// Go maps have no insertion order, so map keys are sorted; structs keep their
// field order.
package pyjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxDepth bounds recursion so that a value that contains itself (possible
// through interfaces) is written as a string instead of overflowing the stack.
const maxDepth = 64

// UnsupportedError reports values that JSON cannot represent: they were
// written as their string form, as Python's default=str does, or, for NaN
// and infinities, as Python writes them (NaN, Infinity), which strict JSON
// parsers refuse.
type UnsupportedError struct {
	Paths []string // where, e.g. "$.k[2]"
	Types []string // the Go types found there
}

func (e *UnsupportedError) Error() string {
	parts := make([]string, len(e.Paths))
	for i := range e.Paths {
		parts[i] = e.Paths[i] + " (" + e.Types[i] + ")"
	}
	return "values JSON cannot hold, written as Python's json.dumps(default=str) writes them: " + strings.Join(parts, ", ")
}

// Marshal returns v as Python-style JSON. The error, if not nil, is an
// *UnsupportedError naming the parts written as strings; the JSON is complete
// and usable either way.
func Marshal(v any) (string, error) {
	e := encoder{}
	e.value(reflect.ValueOf(v), "$", 0)
	if len(e.bad.Paths) > 0 {
		return e.buf.String(), &e.bad
	}
	return e.buf.String(), nil
}

// Reformat rewrites compact or indented JSON text into the Python layout,
// keeping member order. Invalid JSON is returned as an error.
func Reformat(data []byte) (string, error) {
	e := encoder{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := e.tokens(dec); err != nil {
		return "", err
	}
	if _, err := dec.Token(); err == nil {
		return "", errors.New("pyjson: trailing data after JSON value")
	}
	return e.buf.String(), nil
}

type encoder struct {
	buf bytes.Buffer
	bad UnsupportedError
	// path holds the maps, slices and pointers being written, outermost
	// first, so that a value containing itself is caught on the way down.
	path []visit
}

type visit struct {
	ptr uintptr
	len int
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	numberType        = reflect.TypeFor[json.Number]()
	errorType         = reflect.TypeFor[error]()
)

func (e *encoder) unsupported(v reflect.Value, path string) {
	e.unsupportedAs(v, path, safeSprint(v))
}

func (e *encoder) unsupportedAs(v reflect.Value, path, s string) {
	e.bad.Paths = append(e.bad.Paths, path)
	e.bad.Types = append(e.bad.Types, v.Type().String())
	e.str(s)
}

// safeSprint returns the string form of a value JSON cannot hold, as
// Python's default=str would: its String or Error method when it has one
// (a panic there is survived), %v for scalars, channels and functions, the
// address for pointers, and "<type>" for containers, whose %v form could
// recurse without end through a cycle.
func safeSprint(v reflect.Value) (s string) {
	placeholder := "<" + v.Type().String() + ">"
	defer func() {
		if recover() != nil {
			s = placeholder
		}
	}()
	if !v.CanInterface() {
		return placeholder
	}
	switch x := v.Interface().(type) {
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.UnsafePointer:
		return fmt.Sprintf("%p", v.Interface())
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct, reflect.Interface:
		return placeholder
	}
	return fmt.Sprint(v.Interface())
}

// enter records a container on the current path and reports whether it is
// already there: a cycle.
func (e *encoder) enter(v reflect.Value) bool {
	vis := visit{ptr: uintptr(v.UnsafePointer())}
	if v.Kind() == reflect.Slice {
		vis.len = v.Len()
	}
	for _, p := range e.path {
		if p == vis {
			return false
		}
	}
	e.path = append(e.path, vis)
	return true
}

func (e *encoder) leave() { e.path = e.path[:len(e.path)-1] }

func (e *encoder) value(v reflect.Value, path string, depth int) {
	if !v.IsValid() {
		e.buf.WriteString("null")
		return
	}
	if depth > maxDepth {
		e.unsupportedAs(v, path, "<too deep: "+v.Type().String()+">")
		return
	}
	switch v.Kind() {
	case reflect.Map, reflect.Pointer:
		if v.IsNil() {
			break
		}
		fallthrough
	case reflect.Slice:
		if v.Kind() == reflect.Slice && v.Len() == 0 {
			break
		}
		if !e.enter(v) {
			e.unsupportedAs(v, path, "<cycle: "+v.Type().String()+">")
			return
		}
		defer e.leave()
	}
	t := v.Type()
	if t == numberType {
		n := v.String()
		if _, err := strconv.ParseFloat(n, 64); err != nil {
			e.unsupported(v, path)
			return
		}
		e.buf.WriteString(n)
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			e.buf.WriteString("null")
			return
		}
		e.value(v.Elem(), path, depth+1)
		return
	case reflect.Pointer:
		if v.IsNil() {
			e.buf.WriteString("null")
			return
		}
	}
	// Types that say how they want to be written go through encoding/json,
	// then are laid out again in Python's style.
	if t.Implements(marshalerType) || t.Implements(textMarshalerType) {
		e.viaEncodingJSON(v, path)
		return
	}
	// An error has no JSON form; its message is what Python's default=str
	// would write for an exception.
	if t.Implements(errorType) && v.CanInterface() {
		e.str(safeSprint(v))
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			e.buf.WriteString("true")
		} else {
			e.buf.WriteString("false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			e.bad.Paths = append(e.bad.Paths, path)
			e.bad.Types = append(e.bad.Types, t.String()+" "+FormatFloat(f, 64))
		}
		e.buf.WriteString(FormatFloat(f, t.Bits()))
	case reflect.String:
		e.str(v.String())
	case reflect.Slice:
		if v.IsNil() {
			e.buf.WriteString("null")
			return
		}
		if t.Elem().Kind() == reflect.Uint8 {
			// encoding/json writes []byte as base64; Python has no such type,
			// so follow Go's convention rather than invent one.
			e.viaEncodingJSON(v, path)
			return
		}
		fallthrough
	case reflect.Array:
		e.buf.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				e.buf.WriteString(", ")
			}
			e.value(v.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1)
		}
		e.buf.WriteByte(']')
	case reflect.Map:
		if v.IsNil() {
			e.buf.WriteString("null")
			return
		}
		type entry struct {
			k string
			v reflect.Value
		}
		entries := make([]entry, 0, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			k, ok := mapKey(iter.Key())
			if !ok {
				e.bad.Paths = append(e.bad.Paths, path)
				e.bad.Types = append(e.bad.Types, "map key "+iter.Key().Type().String())
			}
			entries = append(entries, entry{k, iter.Value()})
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].k < entries[j].k })
		e.buf.WriteByte('{')
		for i, en := range entries {
			if i > 0 {
				e.buf.WriteString(", ")
			}
			e.str(en.k)
			e.buf.WriteString(": ")
			e.value(en.v, path+"."+en.k, depth+1)
		}
		e.buf.WriteByte('}')
	case reflect.Pointer:
		e.value(v.Elem(), path, depth+1)
	case reflect.Struct:
		if fields, ok := simpleFields(t); ok {
			e.structFields(v, fields, path, depth)
		} else {
			e.viaEncodingJSON(v, path)
		}
	default: // chan, func, complex, unsafe pointer
		e.unsupported(v, path)
	}
}

type field struct {
	index     int
	name      string
	omitEmpty bool
	omitZero  bool
}

var fieldCache sync.Map // reflect.Type -> []field, or nil when not simple

// simpleFields returns the JSON fields of t as encoding/json would name
// them, when t is simple enough to write field by field (no embedded
// fields, no ",string" option), so that its floats keep Python's form
// (2.0, not 2). Other structs go through encoding/json.
func simpleFields(t reflect.Type) ([]field, bool) {
	if c, ok := fieldCache.Load(t); ok {
		f, _ := c.([]field)
		return f, f != nil
	}
	fields := []field{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			fields = nil
			break
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		f := field{index: i, name: name}
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "omitempty":
				f.omitEmpty = true
			case "omitzero":
				f.omitZero = true
			case "string":
				fields = nil
			}
		}
		if fields == nil {
			break
		}
		fields = append(fields, f)
	}
	fieldCache.Store(t, fields)
	return fields, fields != nil
}

func (e *encoder) structFields(v reflect.Value, fields []field, path string, depth int) {
	e.buf.WriteByte('{')
	first := true
	for _, f := range fields {
		fv := v.Field(f.index)
		if f.omitEmpty && isEmpty(fv) || f.omitZero && fv.IsZero() {
			continue
		}
		if !first {
			e.buf.WriteString(", ")
		}
		first = false
		e.str(f.name)
		e.buf.WriteString(": ")
		e.value(fv, path+"."+f.name, depth+1)
	}
	e.buf.WriteByte('}')
}

// isEmpty is encoding/json's notion of empty, for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// mapKey turns a map key into a JSON member name as Python does for str,
// int, float and bool keys; other keys are written with %v and reported.
func mapKey(k reflect.Value) (string, bool) {
	for k.Kind() == reflect.Interface {
		if k.IsNil() {
			return "null", true // as Python writes a None key
		}
		k = k.Elem()
	}
	if k.Kind() != reflect.String && k.Type().Implements(textMarshalerType) && k.CanInterface() {
		if b, err := safeMarshalText(k.Interface().(encoding.TextMarshaler)); err == nil {
			return string(b), true
		}
	}
	switch k.Kind() {
	case reflect.String:
		return k.String(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return FormatFloat(k.Float(), 64), true
	case reflect.Bool:
		if k.Bool() {
			return "true", true
		}
		return "false", true
	}
	if k.Kind() == reflect.Struct || k.Kind() == reflect.Array {
		// Comparable, so free of maps and slices: %v cannot loop.
		return sprintKey(k), false
	}
	return safeSprint(k), false
}

func sprintKey(k reflect.Value) (s string) {
	defer func() {
		if recover() != nil {
			s = "<" + k.Type().String() + ">"
		}
	}()
	if !k.CanInterface() {
		return "<" + k.Type().String() + ">"
	}
	return fmt.Sprint(k.Interface())
}

func safeMarshalText(m encoding.TextMarshaler) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return m.MarshalText()
}

func (e *encoder) viaEncodingJSON(v reflect.Value, path string) {
	var data []byte
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		if v.CanInterface() {
			data, err = json.Marshal(v.Interface())
		} else {
			err = errors.New("unexported")
		}
	}()
	if err != nil {
		e.unsupported(v, path)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	mark := e.buf.Len()
	if err := e.tokens(dec); err != nil {
		e.buf.Truncate(mark)
		e.unsupported(v, path)
	}
}

// tokens copies one JSON value from dec in the Python layout.
func (e *encoder) tokens(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		closing := json.Delim(']')
		if t == '{' {
			closing = '}'
		}
		e.buf.WriteByte(byte(t))
		first := true
		for dec.More() {
			if !first {
				e.buf.WriteString(", ")
			}
			first = false
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				ks, ok := k.(string)
				if !ok {
					return errors.New("pyjson: object key is not a string")
				}
				e.str(ks)
				e.buf.WriteString(": ")
			}
			if err := e.tokens(dec); err != nil {
				return err
			}
		}
		end, err := dec.Token()
		if err != nil {
			return err
		}
		if end != closing {
			return errors.New("pyjson: mismatched delimiter")
		}
		e.buf.WriteByte(byte(closing))
	case string:
		e.str(t)
	case json.Number:
		e.buf.WriteString(t.String())
	case bool:
		if t {
			e.buf.WriteString("true")
		} else {
			e.buf.WriteString("false")
		}
	case nil:
		e.buf.WriteString("null")
	}
	return nil
}

const hex = "0123456789abcdef"

// str writes s quoted as Python's json.dumps(ensure_ascii=False) does:
// only '"', '\\' and control characters are escaped; invalid UTF-8 becomes
// U+FFFD so the result is always valid UTF-8.
func (e *encoder) str(s string) {
	e.buf.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				e.buf.WriteString(`\"`)
			case '\\':
				e.buf.WriteString(`\\`)
			case '\n':
				e.buf.WriteString(`\n`)
			case '\r':
				e.buf.WriteString(`\r`)
			case '\t':
				e.buf.WriteString(`\t`)
			case '\b':
				e.buf.WriteString(`\b`)
			case '\f':
				e.buf.WriteString(`\f`)
			default:
				if c < 0x20 {
					e.buf.WriteString(`\u00`)
					e.buf.WriteByte(hex[c>>4])
					e.buf.WriteByte(hex[c&0xf])
				} else {
					e.buf.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			e.buf.WriteString("\ufffd")
		} else {
			e.buf.WriteString(s[i : i+size])
		}
		i += size
	}
	e.buf.WriteByte('"')
}

// FormatFloat formats f as Python's float repr does: the shortest digits
// that round-trip, fixed notation with at least one decimal for exponents
// from -4 to 15, otherwise "d.ddde+XX"; NaN and infinities as Python's json
// writes them.
func FormatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'e', -1, bits) // e.g. -1.2345e+06
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp >= -4 && exp < 16 {
		if exp >= 0 {
			if len(digits) <= exp+1 {
				out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
			} else {
				out = digits[:exp+1] + "." + digits[exp+1:]
			}
		} else {
			out = "0." + strings.Repeat("0", -exp-1) + digits
		}
	} else {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		es := strconv.Itoa(exp)
		if len(es) < 2 {
			es = "0" + es
		}
		out = m + "e" + sign + es
	}
	if neg {
		return "-" + out
	}
	return out
}
