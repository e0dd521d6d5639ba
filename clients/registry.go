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
}

// NewRegistry returns a Registry over the configured clients and the store.
func NewRegistry(configured []store.Client, stored store.Clients) (*Registry, error) {
	static := make(map[string]store.Client, len(configured))
	for _, c := range configured {
		if _, dup := static[c.ID]; dup {
			return nil, fmt.Errorf("clients: client %q configured twice", c.ID)
		}
		static[c.ID] = c
	}
	return &Registry{static: static, stored: stored}, nil
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
	if err := Validate(c); err != nil {
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
	if err := Validate(c); err != nil {
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
