package iam

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/lineage-oss/lineage/iam/policy"
	"github.com/lineage-oss/lineage/secrets"
	"github.com/lineage-oss/lineage/store"
)

// Errors of credential lookups, each mapped by callers to an AWS error
// code (InvalidClientTokenId, ExpiredToken).
var (
	// ErrUnknownKey reports an access key id that names no active key.
	ErrUnknownKey = errors.New("iam: unknown or inactive access key")
	// ErrReadOnly reports a change to a principal from the configuration file.
	ErrReadOnly = errors.New("iam: the entry comes from the configuration file and is read-only")
	// ErrInvalid reports a request that breaks a rule; the message says which.
	ErrInvalid = errors.New("iam: invalid request")
)

// Principal is an authenticated IAM caller: a user (long-term key) or a
// role session (temporary key).
type Principal struct {
	ARN         string
	UserID      string // aws:userid: AIDA… or AROA…:session
	Username    string // users only
	Account     string
	RoleName    string // sessions only
	RoleARN     string // sessions only
	SessionName string // sessions only
	SourceARN   string // sessions only: the principal that assumed the role
	AccessKeyID string
	// IssuedAt is when the credential was issued: the session's start, or
	// the access key's creation (aws:TokenIssueTime, iam_session_iat).
	IssuedAt time.Time
	// Policies are the identity policies: the user's, or the role's.
	Policies []json.RawMessage
	// SessionPolicy narrows a session's permissions.
	SessionPolicy json.RawMessage
}

// Temporary reports whether the principal signed with STS credentials.
func (p Principal) Temporary() bool { return p.RoleName != "" }

// StaticUser is an IAM user from the configuration file.
type StaticUser struct {
	Name       string
	Policies   []json.RawMessage
	AccessKeys map[string]string // id → secret
}

// StaticRole is an IAM role from the configuration file.
type StaticRole struct {
	Name               string
	MaxSessionDuration time.Duration
	TrustPolicy        json.RawMessage
	Policies           []json.RawMessage
}

// Stores are the IAM aggregates of the store.
type Stores struct {
	Users store.IAMUsers
	Keys  store.AccessKeys
	Roles store.IAMRoles
	Org   store.OrgPolicies
}

// Options configure a Directory.
type Options struct {
	Account Account
	Users   []StaticUser
	Roles   []StaticRole
	Org     []json.RawMessage
	Stores  Stores
	// Keyring derives the keys that seal access-key secrets and session
	// tokens and that make configured principals' ids stable.
	Keyring *secrets.Keyring
	Now     func() time.Time
	Rand    io.Reader
	// TracerProvider traces policy evaluation (nil: no traces).
	TracerProvider trace.TracerProvider
}

// Directory finds IAM principals: configured ones first, then stored ones.
type Directory struct {
	account     Account
	users       map[string]store.IAMUser
	roles       map[string]store.IAMRole
	staticKeys  map[string]staticKey
	org         []json.RawMessage
	stores      Stores
	keySealer   *secrets.Sealer
	tokenSealer *secrets.Sealer
	idKey       []byte
	now         func() time.Time
	rand        io.Reader
	tracer      trace.Tracer
	// parsed holds compiled policies by the SHA-256 of their stored text
	// (canonical JSON), for the checks made at every token use.
	parsed *lru.Cache[[sha256.Size]byte, *policy.Policy]
	// rechecked holds StillAllowed's decisions by policy generation.
	rechecked *expirable.LRU[string, bool]
	// orgStored are the stored org policies as read at orgReadAt (on the
	// monotonic clock: a cache, not a decision).
	orgMu     sync.Mutex
	orgStored []json.RawMessage
	orgReadAt time.Time
}

type staticKey struct {
	user   string
	secret string
}

// Purposes of the subkeys the Directory derives.
const (
	purposeAccessKeys = "lineage/iam-access-keys/v1"
	purposeSessions   = "lineage/iam-sessions/v1"
	purposeIDs        = "lineage/iam-ids/v1"
)

// NewDirectory returns a Directory.
func NewDirectory(o Options) (*Directory, error) {
	keySealer, err := o.Keyring.Sealer(purposeAccessKeys, o.Rand)
	if err != nil {
		return nil, err
	}
	tokenSealer, err := o.Keyring.Sealer(purposeSessions, o.Rand)
	if err != nil {
		return nil, err
	}
	parsed, err := lru.New[[sha256.Size]byte, *policy.Policy](parsedPolicies)
	if err != nil {
		return nil, fmt.Errorf("iam: policy cache: %w", err)
	}
	d := &Directory{
		account: o.Account, users: map[string]store.IAMUser{}, roles: map[string]store.IAMRole{},
		staticKeys: map[string]staticKey{}, org: o.Org, stores: o.Stores,
		keySealer: keySealer, tokenSealer: tokenSealer, idKey: o.Keyring.Subkey(purposeIDs),
		now: o.Now, rand: o.Rand, parsed: parsed,
		rechecked: expirable.NewLRU[string, bool](rechecks, nil, recheckTTL),
	}
	if o.TracerProvider == nil {
		o.TracerProvider = noop.NewTracerProvider()
	}
	d.tracer = o.TracerProvider.Tracer(instrumentation)
	for _, u := range o.Users {
		if _, dup := d.users[u.Name]; dup {
			return nil, fmt.Errorf("iam: user %q configured twice", u.Name)
		}
		d.users[u.Name] = store.IAMUser{Name: u.Name, ID: stableID(PrefixUserID, d.idKey, u.Name), Policies: u.Policies}
		for id, secret := range u.AccessKeys {
			if _, dup := d.staticKeys[id]; dup {
				return nil, fmt.Errorf("iam: access key %s configured twice", id)
			}
			d.staticKeys[id] = staticKey{user: u.Name, secret: secret}
		}
	}
	for _, r := range o.Roles {
		if _, dup := d.roles[r.Name]; dup {
			return nil, fmt.Errorf("iam: role %q configured twice", r.Name)
		}
		d.roles[r.Name] = store.IAMRole{Name: r.Name, ID: stableID(PrefixRoleID, d.idKey, r.Name),
			MaxSessionDuration: r.MaxSessionDuration, TrustPolicy: r.TrustPolicy, Policies: r.Policies}
	}
	return d, nil
}

// Account returns the deployment's account.
func (d *Directory) Account() Account { return d.account }

// user returns a configured or stored IAM user.
func (d *Directory) user(ctx context.Context, name string) (store.IAMUser, error) {
	if u, ok := d.users[name]; ok {
		return u, nil
	}
	u, err := d.stores.Users.GetIAMUser(ctx, name)
	if err != nil {
		return store.IAMUser{}, fmt.Errorf("iam: user %q: %w", name, err)
	}
	return u, nil
}

// role returns a configured or stored IAM role.
func (d *Directory) role(ctx context.Context, name string) (store.IAMRole, error) {
	if r, ok := d.roles[name]; ok {
		return r, nil
	}
	r, err := d.stores.Roles.GetIAMRole(ctx, name)
	if err != nil {
		return store.IAMRole{}, fmt.Errorf("iam: role %q: %w", name, err)
	}
	return r, nil
}

// OrgPolicies returns the guardrails: the configured ones, then the stored.
//
// The stored ones are remembered for OrgPolicyTTL (a token request would
// otherwise read them at each use); PutOrgPolicies forgets them at once on
// this instance, and a change reaches the others within OrgPolicyTTL.
func (d *Directory) OrgPolicies(ctx context.Context) ([]json.RawMessage, error) {
	d.orgMu.Lock()
	cached, at := d.orgStored, d.orgReadAt
	d.orgMu.Unlock()
	if at.IsZero() || time.Since(at) >= OrgPolicyTTL {
		stored, err := d.stores.Org.GetOrgPolicies(ctx)
		if err != nil {
			return nil, fmt.Errorf("iam: org policies: %w", err)
		}
		d.orgMu.Lock()
		d.orgStored, d.orgReadAt = stored, time.Now()
		d.orgMu.Unlock()
		cached = stored
	}
	return append(append([]json.RawMessage{}, d.org...), cached...), nil
}

// OrgPolicyTTL is how long a Directory remembers the stored org policies.
const OrgPolicyTTL = time.Second

// forgetOrgPolicies makes the next OrgPolicies read the store.
func (d *Directory) forgetOrgPolicies() {
	d.orgMu.Lock()
	d.orgReadAt = time.Time{}
	d.orgMu.Unlock()
}

// Authenticate returns the secret of an access key and the principal it
// belongs to, for SigV4 verification. A long-term key (AKIA) must come
// without a session token; a temporary key (ASIA) with the session token
// it was issued with.
func (d *Directory) Authenticate(ctx context.Context, accessKeyID, sessionToken string) (string, Principal, error) {
	switch {
	case len(accessKeyID) > 4 && accessKeyID[:4] == PrefixTemporaryKey:
		if sessionToken == "" {
			return "", Principal{}, ErrInvalidSessionToken
		}
		return d.authenticateSession(ctx, accessKeyID, sessionToken)
	case len(accessKeyID) > 4 && accessKeyID[:4] == PrefixAccessKey:
		if sessionToken != "" {
			return "", Principal{}, ErrInvalidSessionToken
		}
		return d.authenticateKey(ctx, accessKeyID)
	}
	return "", Principal{}, ErrUnknownKey
}

func (d *Directory) authenticateKey(ctx context.Context, id string) (string, Principal, error) {
	var userName, secret string
	var issued time.Time
	if k, ok := d.staticKeys[id]; ok {
		userName, secret = k.user, k.secret
	} else {
		k, err := d.stores.Keys.GetAccessKey(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return "", Principal{}, ErrUnknownKey
		}
		if err != nil {
			return "", Principal{}, fmt.Errorf("iam: access key: %w", err)
		}
		if !k.Active {
			return "", Principal{}, ErrUnknownKey
		}
		plain, err := d.keySealer.Open(k.SealedSecret, accessKeyAAD(k.ID))
		if err != nil {
			return "", Principal{}, fmt.Errorf("iam: access key %s: %w", k.ID, err)
		}
		userName, secret, issued = k.UserName, string(plain), k.CreatedAt
	}
	u, err := d.user(ctx, userName)
	if errors.Is(err, store.ErrNotFound) {
		return "", Principal{}, ErrUnknownKey
	}
	if err != nil {
		return "", Principal{}, err
	}
	return secret, Principal{
		ARN: d.account.UserARN(u.Name), UserID: u.ID, Username: u.Name, Account: d.account.ID,
		AccessKeyID: id, IssuedAt: issued, Policies: u.Policies,
	}, nil
}

func (d *Directory) authenticateSession(ctx context.Context, id, token string) (string, Principal, error) {
	s, err := openSession(d.tokenSealer, id, token, d.now())
	if err != nil {
		return "", Principal{}, err
	}
	r, err := d.role(ctx, s.RoleName)
	if errors.Is(err, store.ErrNotFound) || (err == nil && r.ID != s.RoleID) {
		return "", Principal{}, ErrInvalidSessionToken // the role is gone or was recreated
	}
	if err != nil {
		return "", Principal{}, err
	}
	return s.SecretAccessKey, Principal{
		ARN: d.account.AssumedRoleARN(r.Name, s.SessionName), UserID: r.ID + ":" + s.SessionName,
		Account: d.account.ID, RoleName: r.Name, RoleARN: d.account.RoleARN(r.Name), SessionName: s.SessionName,
		SourceARN: s.SourceARN, AccessKeyID: id, IssuedAt: time.Unix(s.IssuedAt, 0).UTC(), Policies: r.Policies, SessionPolicy: s.Policy,
	}, nil
}

func accessKeyAAD(id string) []byte { return []byte("access_key:" + id) }
