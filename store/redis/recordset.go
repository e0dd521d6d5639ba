package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	lru "github.com/hashicorp/golang-lru/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/lineage-oss/lineage/store"
)

// recordSet stores one kind of record under a user-chosen id, as clients,
// users, IAM users and IAM roles are: each record as JSON in a STRING at
// prefix+sha256(id), and every id in the SET idsKey, for listing. See the package documentation
// for what a failure between the two writes leaves behind.
type recordSet[T any] struct {
	rdb goredis.UniversalClient
	// noun names the record in errors: "client" gives "store: get client: …".
	noun      string
	prefix    string
	idsKey    string
	id        func(T) string
	normalize func(T) (T, error)
	compare   func(a, b T) int
	// decoded, when set, remembers decoded records by their JSON, so that
	// a record read again (a client on every request) is not decoded
	// again; clone copies one out of it.
	decoded *lru.Cache[string, T]
	clone   func(T) T
}

// decode decodes a record, from decoded when the same JSON was decoded
// before.
func (rs recordSet[T]) decode(op string, b []byte) (T, error) {
	if rs.decoded == nil {
		return decode[T](op, b)
	}
	if v, ok := rs.decoded.Get(string(b)); ok {
		return rs.clone(v), nil
	}
	v, err := decode[T](op, b)
	if err != nil {
		return v, err
	}
	rs.decoded.Add(string(b), rs.clone(v))
	return v, nil
}

// key is the key of the record with id.
func (rs recordSet[T]) key(id string) string { return rs.prefix + hashID(id) }

// get returns the record with id, or store.ErrNotFound.
func (rs recordSet[T]) get(ctx context.Context, id string) (T, error) {
	var zero T
	op := "get " + rs.noun
	b, err := rs.rdb.Get(ctx, rs.key(id)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return zero, fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return zero, unavailable(op, err)
	}
	return rs.decode(op, b)
}

// list returns every record, in rs.compare order: the ids in the idsKey
// set, then one pipeline that reads their records (split by node on a
// Cluster). Ids whose record has gone are skipped.
func (rs recordSet[T]) list(ctx context.Context) ([]T, error) {
	op := "list " + rs.noun + "s"
	ids, err := rs.rdb.SMembers(ctx, rs.idsKey).Result()
	if err != nil {
		return nil, unavailable(op, err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = rs.key(id)
	}
	out, err := getRecords[T](ctx, rs.rdb, op, keys)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, rs.compare)
	return out, nil
}

// getRecords reads the JSON records at keys in one pipeline (split by node
// on a Cluster) and returns them in the order of keys, skipping keys that
// do not exist. It never returns nil.
func getRecords[T any](ctx context.Context, rdb goredis.UniversalClient, op string, keys []string) ([]T, error) {
	out := make([]T, 0, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	cmds := make([]*goredis.StringCmd, len(keys))
	_, err := rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, key := range keys {
			cmds[i] = p.Get(ctx, key)
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, unavailable(op, err)
	}
	for _, cmd := range cmds {
		b, err := cmd.Bytes()
		if errors.Is(err, goredis.Nil) {
			continue
		}
		if err != nil {
			return nil, unavailable(op, err)
		}
		v, err := decode[T](op, b)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// create stores a new record (SET NX on it, then SADD of its id), or
// returns store.ErrConflict when one with v's id exists.
func (rs recordSet[T]) create(ctx context.Context, v T) error {
	op := "create " + rs.noun
	b, err := rs.encode(v)
	if err != nil {
		return err
	}
	id := rs.id(v)
	err = rs.rdb.SetArgs(ctx, rs.key(id), b, goredis.SetArgs{Mode: "NX"}).Err()
	conflict := errors.Is(err, goredis.Nil)
	if err != nil && !conflict {
		return unavailable(op, err)
	}
	// Also on conflict: the record exists, so its id belongs in the set even
	// if an earlier create failed between the two steps.
	if err := rs.rdb.SAdd(ctx, rs.idsKey, id).Err(); err != nil {
		return unavailable(op, err)
	}
	if conflict {
		return fmt.Errorf("store: %s: %w", op, store.ErrConflict)
	}
	return nil
}

// update replaces the record with v's id (SET XX), or returns
// store.ErrNotFound.
func (rs recordSet[T]) update(ctx context.Context, v T) error {
	op := "update " + rs.noun
	b, err := rs.encode(v)
	if err != nil {
		return err
	}
	id := rs.id(v)
	err = rs.rdb.SetArgs(ctx, rs.key(id), b, goredis.SetArgs{Mode: "XX"}).Err()
	if errors.Is(err, goredis.Nil) {
		return fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return unavailable(op, err)
	}
	if err := rs.rdb.SAdd(ctx, rs.idsKey, id).Err(); err != nil {
		return unavailable(op, err)
	}
	return nil
}

// delete removes the record with id (DEL of it, then SREM of its id), or
// returns store.ErrNotFound.
func (rs recordSet[T]) delete(ctx context.Context, id string) error {
	op := "delete " + rs.noun
	n, err := rs.rdb.Del(ctx, rs.key(id)).Result()
	if err != nil {
		return unavailable(op, err)
	}
	// Also when the record was missing, to drop an id left behind by an
	// earlier delete that failed between the two steps.
	if err := rs.rdb.SRem(ctx, rs.idsKey, id).Err(); err != nil {
		return unavailable(op, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// encode validates v and returns its record.
func (rs recordSet[T]) encode(v T) ([]byte, error) {
	v, err := rs.normalize(v)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: %s %q: encode: %w", rs.noun, rs.id(v), err)
	}
	return b, nil
}

// decode reads a JSON record. A record that does not decode means the store
// is broken, so that is store.ErrUnavailable too.
func decode[T any](op string, b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		var zero T
		return zero, unavailable(op+": decode", err)
	}
	return v, nil
}
