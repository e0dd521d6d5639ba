package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lineage-oss/lineage/store"
)

func accessKeyTests() []test {
	return []test{
		{"RoundTrip", testAccessKeyRoundTrip},
		{"EmptyFields", testAccessKeyEmptyFields},
		{"CreateConflict", testAccessKeyCreateConflict},
		{"Missing", testAccessKeyMissing},
		{"UpdateDeactivates", testAccessKeyUpdate},
		{"UpdateKeepsUserName", testAccessKeyUpdateKeepsUser},
		{"DeleteRemoves", testAccessKeyDelete},
		{"ListPerUser", testAccessKeyListPerUser},
		{"ListOrderedByCreatedAt", testAccessKeyListOrder},
		{"OddIDsAndUserNames", testAccessKeyOddIDs},
		{"NoAliasing", testAccessKeyNoAliasing},
	}
}

// fullAccessKey returns an active access key of userName with every field
// set (DeactivatedAt too, which a caller sets only on deactivation).
func fullAccessKey(id, userName string, createdAt time.Time) store.AccessKey {
	return store.AccessKey{
		ID:            id,
		UserName:      userName,
		SealedSecret:  []byte("nonce||ciphertext||tag of " + id + "\x00\xff"),
		Active:        true,
		CreatedAt:     createdAt,
		DeactivatedAt: createdAt.Add(time.Hour).In(time.FixedZone("UTC-7", -7*3600)),
	}
}

// keyIDs returns the IDs of ks, in order.
func keyIDs(ks []store.AccessKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.ID
	}
	return out
}

// listKeys returns ListAccessKeys(userName), failing t on an error.
func listKeys(t *testing.T, s store.Store, userName string) []store.AccessKey {
	t.Helper()
	list, err := s.ListAccessKeys(t.Context(), userName)
	noErr(t, err, fmt.Sprintf("ListAccessKeys(%q)", userName))
	return list
}

// wantKeyIDs fails t unless ListAccessKeys(userName) lists want, in order.
func wantKeyIDs(t *testing.T, s store.Store, userName string, want ...string) {
	t.Helper()
	if got := keyIDs(listKeys(t, s, userName)); !slices.Equal(got, want) {
		t.Errorf("ListAccessKeys(%q) = %q, want %q", userName, got, want)
	}
}

func testAccessKeyRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := fullAccessKey("AKIAIOSFODNN7EXAMPLE", "alice", time.Now())
	everyFieldSet(t, want)
	noErr(t, s.CreateAccessKey(ctx, want), "CreateAccessKey")

	got, err := s.GetAccessKey(ctx, want.ID)
	noErr(t, err, "GetAccessKey")
	sameRecord(t, "GetAccessKey", want, got)

	list := listKeys(t, s, "alice")
	if len(list) != 1 {
		t.Fatalf("ListAccessKeys returned %d keys, want 1", len(list))
	}
	sameRecord(t, "ListAccessKeys[0]", want, list[0])
}

func testAccessKeyEmptyFields(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name string
		key  store.AccessKey
	}{
		{"nil secret", store.AccessKey{ID: "AKIANIL"}},
		{"empty secret", store.AccessKey{ID: "AKIAEMPTY", SealedSecret: []byte{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noErr(t, s.CreateAccessKey(ctx, tt.key), "CreateAccessKey")
			got, err := s.GetAccessKey(ctx, tt.key.ID)
			noErr(t, err, "GetAccessKey")
			// An inactive key must not read back active, nor deactivated at
			// some time.
			sameRecord(t, "GetAccessKey", store.AccessKey{ID: tt.key.ID}, got)
			if !got.CreatedAt.IsZero() || !got.DeactivatedAt.IsZero() {
				t.Errorf("zero times read back as %v and %v", got.CreatedAt, got.DeactivatedAt)
			}
		})
	}
	// A key of the user "" is listed under "".
	wantKeyIDs(t, s, "", "AKIAEMPTY", "AKIANIL")
}

func testAccessKeyCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := fullAccessKey("AKIA0000000000000001", "alice", time.Now())
	noErr(t, s.CreateAccessKey(ctx, first), "first CreateAccessKey")

	// A second key with a taken id, for alice or for another user, must not
	// replace the secret, nor move the key.
	for _, user := range []string{"alice", "mallory"} {
		second := fullAccessKey(first.ID, user, time.Now())
		second.SealedSecret = []byte("attacker's secret")
		wantErr(t, s.CreateAccessKey(ctx, second), store.ErrConflict, "second CreateAccessKey for "+user)
	}

	got, err := s.GetAccessKey(ctx, first.ID)
	noErr(t, err, "GetAccessKey")
	sameRecord(t, "access key after a refused create", first, got)
	wantKeyIDs(t, s, "alice", first.ID)
	wantKeyIDs(t, s, "mallory")
}

func testAccessKeyMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	present := fullAccessKey("AKIAPRESENT", "alice", time.Now())
	noErr(t, s.CreateAccessKey(ctx, present), "CreateAccessKey")
	// IAM users, clients and nonces are apart: none makes an access key.
	noErr(t, s.CreateIAMUser(ctx, store.IAMUser{Name: "AKIAUSER"}), "CreateIAMUser")
	noErr(t, s.CreateClient(ctx, store.Client{ID: "AKIACLIENT"}), "CreateClient")
	tests := []struct {
		name string
		op   func() error
	}{
		{"get", func() error { _, err := s.GetAccessKey(ctx, "AKIAMISSING"); return err }},
		{"update", func() error { return s.UpdateAccessKey(ctx, fullAccessKey("AKIAMISSING", "alice", time.Now())) }},
		{"delete", func() error { return s.DeleteAccessKey(ctx, "AKIAMISSING") }},
		{"get of a prefix", func() error { _, err := s.GetAccessKey(ctx, "AKIAPRES"); return err }},
		{"get with another case", func() error { _, err := s.GetAccessKey(ctx, "akiapresent"); return err }},
		{"get of an IAM user's name", func() error { _, err := s.GetAccessKey(ctx, "AKIAUSER"); return err }},
		{"get of a client's id", func() error { _, err := s.GetAccessKey(ctx, "AKIACLIENT"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.op(), store.ErrNotFound, tt.name)
		})
	}
	// A refused update must not have created the key; a user without keys,
	// or no user at all, lists none.
	wantKeyIDs(t, s, "alice", present.ID)
	wantKeyIDs(t, s, "AKIAUSER")
	wantKeyIDs(t, s, "nobody")
	if list := listKeys(t, s, "nobody"); list == nil {
		t.Error("ListAccessKeys of a user without keys = nil, want an empty list")
	}
}

func testAccessKeyUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	created := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	noErr(t, s.CreateAccessKey(ctx, fullAccessKey("AKIA1", "alice", created)), "CreateAccessKey")

	// Deactivation: every field is replaced, none merged.
	want := store.AccessKey{
		ID:            "AKIA1",
		UserName:      "alice",
		SealedSecret:  []byte("resealed"),
		CreatedAt:     created,
		DeactivatedAt: time.Now(),
	}
	noErr(t, s.UpdateAccessKey(ctx, want), "UpdateAccessKey")
	got, err := s.GetAccessKey(ctx, "AKIA1")
	noErr(t, err, "GetAccessKey")
	sameRecord(t, "access key after UpdateAccessKey", want, got)

	list := listKeys(t, s, "alice")
	if len(list) != 1 {
		t.Fatalf("ListAccessKeys returned %d keys after an update, want 1", len(list))
	}
	sameRecord(t, "ListAccessKeys[0] after UpdateAccessKey", want, list[0])

	// And back: an update may also clear DeactivatedAt.
	want.Active, want.DeactivatedAt = true, time.Time{}
	noErr(t, s.UpdateAccessKey(ctx, want), "UpdateAccessKey reactivating")
	got, err = s.GetAccessKey(ctx, "AKIA1")
	noErr(t, err, "GetAccessKey")
	sameRecord(t, "access key after reactivation", want, got)
}

// testAccessKeyUpdateKeepsUser checks that a key never moves to another
// user: whoever holds alice's key id cannot make it bob's.
func testAccessKeyUpdateKeepsUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	key := fullAccessKey("AKIAALICE", "alice", time.Now())
	noErr(t, s.CreateAccessKey(ctx, key), "CreateAccessKey")

	for _, user := range []string{"bob", "Alice", "alice ", ""} {
		moved := key
		moved.UserName = user
		moved.Active = false
		wantInvalid(t, s.UpdateAccessKey(ctx, moved), fmt.Sprintf("UpdateAccessKey to user %q", user))
		wantKeyIDs(t, s, user)
	}
	got, err := s.GetAccessKey(ctx, key.ID)
	noErr(t, err, "GetAccessKey")
	sameRecord(t, "access key after refused moves", key, got)
	wantKeyIDs(t, s, "alice", key.ID)
}

func testAccessKeyDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	for i, id := range []string{"AKIAA", "AKIAB", "AKIAC"} {
		noErr(t, s.CreateAccessKey(ctx, fullAccessKey(id, "alice", now.Add(time.Duration(i)*time.Second))), "CreateAccessKey "+id)
	}
	noErr(t, s.DeleteAccessKey(ctx, "AKIAB"), "DeleteAccessKey")

	_, err := s.GetAccessKey(ctx, "AKIAB")
	wantErr(t, err, store.ErrNotFound, "GetAccessKey after delete")
	wantErr(t, s.DeleteAccessKey(ctx, "AKIAB"), store.ErrNotFound, "second DeleteAccessKey")
	wantErr(t, s.UpdateAccessKey(ctx, fullAccessKey("AKIAB", "alice", now)), store.ErrNotFound, "UpdateAccessKey after delete")
	wantKeyIDs(t, s, "alice", "AKIAA", "AKIAC")

	// The id is free again, for another user: it lists under that user
	// only, and the old secret is gone with it.
	again := store.AccessKey{ID: "AKIAB", UserName: "bob", SealedSecret: []byte("bob's"), Active: true, CreatedAt: now}
	noErr(t, s.CreateAccessKey(ctx, again), "CreateAccessKey after delete")
	got, err := s.GetAccessKey(ctx, "AKIAB")
	noErr(t, err, "GetAccessKey after re-create")
	sameRecord(t, "re-created access key", again, got)
	wantKeyIDs(t, s, "alice", "AKIAA", "AKIAC")
	wantKeyIDs(t, s, "bob", "AKIAB")
}

// testAccessKeyListPerUser gives several users keys, interleaved: each user
// lists exactly their own.
func testAccessKeyListPerUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	users := []string{"alice", "bob", "Alice", "alic", "alice2"}
	want := make(map[string][]string)
	for i := range 3 {
		for j, user := range users {
			id := fmt.Sprintf("AKIA%d%d", j, i)
			noErr(t, s.CreateAccessKey(ctx, fullAccessKey(id, user, now.Add(time.Duration(i)*time.Minute))), "CreateAccessKey "+id)
			want[user] = append(want[user], id)
		}
	}
	for _, user := range users {
		list := listKeys(t, s, user)
		if got := keyIDs(list); !slices.Equal(got, want[user]) {
			t.Errorf("ListAccessKeys(%q) = %q, want %q", user, got, want[user])
		}
		for _, k := range list {
			if k.UserName != user {
				t.Errorf("ListAccessKeys(%q) holds key %s of user %q", user, k.ID, k.UserName)
			}
		}
	}
	// Deleting one user's key leaves the others' alone.
	noErr(t, s.DeleteAccessKey(ctx, "AKIA01"), "DeleteAccessKey")
	wantKeyIDs(t, s, "alice", "AKIA00", "AKIA02")
	wantKeyIDs(t, s, "bob", want["bob"]...)
}

func testAccessKeyListOrder(t *testing.T, s store.Store) {
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	keys := []store.AccessKey{ // in creation order
		fullAccessKey("AKIAD", "alice", t0.Add(24*time.Hour)),
		fullAccessKey("AKIAA", "alice", t0.Add(time.Nanosecond)),
		fullAccessKey("AKIAC", "alice", t0),
		fullAccessKey("AKIAZ", "alice", t0.Add(-time.Hour)),
		// The same instant as AKIAC in another zone: the id decides.
		fullAccessKey("AKIAB", "alice", t0.In(time.FixedZone("UTC+5", 5*3600))),
		fullAccessKey("AKIAE", "bob", t0),
	}
	for _, k := range keys {
		noErr(t, s.CreateAccessKey(ctx, k), "CreateAccessKey "+k.ID)
	}
	wantKeyIDs(t, s, "alice", "AKIAZ", "AKIAB", "AKIAC", "AKIAA", "AKIAD")
	list := listKeys(t, s, "alice")
	byID := make(map[string]store.AccessKey)
	for _, k := range keys {
		byID[k.ID] = k
	}
	for _, k := range list {
		sameRecord(t, "ListAccessKeys["+k.ID+"]", byID[k.ID], k)
	}
}

func testAccessKeyOddIDs(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	odd := append(oddIAMNames(), oddID{"access key key-like", "access_key:AKIA"})
	for _, tt := range odd {
		t.Run(tt.name, func(t *testing.T) {
			// The odd string is the key's id of one key and the user of
			// another.
			want := fullAccessKey(tt.id, "alice", now)
			other := fullAccessKey("AKIA-of-"+tt.id, tt.id, now)
			noErr(t, s.CreateAccessKey(ctx, want), "CreateAccessKey")
			noErr(t, s.CreateAccessKey(ctx, other), "CreateAccessKey of the odd user")
			got, err := s.GetAccessKey(ctx, tt.id)
			noErr(t, err, "GetAccessKey")
			sameRecord(t, "GetAccessKey", want, got)
			wantErr(t, s.CreateAccessKey(ctx, want), store.ErrConflict, "second CreateAccessKey")

			other.Active = false
			noErr(t, s.UpdateAccessKey(ctx, other), "UpdateAccessKey of the odd user")
			list := listKeys(t, s, tt.id)
			if len(list) != 1 {
				t.Fatalf("ListAccessKeys(odd user) = %q, want [%s]", keyIDs(list), other.ID)
			}
			sameRecord(t, "ListAccessKeys(odd user)[0]", other, list[0])
		})
	}

	var want []string
	for _, tt := range odd {
		want = append(want, tt.id)
	}
	slices.Sort(want)
	wantKeyIDs(t, s, "alice", want...)

	for _, tt := range odd {
		noErr(t, s.DeleteAccessKey(ctx, tt.id), "DeleteAccessKey "+tt.name)
		noErr(t, s.DeleteAccessKey(ctx, "AKIA-of-"+tt.id), "DeleteAccessKey of the odd user "+tt.name)
		_, err := s.GetAccessKey(ctx, tt.id)
		wantErr(t, err, store.ErrNotFound, "GetAccessKey after delete of "+tt.name)
		wantKeyIDs(t, s, tt.id)
	}
	wantKeyIDs(t, s, "alice")
}

func testAccessKeyNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	in := fullAccessKey("AKIA1", "alice", now)
	want := fullAccessKey("AKIA1", "alice", now)
	noErr(t, s.CreateAccessKey(ctx, in), "CreateAccessKey")

	scribble := func(k *store.AccessKey) { k.SealedSecret[0] ^= 0xff }
	scribble(&in)
	got, err := s.GetAccessKey(ctx, "AKIA1")
	noErr(t, err, "GetAccessKey")
	sameRecord(t, "access key after the caller changed what it passed to CreateAccessKey", want, got)

	scribble(&got)
	again, err := s.GetAccessKey(ctx, "AKIA1")
	noErr(t, err, "GetAccessKey")
	sameRecord(t, "access key after the caller changed what GetAccessKey returned", want, again)

	list := listKeys(t, s, "alice")
	scribble(&list[0])
	again, err = s.GetAccessKey(ctx, "AKIA1")
	noErr(t, err, "GetAccessKey")
	sameRecord(t, "access key after the caller changed what ListAccessKeys returned", want, again)

	upd := fullAccessKey("AKIA1", "alice", now)
	noErr(t, s.UpdateAccessKey(ctx, upd), "UpdateAccessKey")
	scribble(&upd)
	again, err = s.GetAccessKey(ctx, "AKIA1")
	noErr(t, err, "GetAccessKey")
	sameRecord(t, "access key after the caller changed what it passed to UpdateAccessKey", want, again)
}
