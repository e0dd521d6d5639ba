package clients

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lineage-oss/lineage/store"
)

// ErrReadOnly reports a change to a client that comes from the
// configuration file.
var ErrReadOnly = errors.New("clients: the client comes from the configuration file and is read-only")

// SecretBytes is the entropy of a generated client secret (256 bits).
const SecretBytes = 32

// Registry looks clients up in the configuration first, then the store.
type Registry struct {
	static map[string]store.Client
	stored store.Clients
	// maxLifetime bounds the lifetimes of clients written at run time (0:
	// no bound).
	maxLifetime time.Duration
}

// NewRegistry returns a Registry over the configured clients and the
// store. Clients created or replaced at run time may not set a lifetime
// longer than maxLifetime (0: any): the revocation set keeps its entries
// only that long, so no token may outlive it.
func NewRegistry(configured []store.Client, stored store.Clients, maxLifetime time.Duration) (*Registry, error) {
	static := make(map[string]store.Client, len(configured))
	for _, c := range configured {
		if _, dup := static[c.ID]; dup {
			return nil, fmt.Errorf("clients: client %q configured twice", c.ID)
		}
		static[c.ID] = c
	}
	return &Registry{static: static, stored: stored, maxLifetime: maxLifetime}, nil
}

// GetClient returns the client with id (disabled ones included), or an
// error wrapping store.ErrNotFound.
func (r *Registry) GetClient(ctx context.Context, id string) (store.Client, error) {
	if c, ok := r.static[id]; ok {
		return c, nil
	}
	c, err := r.stored.GetClient(ctx, id)
	if err != nil {
		return store.Client{}, fmt.Errorf("clients: %w", err)
	}
	return c, nil
}

// Check reports whether Create or Update would accept c, without
// writing anything.
func (r *Registry) Check(c store.Client) error { return r.validate(c) }

// validate checks c (Validate) and its lifetimes against maxLifetime.
func (r *Registry) validate(c store.Client) error {
	err := Validate(c)
	if r.maxLifetime > 0 && max(c.AccessTTL, c.IDTTL, c.RefreshIdleTTL, c.RefreshMaxTTL) > r.maxLifetime {
		err = errors.Join(err, fmt.Errorf("%w: lifetimes may not exceed %v, the longest the issuer is configured for (tokens.refresh_max_ttl and the other tokens.* lifetimes)", ErrInvalid, r.maxLifetime))
	}
	return err
}

// Configured reports whether id comes from the configuration file, which
// makes it read-only at run time.
func (r *Registry) Configured(id string) bool {
	_, ok := r.static[id]
	return ok
}

// List returns every client, configured and stored, ordered by id.
func (r *Registry) List(ctx context.Context) ([]store.Client, error) {
	stored, err := r.stored.ListClients(ctx)
	if err != nil {
		return nil, fmt.Errorf("clients: %w", err)
	}
	all := slices.Collect(maps.Values(r.static))
	for _, c := range stored {
		if !r.Configured(c.ID) {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b store.Client) int { return strings.Compare(a.ID, b.ID) })
	return all, nil
}

// Create validates and stores a new client. An id taken by a configured
// client is a conflict.
func (r *Registry) Create(ctx context.Context, c store.Client) error {
	if err := r.validate(c); err != nil {
		return err
	}
	if r.Configured(c.ID) {
		return fmt.Errorf("clients: %w", store.ErrConflict)
	}
	if err := r.stored.CreateClient(ctx, c); err != nil {
		return fmt.Errorf("clients: %w", err)
	}
	return nil
}

// Update validates and replaces a stored client.
func (r *Registry) Update(ctx context.Context, c store.Client) error {
	if r.Configured(c.ID) {
		return ErrReadOnly
	}
	if err := r.validate(c); err != nil {
		return err
	}
	if err := r.stored.UpdateClient(ctx, c); err != nil {
		return fmt.Errorf("clients: %w", err)
	}
	return nil
}

// Delete removes a stored client.
func (r *Registry) Delete(ctx context.Context, id string) error {
	if r.Configured(id) {
		return ErrReadOnly
	}
	if err := r.stored.DeleteClient(ctx, id); err != nil {
		return fmt.Errorf("clients: %w", err)
	}
	return nil
}

// GenerateSecret returns a new client secret of SecretBytes random bytes,
// base64url-encoded.
func GenerateSecret(random io.Reader) (string, error) {
	b := make([]byte, SecretBytes)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("clients: random secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
