package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lineage-oss/lineage/revocation"
	"github.com/lineage-oss/lineage/store"
)

// RevocationInput is the body of POST /admin/v1/revocations: revoke one
// token (kind jti), a lineage (kind origin_jti), or every token of a
// subject, client or principal issued at or before Before (kind before;
// Before RFC 3339, default now, never in the future).
type RevocationInput struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Scope  string `json:"scope,omitempty"`
	Before string `json:"before,omitempty"`
}

// Revocation is a written revocation with its event-stream id.
type Revocation struct {
	EventID string `json:"event_id"`
	store.Revocation
}

// Revoke writes a revocation and records it in the audit trail.
func (s *Service) Revoke(ctx context.Context, actor string, in RevocationInput) (Revocation, error) {
	if in.ID == "" || len(in.ID) > 1024 {
		return Revocation{}, fmt.Errorf("%w: id: 1 to 1024 characters", ErrInvalid)
	}
	var before time.Time
	if in.Before != "" {
		if in.Kind != store.RevokeBefore {
			return Revocation{}, fmt.Errorf("%w: before applies to kind before only", ErrInvalid)
		}
		t, err := time.Parse(time.RFC3339, in.Before)
		if err != nil {
			return Revocation{}, fmt.Errorf("%w: before: an RFC 3339 time", ErrInvalid)
		}
		before = t
	}
	if in.Scope != "" && in.Kind != store.RevokeBefore {
		return Revocation{}, fmt.Errorf("%w: scope applies to kind before only", ErrInvalid)
	}
	var (
		ev  store.RevocationEvent
		err error
	)
	switch in.Kind {
	case store.RevokeJTI:
		// The token's expiry is unknown here: the entry lives as long as
		// any token can.
		ev, err = s.revs.RevokeToken(ctx, in.ID, time.Time{})
	case store.RevokeOrigin:
		ev, err = s.revs.RevokeLineage(ctx, in.ID, time.Time{})
	case store.RevokeBefore:
		ev, err = s.revs.RevokeBefore(ctx, in.Scope, in.ID, before)
	default:
		return Revocation{}, fmt.Errorf("%w: kind: jti, origin_jti or before", ErrInvalid)
	}
	if errors.Is(err, revocation.ErrInvalid) {
		return Revocation{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err != nil {
		return Revocation{}, err
	}
	out := Revocation{EventID: ev.ID, Revocation: ev.Revocation}
	s.record(ctx, actor, "revocation.create", "revocation/"+in.Kind, nil, out)
	return out, nil
}

// RevokeRoleSessions revokes every session of a role issued at or before
// before (RFC 3339; default now, never in the future) and every token
// minted with them — AWS's "revoke older sessions" (POST
// /admin/v1/iam/roles/<name>/revoke-sessions).
func (s *Service) RevokeRoleSessions(ctx context.Context, actor, role, before string) (Revocation, error) {
	if _, err := s.iam.GetRole(ctx, role); err != nil {
		return Revocation{}, err
	}
	var t time.Time
	if before != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, before); err != nil {
			return Revocation{}, fmt.Errorf("%w: before: an RFC 3339 time", ErrInvalid)
		}
	}
	ev, err := s.revs.RevokeBefore(ctx, store.ScopePrincipal, s.iam.Account().RoleARN(role), t)
	if errors.Is(err, revocation.ErrInvalid) {
		return Revocation{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err != nil {
		return Revocation{}, err
	}
	out := Revocation{EventID: ev.ID, Revocation: ev.Revocation}
	s.record(ctx, actor, "iam_role.revoke_sessions", "iam_role/"+role, nil, out)
	return out, nil
}

// ListRevocations returns every live entry of the revocation set and the
// event id it is current to.
func (s *Service) ListRevocations(ctx context.Context) (revocation.Snapshot, error) {
	return s.revs.Snapshot(ctx)
}

// revokeClient revokes every token a client holds now (disable, delete).
func (s *Service) revokeClient(ctx context.Context, actor, id string) error {
	ev, err := s.revs.RevokeBefore(ctx, store.ScopeClient, id, time.Time{})
	if err != nil {
		return err
	}
	s.record(ctx, actor, "revocation.create", "revocation/before", nil, Revocation{EventID: ev.ID, Revocation: ev.Revocation})
	return nil
}
