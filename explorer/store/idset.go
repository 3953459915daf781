package store

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"
)

// idSet counts distinct session or user ids. The ids of scanned turns are
// kept as they are; a rollup keeps the 64-bit FNV-1a hashes of its ids,
// which merge without allocating. A set holding hashes counts its ids by
// hash: two ids would have to share a hash to count once (about one chance
// in 10^8 among a million ids).
type idSet struct {
	ids    map[string]struct{}
	hashes map[uint64]struct{}
}

func (s *idSet) add(id string) {
	if s.ids == nil {
		s.ids = map[string]struct{}{}
	}
	s.ids[id] = struct{}{}
}

// hashID is 64-bit FNV-1a.
func hashID(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

// fold moves the ids into the hashes.
func (s *idSet) fold() {
	if s.hashes == nil {
		s.hashes = make(map[uint64]struct{}, len(s.ids))
	}
	for id := range s.ids {
		s.hashes[hashID(id)] = struct{}{}
	}
	s.ids = nil
}

func (s *idSet) len() int {
	if s.hashes == nil {
		return len(s.ids)
	}
	s.fold()
	return len(s.hashes)
}

// encode writes the set as its sorted hashes, 8 bytes each.
func (s *idSet) encode() []byte {
	s.fold()
	hs := slices.Sorted(maps.Keys(s.hashes))
	b := make([]byte, 0, 8*len(hs))
	for _, h := range hs {
		b = binary.BigEndian.AppendUint64(b, h)
	}
	return b
}

var errIDSet = errors.New("store: malformed id set in a rollup")

// addHashes adds an encoded set.
func (s *idSet) addHashes(b []byte) error {
	if len(b)%8 != 0 {
		return errIDSet
	}
	if s.hashes == nil {
		s.hashes = make(map[uint64]struct{}, len(b)/8)
	}
	for ; len(b) > 0; b = b[8:] {
		s.hashes[binary.BigEndian.Uint64(b)] = struct{}{}
	}
	return nil
}
