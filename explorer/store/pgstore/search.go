package pgstore

import (
	"context"

	"github.com/traceai-go/traceai/explorer/store"
)

func (s *Store) searchSessions(ctx context.Context, f store.SessionFilter) ([]store.SessionSummary, string, error) {
	return nil, "", &store.FilterError{Param: "q", Msg: "search is not supported on PostgreSQL yet"}
}

// SearchTurns returns one page of the turns matching a search.
func (s *Store) SearchTurns(ctx context.Context, q store.TurnQuery) ([]store.TurnHit, string, error) {
	return nil, "", &store.FilterError{Param: "q", Msg: "search is not supported on PostgreSQL yet"}
}

// SessionMatches returns the turns of a session matching a search.
func (s *Store) SessionMatches(ctx context.Context, sessionID, q string, in []string) ([]store.TextMatch, error) {
	return nil, &store.FilterError{Param: "q", Msg: "search is not supported on PostgreSQL yet"}
}
