package record

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/lineage-oss/lineage/store"
)

// NormalizeClient validates c's JSON fields and returns a deep copy of c in
// normal form. The error names the client and every invalid field; it never
// quotes a field's value.
func NormalizeClient(c store.Client) (store.Client, error) {
	var errs []error
	c.JWKS = compactJSON(c.JWKS, "jwks", true, &errs)
	c.ActorPolicy = compactJSON(c.ActorPolicy, "actor_policy", true, &errs)
	if len(c.Policies) > 0 {
		ps := make([]json.RawMessage, len(c.Policies))
		for i, p := range c.Policies {
			ps[i] = compactJSON(p, fmt.Sprintf("policies[%d]", i), false, &errs)
		}
		c.Policies = ps
	}
	if len(c.TrustedTokenIssuers) > 0 {
		ts := slices.Clone(c.TrustedTokenIssuers)
		for i := range ts {
			ts[i].JWKS = compactJSON(ts[i].JWKS, fmt.Sprintf("trusted_token_issuers[%d].jwks", i), true, &errs)
		}
		c.TrustedTokenIssuers = ts
	}
	if err := errors.Join(errs...); err != nil {
		return store.Client{}, fmt.Errorf("store: client %q: %w", c.ID, err)
	}
	c.CreatedAt = c.CreatedAt.Round(0)
	c.UpdatedAt = c.UpdatedAt.Round(0)
	return CloneClient(c), nil
}

// NormalizeSigningKey is NormalizeClient for signing keys.
func NormalizeSigningKey(k store.SigningKey) (store.SigningKey, error) {
	var errs []error
	k.PublicJWK = compactJSON(k.PublicJWK, "public_jwk", true, &errs)
	if err := errors.Join(errs...); err != nil {
		return store.SigningKey{}, fmt.Errorf("store: signing key %q: %w", k.KID, err)
	}
	k.CreatedAt = k.CreatedAt.Round(0)
	k.SignsFrom = k.SignsFrom.Round(0)
	return CloneSigningKey(k), nil
}

// CompareSigningKeys orders keys by SignsFrom, then by KID so that the
// order is total.
func CompareSigningKeys(a, b store.SigningKey) int {
	if c := a.SignsFrom.Compare(b.SignsFrom); c != 0 {
		return c
	}
	return cmp.Compare(a.KID, b.KID)
}

// CompareClients orders clients by ID.
func CompareClients(a, b store.Client) int { return cmp.Compare(a.ID, b.ID) }

// CloneClient deep-copies every slice of c; empty slices become nil.
func CloneClient(c store.Client) store.Client {
	c.SecretHash = cloneBytes(c.SecretHash)
	c.JWKS = cloneBytes(c.JWKS)
	c.RedirectURIs = cloneStrings(c.RedirectURIs)
	c.PostLogoutRedirectURIs = cloneStrings(c.PostLogoutRedirectURIs)
	c.GrantTypes = cloneStrings(c.GrantTypes)
	c.Scopes = cloneStrings(c.Scopes)
	c.Audiences = cloneStrings(c.Audiences)
	c.ActorPolicy = cloneBytes(c.ActorPolicy)
	c.Policies = cloneJSONs(c.Policies)
	if len(c.TrustedTokenIssuers) == 0 {
		c.TrustedTokenIssuers = nil
	} else {
		ts := slices.Clone(c.TrustedTokenIssuers)
		for i := range ts {
			ts[i].JWKS = cloneBytes(ts[i].JWKS)
		}
		c.TrustedTokenIssuers = ts
	}
	return c
}

// CloneSigningKey deep-copies every slice of k; empty slices become nil.
func CloneSigningKey(k store.SigningKey) store.SigningKey {
	k.PublicJWK = cloneBytes(k.PublicJWK)
	k.SealedPrivate = cloneBytes(k.SealedPrivate)
	return k
}

// compactJSON returns raw compacted into a new slice. Empty raw is nil when
// optional, and a problem otherwise; problems are appended to errs under
// field.
func compactJSON(raw json.RawMessage, field string, optional bool, errs *[]error) json.RawMessage {
	if len(raw) == 0 {
		if !optional {
			*errs = append(*errs, fmt.Errorf("%s is empty, not a JSON value", field))
		}
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		*errs = append(*errs, fmt.Errorf("%s is not valid JSON: %w", field, err))
		return nil
	}
	return b.Bytes()
}

func cloneBytes[S ~[]byte](b S) S {
	if len(b) == 0 {
		return nil
	}
	return slices.Clone(b)
}

// cloneJSONs deep-copies every message of ms; an empty ms becomes nil.
func cloneJSONs(ms []json.RawMessage) []json.RawMessage {
	if len(ms) == 0 {
		return nil
	}
	out := make([]json.RawMessage, len(ms))
	for i, m := range ms {
		out[i] = cloneBytes(m)
	}
	return out
}

func cloneStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
