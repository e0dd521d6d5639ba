package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/store/internal/record"
)

// Keys of the IAM aggregates; see the package documentation.
const (
	iamUserIDsKey  = "iam_users"
	iamRoleIDsKey  = "iam_roles"
	orgPoliciesKey = "org_policies"

	iamUserKeyPrefix     = "iam_user:"
	iamRoleKeyPrefix     = "iam_role:"
	accessKeyKeyPrefix   = "access_key:"
	userAccessKeysPrefix = "iam_user_keys:"
)

// updateAccessKey replaces the access key record KEYS[1] with ARGV[1] and
// returns 1; it returns 0 when there is no such record, and -1 (writing
// nothing) when the two records name different users. Both records are
// compared as Go encoded them, so a user name reads the same in each.
var updateAccessKey = goredis.NewScript(`
local old = redis.call('GET', KEYS[1])
if old == false then
	return 0
end
if cjson.decode(old)['user_name'] ~= cjson.decode(ARGV[1])['user_name'] then
	return -1
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`)

// GetIAMUser returns the IAM user, or store.ErrNotFound.
func (s *Store) GetIAMUser(ctx context.Context, name string) (store.IAMUser, error) {
	return s.iamUsers.get(ctx, name)
}

// ListIAMUsers returns every IAM user, ordered by name: the names in the
// iam_users set, then one pipeline that reads their records (split by node
// on a Cluster). Names whose record has gone are skipped.
func (s *Store) ListIAMUsers(ctx context.Context) ([]store.IAMUser, error) {
	return s.iamUsers.list(ctx)
}

// CreateIAMUser stores a new IAM user (SET NX on its record, then SADD of
// its name), or returns store.ErrConflict when one with u.Name exists. A
// policy that is not a JSON object is refused with store.ErrInvalid.
func (s *Store) CreateIAMUser(ctx context.Context, u store.IAMUser) error {
	return s.iamUsers.create(ctx, u)
}

// UpdateIAMUser replaces the IAM user with u.Name (SET XX), or returns
// store.ErrNotFound.
func (s *Store) UpdateIAMUser(ctx context.Context, u store.IAMUser) error {
	return s.iamUsers.update(ctx, u)
}

// DeleteIAMUser removes the IAM user (DEL of its record, then SREM of its
// name), or returns store.ErrNotFound. The user's access keys stay: the
// caller deletes them (DeleteAccessKey).
func (s *Store) DeleteIAMUser(ctx context.Context, name string) error {
	return s.iamUsers.delete(ctx, name)
}

// GetAccessKey returns the access key with id (one GET), or
// store.ErrNotFound.
func (s *Store) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	const op = "get access key"
	b, err := s.rdb.Get(ctx, accessKeyKey(id)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return store.AccessKey{}, fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return store.AccessKey{}, unavailable(op, err)
	}
	return decode[store.AccessKey](op, b)
}

// ListAccessKeys returns the access keys of the IAM user userName, ordered
// by CreatedAt then id: the ids in the user's iam_user_keys set, then one
// pipeline that reads their records (split by node on a Cluster). Ids whose
// record has gone, or now belongs to another user, are skipped. A user
// without keys, or no such user, has none (not store.ErrNotFound).
func (s *Store) ListAccessKeys(ctx context.Context, userName string) ([]store.AccessKey, error) {
	const op = "list access keys"
	ids, err := s.rdb.SMembers(ctx, userAccessKeysKey(userName)).Result()
	if err != nil {
		return nil, unavailable(op, err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = accessKeyKey(id)
	}
	ks, err := getRecords[store.AccessKey](ctx, s.rdb, op, keys)
	if err != nil {
		return nil, err
	}
	ks = slices.DeleteFunc(ks, func(k store.AccessKey) bool { return k.UserName != userName })
	slices.SortFunc(ks, record.CompareAccessKeys)
	return ks, nil
}

// CreateAccessKey stores a new access key (SET NX on its record, then SADD
// of its id to its user's set), or returns store.ErrConflict when one with
// k.ID exists (of any user). The store does not check that the user
// k.UserName exists.
func (s *Store) CreateAccessKey(ctx context.Context, k store.AccessKey) error {
	const op = "create access key"
	k = record.NormalizeAccessKey(k)
	b, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("store: %s: encode: %w", op, err)
	}
	err = s.rdb.SetArgs(ctx, accessKeyKey(k.ID), b, goredis.SetArgs{Mode: "NX"}).Err()
	if errors.Is(err, goredis.Nil) {
		// The stored key's id belongs in its own user's set, even if an
		// earlier create failed between the two steps; k's user may be
		// another, whose set it must not join.
		if err := s.indexAccessKey(ctx, op, k.ID); err != nil {
			return err
		}
		return fmt.Errorf("store: %s: %w", op, store.ErrConflict)
	}
	if err != nil {
		return unavailable(op, err)
	}
	if err := s.rdb.SAdd(ctx, userAccessKeysKey(k.UserName), k.ID).Err(); err != nil {
		return unavailable(op, err)
	}
	return nil
}

// indexAccessKey adds the id of the stored access key id to the set of its
// user (GET, then SADD); a key that has gone meanwhile is left alone.
func (s *Store) indexAccessKey(ctx context.Context, op, id string) error {
	b, err := s.rdb.Get(ctx, accessKeyKey(id)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil
	}
	if err != nil {
		return unavailable(op, err)
	}
	stored, err := decode[store.AccessKey](op, b)
	if err != nil {
		return err
	}
	if err := s.rdb.SAdd(ctx, userAccessKeysKey(stored.UserName), id).Err(); err != nil {
		return unavailable(op, err)
	}
	return nil
}

// UpdateAccessKey replaces the access key with k.ID (a script on its record
// that compares the user names, then SADD of its id to its user's set), or
// returns store.ErrNotFound. A key never moves to another user: a
// k.UserName that differs from the stored one is refused with
// store.ErrInvalid.
func (s *Store) UpdateAccessKey(ctx context.Context, k store.AccessKey) error {
	const op = "update access key"
	k = record.NormalizeAccessKey(k)
	b, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("store: %s: encode: %w", op, err)
	}
	n, err := updateAccessKey.Run(ctx, s.rdb, []string{accessKeyKey(k.ID)}, b).Int()
	if err != nil {
		return unavailable(op, err)
	}
	switch n {
	case 0:
		return fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	case -1:
		return fmt.Errorf("store: %s: %w: the user name may not change", op, store.ErrInvalid)
	}
	if err := s.rdb.SAdd(ctx, userAccessKeysKey(k.UserName), k.ID).Err(); err != nil {
		return unavailable(op, err)
	}
	return nil
}

// DeleteAccessKey removes the access key with id (GETDEL of its record, then
// SREM of its id from its user's set), or returns store.ErrNotFound.
func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	const op = "delete access key"
	b, err := s.rdb.GetDel(ctx, accessKeyKey(id)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return unavailable(op, err)
	}
	// The record is gone; a record that does not decode leaves its id in
	// its user's set, which ListAccessKeys skips.
	k, err := decode[store.AccessKey](op, b)
	if err != nil {
		return err
	}
	if err := s.rdb.SRem(ctx, userAccessKeysKey(k.UserName), id).Err(); err != nil {
		return unavailable(op, err)
	}
	return nil
}

// GetIAMRole returns the IAM role, or store.ErrNotFound.
func (s *Store) GetIAMRole(ctx context.Context, name string) (store.IAMRole, error) {
	return s.iamRoles.get(ctx, name)
}

// ListIAMRoles returns every IAM role, ordered by name: the names in the
// iam_roles set, then one pipeline that reads their records (split by node
// on a Cluster). Names whose record has gone are skipped.
func (s *Store) ListIAMRoles(ctx context.Context) ([]store.IAMRole, error) {
	return s.iamRoles.list(ctx)
}

// CreateIAMRole stores a new IAM role (SET NX on its record, then SADD of
// its name), or returns store.ErrConflict when one with r.Name exists. A
// trust policy or policy that is not a JSON object is refused with
// store.ErrInvalid.
func (s *Store) CreateIAMRole(ctx context.Context, r store.IAMRole) error {
	return s.iamRoles.create(ctx, r)
}

// UpdateIAMRole replaces the IAM role with r.Name (SET XX), or returns
// store.ErrNotFound.
func (s *Store) UpdateIAMRole(ctx context.Context, r store.IAMRole) error {
	return s.iamRoles.update(ctx, r)
}

// DeleteIAMRole removes the IAM role (DEL of its record, then SREM of its
// name), or returns store.ErrNotFound.
func (s *Store) DeleteIAMRole(ctx context.Context, name string) error {
	return s.iamRoles.delete(ctx, name)
}

// GetOrgPolicies returns the organisation policies (one GET), in the order
// they were put; an empty, non-nil list when there are none.
func (s *Store) GetOrgPolicies(ctx context.Context) ([]json.RawMessage, error) {
	const op = "get org policies"
	b, err := s.rdb.Get(ctx, orgPoliciesKey).Bytes()
	if errors.Is(err, goredis.Nil) {
		return []json.RawMessage{}, nil
	}
	if err != nil {
		return nil, unavailable(op, err)
	}
	ps, err := decode[[]json.RawMessage](op, b)
	if err != nil {
		return nil, err
	}
	if ps == nil {
		ps = []json.RawMessage{}
	}
	return ps, nil
}

// PutOrgPolicies replaces the organisation policies as a whole (one SET of
// the JSON array); an empty list removes them all. A policy that is not a
// JSON object is refused with store.ErrInvalid, and nothing is replaced.
func (s *Store) PutOrgPolicies(ctx context.Context, policies []json.RawMessage) error {
	const op = "put org policies"
	ps, err := record.NormalizeOrgPolicies(policies)
	if err != nil {
		return err
	}
	b, err := json.Marshal(ps)
	if err != nil {
		return fmt.Errorf("store: %s: encode: %w", op, err)
	}
	if err := s.rdb.Set(ctx, orgPoliciesKey, b, 0).Err(); err != nil {
		return unavailable(op, err)
	}
	return nil
}

func accessKeyKey(id string) string            { return accessKeyKeyPrefix + hashID(id) }
func userAccessKeysKey(userName string) string { return userAccessKeysPrefix + hashID(userName) }
