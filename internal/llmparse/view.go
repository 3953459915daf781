package llmparse

import (
	"unsafe"

	"github.com/tidwall/gjson"
)

// Parse is gjson.ParseBytes without its copy of b: the result, and every
// string taken from it, share b's memory. The Wire never changes a body or
// event after handing it to a Call (request bodies are only read, response
// bodies and event data are fresh slices), so Calls may keep such strings;
// b must not be changed by anyone else either.
func Parse(b []byte) gjson.Result {
	if len(b) == 0 {
		return gjson.Result{}
	}
	return gjson.Parse(unsafe.String(unsafe.SliceData(b), len(b)))
}
