package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/store"
)

// ClientSource looks clients up by id (clients.Registry).
type ClientSource interface {
	GetClient(ctx context.Context, id string) (store.Client, error)
	// Configured reports whether id comes from the configuration (held in
	// memory: reading it costs no store round trip).
	Configured(id string) bool
}

// prefetched is a ClientSource that answers for the stored clients read
// ahead (with a revocation check, in the same round trip) and asks src for
// every other id.
type prefetched struct {
	src     ClientSource
	ids     []string // read ahead
	records map[string]store.Client
}

func (p prefetched) GetClient(ctx context.Context, id string) (store.Client, error) {
	if slices.Contains(p.ids, id) {
		if c, ok := p.records[id]; ok {
			return c, nil
		}
		return store.Client{}, fmt.Errorf("oauth: client %w", store.ErrNotFound)
	}
	return p.src.GetClient(ctx, id)
}

func (p prefetched) Configured(id string) bool { return p.src.Configured(id) }

// storedIDs returns the ids, once each, that are not configured clients:
// those a prefetch reads from the store.
func storedIDs(src ClientSource, ids ...string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && !src.Configured(id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Client adapts a stored client to fosite.
type Client struct {
	store.Client
}

var (
	_ fosite.Client                         = (*Client)(nil)
	_ fosite.ClientWithCustomTokenLifespans = (*Client)(nil)
)

// GetID implements fosite.Client.
func (c *Client) GetID() string { return c.ID }

// GetHashedSecret implements fosite.Client.
func (c *Client) GetHashedSecret() []byte { return c.SecretHash }

// GetRedirectURIs implements fosite.Client.
func (c *Client) GetRedirectURIs() []string { return c.RedirectURIs }

// GetGrantTypes implements fosite.Client.
func (c *Client) GetGrantTypes() fosite.Arguments { return c.GrantTypes }

// GetResponseTypes implements fosite.Client.
func (c *Client) GetResponseTypes() fosite.Arguments { return fosite.Arguments{"code"} }

// GetScopes implements fosite.Client.
func (c *Client) GetScopes() fosite.Arguments { return c.Scopes }

// IsPublic implements fosite.Client: a client with neither a secret nor
// keys cannot authenticate (RFC 6749 §2.1).
func (c *Client) IsPublic() bool { return len(c.SecretHash) == 0 && len(c.JWKS) == 0 }

// GetAudience implements fosite.Client.
func (c *Client) GetAudience() fosite.Arguments { return c.Audiences }

// GetEffectiveLifespan implements fosite.ClientWithCustomTokenLifespans:
// the client's own lifetime for the token type, else fallback.
func (c *Client) GetEffectiveLifespan(_ fosite.GrantType, tt fosite.TokenType, fallback time.Duration) time.Duration {
	var d time.Duration
	switch tt {
	case fosite.AccessToken:
		d = c.AccessTTL
	case fosite.IDToken:
		d = c.IDTTL
	case fosite.RefreshToken:
		d = c.RefreshIdleTTL
	}
	if d > 0 {
		return d
	}
	return fallback
}

// refreshMaxTTL is how long after the original grant the client's
// refresh lineages end: its own refresh_max_ttl, else fallback.
func (c *Client) refreshMaxTTL(fallback time.Duration) time.Duration {
	if c.RefreshMaxTTL > 0 {
		return c.RefreshMaxTTL
	}
	return fallback
}

// getClient returns the enabled client with id; a disabled client is as
// unknown as a missing one.
func getClient(ctx context.Context, src ClientSource, id string) (*Client, error) {
	c, err := src.GetClient(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fosite.ErrNotFound
		}
		return nil, fmt.Errorf("oauth: get client: %w", err)
	}
	if c.Disabled {
		return nil, fosite.ErrNotFound
	}
	return &Client{Client: c}, nil
}
