package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Bounds of every request to the issuer other than the event stream.
const (
	fetchTimeout  = 5 * time.Second
	maxFetchBytes = 1 << 20
)

// Bounds of JWK Set refreshes: a kid the Verifier does not know fetches
// the set at most once per minKeyRefresh (a stream of tokens with made-up
// kids cannot turn the Verifier against the issuer); otherwise the set is
// refetched after its Cache-Control max-age, clamped to
// [minKeyRefresh, maxKeyRefresh], defaultKeyRefresh without one.
const (
	minKeyRefresh     = 10 * time.Second
	maxKeyRefresh     = time.Hour
	defaultKeyRefresh = 5 * time.Minute
)

// keySet is one fetched JWK Set (RFC 7517 §5): the public signing keys by
// kid. It is never modified once published.
type keySet struct {
	byKID map[string]jose.JSONWebKey
}

// keyStore holds the issuer's current JWK Set and refetches it.
type keyStore struct {
	url    string
	client *http.Client
	now    func() time.Time

	set atomic.Pointer[keySet]
	// refreshEvery is the period of background refreshes, from the last
	// response's max-age.
	refreshEvery atomic.Int64

	mu sync.Mutex // serialises fetches
	// lastOnDemand is when a fetch for an unknown kid last happened.
	lastOnDemand time.Time
}

func newKeyStore(url string, client *http.Client, now func() time.Time) *keyStore {
	k := &keyStore{url: url, client: client, now: now}
	k.set.Store(&keySet{byKID: map[string]jose.JSONWebKey{}})
	k.refreshEvery.Store(int64(defaultKeyRefresh))
	return k
}

// has reports whether kid is in the current set.
func (k *keyStore) has(kid string) bool {
	_, ok := k.set.Load().byKID[kid]
	return ok
}

// key returns the key kid. A kid not in the set refetches the set, at most
// once per minKeyRefresh; concurrent callers wait for that one fetch.
func (k *keyStore) key(ctx context.Context, kid string) (jose.JSONWebKey, bool) {
	if key, ok := k.set.Load().byKID[kid]; ok {
		return key, true
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.set.Load().byKID[kid]; ok {
		return key, true
	}
	now := k.now()
	if !k.lastOnDemand.IsZero() && now.Sub(k.lastOnDemand) < minKeyRefresh {
		return jose.JSONWebKey{}, false
	}
	k.lastOnDemand = now
	// The fetch serves every later caller: it does not end with ctx.
	if err := k.fetchLocked(context.WithoutCancel(ctx)); err != nil {
		return jose.JSONWebKey{}, false
	}
	key, ok := k.set.Load().byKID[kid]
	return key, ok
}

// refresh refetches the set.
func (k *keyStore) refresh(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.fetchLocked(ctx)
}

// fetchLocked fetches the JWK Set, bounded in time and size, and publishes
// its public signing keys. A failed fetch keeps the current set.
func (k *keyStore) fetchLocked(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return fmt.Errorf("verify: JWK Set: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("verify: JWK Set: %w", err)
	}
	defer resp.Body.Close()
	body, err := readBounded(resp.Body, maxFetchBytes)
	if err != nil {
		return fmt.Errorf("verify: JWK Set: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("verify: JWK Set: status %d", resp.StatusCode)
	}
	var doc jose.JSONWebKeySet
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("verify: JWK Set: %w", err)
	}
	set := &keySet{byKID: make(map[string]jose.JSONWebKey, len(doc.Keys))}
	for _, key := range doc.Keys {
		// Only public signing keys with a kid (RFC 7517 §4.2, §4.5);
		// a private or symmetric key in the set is ignored.
		if key.KeyID == "" || !key.IsPublic() || !key.Valid() || (key.Use != "" && key.Use != "sig") {
			continue
		}
		set.byKID[key.KeyID] = key
	}
	k.set.Store(set)
	k.refreshEvery.Store(int64(maxAge(resp.Header.Get("Cache-Control"))))
	return nil
}

// maxAge returns the refresh period a Cache-Control header asks for (RFC
// 9111 §5.2.2.1), clamped.
func maxAge(cacheControl string) time.Duration {
	for _, d := range strings.Split(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
		if !strings.EqualFold(name, "max-age") {
			continue
		}
		secs, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
		if err != nil || secs < 0 {
			break
		}
		return min(max(time.Duration(secs)*time.Second, minKeyRefresh), maxKeyRefresh)
	}
	return defaultKeyRefresh
}

var errTooLarge = errors.New("response too large")

// readBounded reads r, failing if it holds more than limit bytes.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w (over %d bytes)", errTooLarge, limit)
	}
	return b, nil
}
