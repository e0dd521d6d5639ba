package users

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/lineage-oss/lineage/store"
)

// ErrReadOnly reports a change to a user that comes from the configuration
// file.
var ErrReadOnly = errors.New("users: the user comes from the configuration file and is read-only")

// ErrInvalid reports a user that breaks a rule (see Directory.Create).
var ErrInvalid = errors.New("users: invalid user")

// Directory looks users up in the configuration first, then the store.
type Directory struct {
	static map[string]store.User
	stored store.Users
	now    func() time.Time
	rand   io.Reader
}

// NewDirectory returns a Directory over the configured users (their
// passwords already hashed) and the store.
func NewDirectory(configured []store.User, stored store.Users, now func() time.Time, random io.Reader) (*Directory, error) {
	static := make(map[string]store.User, len(configured))
	for _, u := range configured {
		if _, dup := static[u.Username]; dup {
			return nil, fmt.Errorf("users: user %q configured twice", u.Username)
		}
		static[u.Username] = u
	}
	return &Directory{static: static, stored: stored, now: now, rand: random}, nil
}

// Configured reports whether username comes from the configuration file.
func (d *Directory) Configured(username string) bool {
	_, ok := d.static[username]
	return ok
}

// Get returns the user, or an error wrapping store.ErrNotFound.
func (d *Directory) Get(ctx context.Context, username string) (store.User, error) {
	if u, ok := d.static[username]; ok {
		return u, nil
	}
	u, err := d.stored.GetUser(ctx, username)
	if err != nil {
		return store.User{}, fmt.Errorf("users: %w", err)
	}
	return u, nil
}

// List returns every user, configured and stored, ordered by username.
func (d *Directory) List(ctx context.Context) ([]store.User, error) {
	stored, err := d.stored.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	all := slices.Collect(maps.Values(d.static))
	for _, u := range stored {
		if !d.Configured(u.Username) {
			all = append(all, u)
		}
	}
	slices.SortFunc(all, func(a, b store.User) int { return strings.Compare(a.Username, b.Username) })
	return all, nil
}

// Create stores a new user with password hashed by argon2id. A username
// has 1 to 256 printable characters without spaces at either end.
func (d *Directory) Create(ctx context.Context, username, password, email string) (store.User, error) {
	if err := validUsername(username); err != nil {
		return store.User{}, err
	}
	if d.Configured(username) {
		return store.User{}, fmt.Errorf("users: %w", store.ErrConflict)
	}
	if err := checkPolicy(password); err != nil {
		return store.User{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	hash, err := HashPassword(password, d.rand)
	if err != nil {
		return store.User{}, err
	}
	now := d.now().UTC()
	u := store.User{Username: username, PasswordHash: hash, Email: email, CreatedAt: now, UpdatedAt: now}
	if err := d.stored.CreateUser(ctx, u); err != nil {
		return store.User{}, fmt.Errorf("users: %w", err)
	}
	return u, nil
}

// SetPassword replaces a stored user's password.
func (d *Directory) SetPassword(ctx context.Context, username, password string) (store.User, error) {
	if d.Configured(username) {
		return store.User{}, ErrReadOnly
	}
	if err := checkPolicy(password); err != nil {
		return store.User{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	u, err := d.stored.GetUser(ctx, username)
	if err != nil {
		return store.User{}, fmt.Errorf("users: %w", err)
	}
	if u.PasswordHash, err = HashPassword(password, d.rand); err != nil {
		return store.User{}, err
	}
	u.UpdatedAt = d.now().UTC()
	if err := d.stored.UpdateUser(ctx, u); err != nil {
		return store.User{}, fmt.Errorf("users: %w", err)
	}
	return u, nil
}

// Delete removes a stored user and returns what was removed.
func (d *Directory) Delete(ctx context.Context, username string) (store.User, error) {
	if d.Configured(username) {
		return store.User{}, ErrReadOnly
	}
	u, err := d.stored.GetUser(ctx, username)
	if err != nil {
		return store.User{}, fmt.Errorf("users: %w", err)
	}
	if err := d.stored.DeleteUser(ctx, username); err != nil {
		return store.User{}, fmt.Errorf("users: %w", err)
	}
	return u, nil
}

func validUsername(s string) error {
	if s == "" || len(s) > 256 || strings.TrimSpace(s) != s {
		return fmt.Errorf("%w: a username has 1 to 256 characters without spaces at either end", ErrInvalid)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%w: a username has printable characters only", ErrInvalid)
		}
	}
	return nil
}
