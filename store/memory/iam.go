package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/internal/record"
)

// GetIAMUser returns the IAM user, or store.ErrNotFound.
func (s *Store) GetIAMUser(ctx context.Context, name string) (store.IAMUser, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.iamUsers[name]
	if !ok {
		return store.IAMUser{}, fmt.Errorf("store: get iam user: %w", store.ErrNotFound)
	}
	return record.CloneIAMUser(u), nil
}

// ListIAMUsers returns every IAM user, ordered by name.
func (s *Store) ListIAMUsers(ctx context.Context) ([]store.IAMUser, error) {
	s.mu.RLock()
	out := make([]store.IAMUser, 0, len(s.iamUsers))
	for _, u := range s.iamUsers {
		out = append(out, record.CloneIAMUser(u))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, record.CompareIAMUsers)
	return out, nil
}

// CreateIAMUser stores a new IAM user, or returns store.ErrConflict when one
// with u.Name exists. A policy that is not a JSON object is refused with
// store.ErrInvalid.
func (s *Store) CreateIAMUser(ctx context.Context, u store.IAMUser) error {
	u, err := record.NormalizeIAMUser(u)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.iamUsers[u.Name]; ok {
		return fmt.Errorf("store: create iam user: %w", store.ErrConflict)
	}
	s.iamUsers[u.Name] = u
	return nil
}

// UpdateIAMUser replaces the IAM user with u.Name, or returns
// store.ErrNotFound.
func (s *Store) UpdateIAMUser(ctx context.Context, u store.IAMUser) error {
	u, err := record.NormalizeIAMUser(u)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.iamUsers[u.Name]; !ok {
		return fmt.Errorf("store: update iam user: %w", store.ErrNotFound)
	}
	s.iamUsers[u.Name] = u
	return nil
}

// DeleteIAMUser removes the IAM user, or returns store.ErrNotFound. The
// user's access keys stay: the caller deletes them (DeleteAccessKey).
func (s *Store) DeleteIAMUser(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.iamUsers[name]; !ok {
		return fmt.Errorf("store: delete iam user: %w", store.ErrNotFound)
	}
	delete(s.iamUsers, name)
	return nil
}

// GetAccessKey returns the access key with id, or store.ErrNotFound.
func (s *Store) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.accessKeys[id]
	if !ok {
		return store.AccessKey{}, fmt.Errorf("store: get access key: %w", store.ErrNotFound)
	}
	return record.CloneAccessKey(k), nil
}

// ListAccessKeys returns the access keys of the IAM user userName, ordered
// by CreatedAt then id; none (not store.ErrNotFound) when there is no such
// user.
func (s *Store) ListAccessKeys(ctx context.Context, userName string) ([]store.AccessKey, error) {
	s.mu.RLock()
	out := make([]store.AccessKey, 0)
	for _, k := range s.accessKeys {
		if k.UserName == userName {
			out = append(out, record.CloneAccessKey(k))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, record.CompareAccessKeys)
	return out, nil
}

// CreateAccessKey stores a new access key, or returns store.ErrConflict when
// one with k.ID exists (of any user). The store does not check that the
// user k.UserName exists.
func (s *Store) CreateAccessKey(ctx context.Context, k store.AccessKey) error {
	k = record.NormalizeAccessKey(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accessKeys[k.ID]; ok {
		return fmt.Errorf("store: create access key: %w", store.ErrConflict)
	}
	s.accessKeys[k.ID] = k
	return nil
}

// UpdateAccessKey replaces the access key with k.ID, or returns
// store.ErrNotFound. A key never moves to another user: a k.UserName that
// differs from the stored one is refused with store.ErrInvalid.
func (s *Store) UpdateAccessKey(ctx context.Context, k store.AccessKey) error {
	k = record.NormalizeAccessKey(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.accessKeys[k.ID]
	if !ok {
		return fmt.Errorf("store: update access key: %w", store.ErrNotFound)
	}
	if old.UserName != k.UserName {
		return fmt.Errorf("store: update access key: %w: the user name may not change", store.ErrInvalid)
	}
	s.accessKeys[k.ID] = k
	return nil
}

// DeleteAccessKey removes the access key with id, or returns
// store.ErrNotFound.
func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.accessKeys[id]; !ok {
		return fmt.Errorf("store: delete access key: %w", store.ErrNotFound)
	}
	delete(s.accessKeys, id)
	return nil
}

// GetIAMRole returns the IAM role, or store.ErrNotFound.
func (s *Store) GetIAMRole(ctx context.Context, name string) (store.IAMRole, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.iamRoles[name]
	if !ok {
		return store.IAMRole{}, fmt.Errorf("store: get iam role: %w", store.ErrNotFound)
	}
	return record.CloneIAMRole(r), nil
}

// ListIAMRoles returns every IAM role, ordered by name.
func (s *Store) ListIAMRoles(ctx context.Context) ([]store.IAMRole, error) {
	s.mu.RLock()
	out := make([]store.IAMRole, 0, len(s.iamRoles))
	for _, r := range s.iamRoles {
		out = append(out, record.CloneIAMRole(r))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, record.CompareIAMRoles)
	return out, nil
}

// CreateIAMRole stores a new IAM role, or returns store.ErrConflict when one
// with r.Name exists. A trust policy or policy that is not a JSON object is
// refused with store.ErrInvalid.
func (s *Store) CreateIAMRole(ctx context.Context, r store.IAMRole) error {
	r, err := record.NormalizeIAMRole(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.iamRoles[r.Name]; ok {
		return fmt.Errorf("store: create iam role: %w", store.ErrConflict)
	}
	s.iamRoles[r.Name] = r
	return nil
}

// UpdateIAMRole replaces the IAM role with r.Name, or returns
// store.ErrNotFound.
func (s *Store) UpdateIAMRole(ctx context.Context, r store.IAMRole) error {
	r, err := record.NormalizeIAMRole(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.iamRoles[r.Name]; !ok {
		return fmt.Errorf("store: update iam role: %w", store.ErrNotFound)
	}
	s.iamRoles[r.Name] = r
	return nil
}

// DeleteIAMRole removes the IAM role, or returns store.ErrNotFound.
func (s *Store) DeleteIAMRole(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.iamRoles[name]; !ok {
		return fmt.Errorf("store: delete iam role: %w", store.ErrNotFound)
	}
	delete(s.iamRoles, name)
	return nil
}

// GetOrgPolicies returns the organisation policies, in the order they were
// put; an empty, non-nil list when there are none.
func (s *Store) GetOrgPolicies(ctx context.Context) ([]json.RawMessage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return record.CloneOrgPolicies(s.orgPolicies), nil
}

// PutOrgPolicies replaces the organisation policies as a whole; an empty
// list removes them all. A policy that is not a JSON object is refused with
// store.ErrInvalid, and nothing is replaced.
func (s *Store) PutOrgPolicies(ctx context.Context, policies []json.RawMessage) error {
	ps, err := record.NormalizeOrgPolicies(policies)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgPolicies = ps
	return nil
}
