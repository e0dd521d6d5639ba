package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors every implementation returns, wrapped, so that callers can
// use errors.Is.
var (
	// ErrNotFound reports that the record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict reports that a record with the same id already exists.
	ErrConflict = errors.New("store: already exists")
	// ErrInvalid reports an argument the store refuses, such as a malformed
	// cursor.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrUnavailable reports that the backing store could not be reached or
	// failed; callers fail closed on it.
	ErrUnavailable = errors.New("store: unavailable")
)

// Client is the stored record of an OAuth 2.0 client (RFC 6749 §2). The
// secret is never stored: SecretHash is HMAC-SHA256 of it under a subkey of
// secrets.system.
type Client struct {
	ID                     string            `json:"id"`
	SecretHash             []byte            `json:"secret_hash,omitempty"`
	JWKS                   json.RawMessage   `json:"jwks,omitempty"`
	RedirectURIs           []string          `json:"redirect_uris,omitempty"`
	PostLogoutRedirectURIs []string          `json:"post_logout_redirect_uris,omitempty"`
	GrantTypes             []string          `json:"grant_types,omitempty"`
	Scopes                 []string          `json:"scopes,omitempty"`
	Audiences              []string          `json:"audiences,omitempty"`
	FirstParty             bool              `json:"first_party"`
	TokenRevocation        bool              `json:"token_revocation"`
	Introspect             bool              `json:"introspect"`
	RevocationEvents       bool              `json:"revocation_events"`
	Disabled               bool              `json:"disabled"`
	Policies               []json.RawMessage `json:"policies,omitempty"`
	ActorPolicy            json.RawMessage   `json:"actor_policy,omitempty"`
	// TrustedTokenIssuers are the issuers whose JWTs the client may trade
	// with the jwt-bearer grant (RFC 7523 §2.1).
	TrustedTokenIssuers []TrustedTokenIssuer `json:"trusted_token_issuers,omitempty"`
	AccessTTL           time.Duration        `json:"access_ttl,omitempty"`
	IDTTL               time.Duration        `json:"id_ttl,omitempty"`
	RefreshIdleTTL      time.Duration        `json:"refresh_idle_ttl,omitempty"`
	RefreshMaxTTL       time.Duration        `json:"refresh_max_ttl,omitempty"`
	CreatedAt           time.Time            `json:"created_at"`
	UpdatedAt           time.Time            `json:"updated_at"`
}

// TrustedTokenIssuer is an external issuer whose JWTs a client may present
// as jwt-bearer assertions (RFC 7523 §2.1). Exactly one of JWKSURI and JWKS
// is set.
type TrustedTokenIssuer struct {
	// Issuer is the iss the assertions carry, compared exactly.
	Issuer string `json:"issuer"`
	// JWKSURI is the https URL of the issuer's JWK Set.
	JWKSURI string `json:"jwks_uri,omitempty"`
	// JWKS is the issuer's JWK Set, inline.
	JWKS json.RawMessage `json:"jwks,omitempty"`
	// Audience is the value the assertions' aud must contain, exactly.
	Audience string `json:"audience"`
	// UserClaim names the string claim that is the user (empty: sub).
	UserClaim string `json:"user_claim,omitempty"`
}

// Clients stores OAuth 2.0 client records.
type Clients interface {
	// GetClient returns the client with id, or ErrNotFound.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns every client, ordered by id.
	ListClients(ctx context.Context) ([]Client, error)
	// CreateClient stores a new client, or returns ErrConflict.
	CreateClient(ctx context.Context, c Client) error
	// UpdateClient replaces an existing client, or returns ErrNotFound.
	UpdateClient(ctx context.Context, c Client) error
	// DeleteClient removes a client, or returns ErrNotFound.
	DeleteClient(ctx context.Context, id string) error
}

// SigningKey is a stored JWS signing key. The private part is sealed
// (AES-GCM under a subkey of secrets.system) by the jwks package; the store
// never sees it in the clear.
type SigningKey struct {
	KID           string          `json:"kid"`
	Alg           string          `json:"alg"`
	PublicJWK     json.RawMessage `json:"public_jwk"`
	SealedPrivate []byte          `json:"sealed_private"`
	CreatedAt     time.Time       `json:"created_at"`
	// SignsFrom is when the key starts signing; until then it is only
	// published. A key stops signing when a newer key's SignsFrom passes.
	SignsFrom time.Time `json:"signs_from"`
}

// SigningKeys stores the issuer's signing keys.
type SigningKeys interface {
	// ListSigningKeys returns every stored key, ordered by SignsFrom.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// PutSigningKey creates or replaces the key with k.KID.
	PutSigningKey(ctx context.Context, k SigningKey) error
	// DeleteSigningKey removes a key, or returns ErrNotFound.
	DeleteSigningKey(ctx context.Context, kid string) error
}

// Locks are advisory, expiring locks shared by every issuer instance (for
// example: one instance rotates keys at a time).
type Locks interface {
	// AcquireLock takes the lock name for owner until ttl passes, and reports
	// whether it did. An owner may re-acquire its own lock to extend it.
	AcquireLock(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// ReleaseLock frees the lock if owner still holds it.
	ReleaseLock(ctx context.Context, name, owner string) error
}

// Nonces is a replay cache for one-time identifiers, such as the jti of a
// client assertion (RFC 7523 §3).
type Nonces interface {
	// ClaimNonce records key until expiresAt and reports true, or reports
	// false when key was already recorded and has not expired.
	ClaimNonce(ctx context.Context, key string, expiresAt time.Time) (bool, error)
}

// User is the stored record of an end user who signs in on the hosted
// login page. PasswordHash is an argon2id PHC string; the password itself
// is never stored.
type User struct {
	Username     string            `json:"username"`
	PasswordHash string            `json:"password_hash"`
	Email        string            `json:"email,omitempty"`
	Policies     []json.RawMessage `json:"policies,omitempty"`
	Disabled     bool              `json:"disabled"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// Users stores end users.
type Users interface {
	// GetUser returns the user, or ErrNotFound.
	GetUser(ctx context.Context, username string) (User, error)
	// ListUsers returns every user, ordered by username.
	ListUsers(ctx context.Context) ([]User, error)
	// CreateUser stores a new user, or returns ErrConflict.
	CreateUser(ctx context.Context, u User) error
	// UpdateUser replaces an existing user, or returns ErrNotFound.
	UpdateUser(ctx context.Context, u User) error
	// DeleteUser removes a user, or returns ErrNotFound.
	DeleteUser(ctx context.Context, username string) error
}

// AuditRecord is one administrative change: who made it (the admin
// credential's id, never the credential), what, when, on which target, and
// the target before and after (secrets removed by the caller).
type AuditRecord struct {
	ID     string          `json:"id"` // assigned by the store, increasing
	Time   time.Time       `json:"time"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"` // e.g. client.create
	Target string          `json:"target"` // e.g. client/web
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// Audit is the append-only trail of administrative changes.
type Audit interface {
	// AppendAudit stores r and returns it with its ID set.
	AppendAudit(ctx context.Context, r AuditRecord) (AuditRecord, error)
	// ListAudit returns up to limit records, newest first, older than the
	// record with id before (all, when before is empty).
	ListAudit(ctx context.Context, limit int, before string) ([]AuditRecord, error)
}

// IAMUser is an IAM user (DESIGN.md "IAM model"): a principal
// arn:<partition>:iam::<account>:user/<Name> with identity policies. Its
// access keys are stored apart (AccessKeys).
type IAMUser struct {
	Name      string            `json:"name"`
	ID        string            `json:"id"` // AIDA…, the aws:userid
	Policies  []json.RawMessage `json:"policies,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// IAMUsers stores IAM users.
type IAMUsers interface {
	// GetIAMUser returns the user, or ErrNotFound.
	GetIAMUser(ctx context.Context, name string) (IAMUser, error)
	// ListIAMUsers returns every user, ordered by name.
	ListIAMUsers(ctx context.Context) ([]IAMUser, error)
	// CreateIAMUser stores a new user, or returns ErrConflict.
	CreateIAMUser(ctx context.Context, u IAMUser) error
	// UpdateIAMUser replaces an existing user, or returns ErrNotFound.
	UpdateIAMUser(ctx context.Context, u IAMUser) error
	// DeleteIAMUser removes a user, or returns ErrNotFound.
	DeleteIAMUser(ctx context.Context, name string) error
}

// AccessKey is a long-term IAM access key (AKIA…). The secret is sealed
// (AES-GCM, bound to the key id) by the iam package: SigV4 needs it back.
type AccessKey struct {
	ID            string    `json:"id"`
	UserName      string    `json:"user_name"`
	SealedSecret  []byte    `json:"sealed_secret"`
	Active        bool      `json:"active"`
	CreatedAt     time.Time `json:"created_at"`
	DeactivatedAt time.Time `json:"deactivated_at,omitzero"`
}

// AccessKeys stores access keys, found by id (on every signed request) and
// by user.
type AccessKeys interface {
	// GetAccessKey returns the key with id, or ErrNotFound.
	GetAccessKey(ctx context.Context, id string) (AccessKey, error)
	// ListAccessKeys returns the keys of a user, ordered by CreatedAt then id.
	ListAccessKeys(ctx context.Context, userName string) ([]AccessKey, error)
	// CreateAccessKey stores a new key, or returns ErrConflict.
	CreateAccessKey(ctx context.Context, k AccessKey) error
	// UpdateAccessKey replaces an existing key (to deactivate it), or
	// returns ErrNotFound. The user name may not change.
	UpdateAccessKey(ctx context.Context, k AccessKey) error
	// DeleteAccessKey removes a key, or returns ErrNotFound.
	DeleteAccessKey(ctx context.Context, id string) error
}

// IAMRole is an IAM role: a trust policy saying who may assume it, identity
// policies for its sessions and the longest session it grants.
type IAMRole struct {
	Name               string            `json:"name"`
	ID                 string            `json:"id"` // AROA…
	MaxSessionDuration time.Duration     `json:"max_session_duration"`
	TrustPolicy        json.RawMessage   `json:"trust_policy"`
	Policies           []json.RawMessage `json:"policies,omitempty"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
}

// IAMRoles stores IAM roles.
type IAMRoles interface {
	// GetIAMRole returns the role, or ErrNotFound.
	GetIAMRole(ctx context.Context, name string) (IAMRole, error)
	// ListIAMRoles returns every role, ordered by name.
	ListIAMRoles(ctx context.Context) ([]IAMRole, error)
	// CreateIAMRole stores a new role, or returns ErrConflict.
	CreateIAMRole(ctx context.Context, r IAMRole) error
	// UpdateIAMRole replaces an existing role, or returns ErrNotFound.
	UpdateIAMRole(ctx context.Context, r IAMRole) error
	// DeleteIAMRole removes a role, or returns ErrNotFound.
	DeleteIAMRole(ctx context.Context, name string) error
}

// OrgPolicies stores the organisation guardrail policies (SCP-like), as
// one ordered list replaced as a whole.
type OrgPolicies interface {
	// GetOrgPolicies returns the stored guardrails (none: an empty list).
	GetOrgPolicies(ctx context.Context) ([]json.RawMessage, error)
	// PutOrgPolicies replaces the stored guardrails.
	PutOrgPolicies(ctx context.Context, policies []json.RawMessage) error
}

// AuthorizationCode is a pending authorization code grant (RFC 6749 §4.1):
// what the code stands for, stored under the SHA-256 of the code.
type AuthorizationCode struct {
	Hash                string    `json:"hash"` // hex SHA-256 of the code
	ClientID            string    `json:"client_id"`
	RedirectURI         string    `json:"redirect_uri"`
	Subject             string    `json:"subject"`
	Username            string    `json:"username"`
	Scopes              []string  `json:"scopes,omitempty"`
	Audience            []string  `json:"audience,omitempty"`
	CodeChallenge       string    `json:"code_challenge,omitempty"`
	CodeChallengeMethod string    `json:"code_challenge_method,omitempty"`
	Nonce               string    `json:"nonce,omitempty"`
	AuthTime            time.Time `json:"auth_time"`
	SessionID           string    `json:"sid,omitempty"`
	// OriginJTI is the lineage every token of this grant will share.
	OriginJTI string    `json:"origin_jti"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AuthorizationCodes stores authorization codes, each usable once.
type AuthorizationCodes interface {
	// CreateAuthorizationCode stores a code until its ExpiresAt, or
	// returns ErrConflict.
	CreateAuthorizationCode(ctx context.Context, c AuthorizationCode) error
	// ConsumeAuthorizationCode atomically marks the code used and returns
	// it. An unknown or expired code is ErrNotFound; a code used before
	// returns its record with an error wrapping ErrConflict, so that the
	// caller can revoke what the first use issued (RFC 6749 §4.1.2).
	ConsumeAuthorizationCode(ctx context.Context, hash string) (AuthorizationCode, error)
}

// RefreshToken is one opaque refresh token of a lineage, stored under the
// SHA-256 of the token. Rotation replaces it by the next token of the
// same family (OriginJTI) and keeps it, marked rotated, until it would
// have expired, so that its reuse is recognised.
type RefreshToken struct {
	Hash      string    `json:"hash"` // hex SHA-256 of the token
	OriginJTI string    `json:"origin_jti"`
	ClientID  string    `json:"client_id"`
	Subject   string    `json:"subject"`
	Username  string    `json:"username,omitempty"`
	Scopes    []string  `json:"scopes,omitempty"`
	Audience  []string  `json:"audience,omitempty"`
	AuthTime  time.Time `json:"auth_time"`
	SessionID string    `json:"sid,omitempty"`
	IssuedAt  time.Time `json:"issued_at"`
	// FamilyIssuedAt is when the original grant was made
	// (tokens.refresh_max_ttl counts from it).
	FamilyIssuedAt time.Time `json:"family_issued_at"`
	// ExpiresAt is when this token expires unused: the earlier of the
	// idle and the absolute limit.
	ExpiresAt time.Time `json:"expires_at"`
	// RotatedAt is when the token was exchanged; zero while it is the
	// family's current token.
	RotatedAt time.Time `json:"rotated_at,omitzero"`
	// IAMPrincipal, IAMSource and IAMSessionIssuedAt are, for a token
	// minted through CreateTokenWithIAM, the IAM caller it was issued to
	// (the claims iam_principal, iam_source and iam_session_iat): the
	// principals' before-T rules cover the token too.
	IAMPrincipal       string    `json:"iam_principal,omitempty"`
	IAMSource          string    `json:"iam_source,omitempty"`
	IAMSessionIssuedAt time.Time `json:"iam_session_iat,omitzero"`
	// NotAfter, when set, is when the family ends whatever its lifetimes
	// say: for a token-exchange lineage, the subject token's exp (RFC
	// 8693; no token of it may outlive the subject).
	NotAfter time.Time `json:"not_after,omitzero"`
	// Act is the RFC 8693 §4.1 act claim the family's access tokens carry
	// (token exchange), as JSON.
	Act json.RawMessage `json:"act,omitempty"`
}

// RefreshTokens stores refresh-token families. Rotation is one atomic step
// that also works on a Redis Cluster (a family's keys share a hash slot).
type RefreshTokens interface {
	// CreateRefreshToken stores the first token of a family, or returns
	// ErrConflict.
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// GetRefreshToken returns a token of a family, or ErrNotFound (unknown
	// or expired).
	GetRefreshToken(ctx context.Context, originJTI, hash string) (RefreshToken, error)
	// RotateRefreshToken atomically marks the family's token oldHash
	// rotated at `at` and stores next (same OriginJTI). It returns the old
	// record; ErrNotFound if oldHash is unknown or expired; and, if oldHash
	// was rotated before (reuse, including the loser of two concurrent
	// rotations), the old record with an error wrapping ErrConflict and
	// nothing written.
	RotateRefreshToken(ctx context.Context, originJTI, oldHash string, at time.Time, next RefreshToken) (RefreshToken, error)
	// RotateRefreshTokenChecked is RotateRefreshToken with the revocation
	// set's RevocationStatus(q) read in the same round trip. The rotation
	// does not depend on the status: a caller that finds the old token
	// revoked refuses to hand out the next one.
	RotateRefreshTokenChecked(ctx context.Context, originJTI, oldHash string, at time.Time, next RefreshToken, q RevocationQuery) (RefreshToken, RevocationStatus, error)
}

// LoginSession is a browser's signed-in session at the hosted login page.
type LoginSession struct {
	ID        string    `json:"id"` // the OIDC sid
	Username  string    `json:"username"`
	AuthTime  time.Time `json:"auth_time"`
	ExpiresAt time.Time `json:"expires_at"`
}

// LoginSessions stores login sessions until they expire.
type LoginSessions interface {
	// CreateLoginSession stores a session until ExpiresAt, or returns
	// ErrConflict.
	CreateLoginSession(ctx context.Context, s LoginSession) error
	// GetLoginSession returns a live session, or ErrNotFound.
	GetLoginSession(ctx context.Context, id string) (LoginSession, error)
	// DeleteLoginSession ends a session (RP-initiated logout); deleting an
	// unknown one is not an error.
	DeleteLoginSession(ctx context.Context, id string) error
}

// Consent is what a user approved for a client.
type Consent struct {
	Username  string    `json:"username"`
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	GrantedAt time.Time `json:"granted_at"`
}

// Consents remembers consent per user and client.
type Consents interface {
	// GetConsent returns the consent, or ErrNotFound.
	GetConsent(ctx context.Context, username, clientID string) (Consent, error)
	// PutConsent creates or replaces the consent.
	PutConsent(ctx context.Context, c Consent) error
}

// Throttles count failures per key in a fixed window (login throttling
// per username and per client IP).
type Throttles interface {
	// HitThrottle adds one to key's count and returns the new count; the
	// count starts at 1 and expires window after the first hit.
	HitThrottle(ctx context.Context, key string, window time.Duration) (int64, error)
	// ThrottleCount returns key's current count (0 when none).
	ThrottleCount(ctx context.Context, key string) (int64, error)
	// ResetThrottle forgets key's count.
	ResetThrottle(ctx context.Context, key string) error
}

// RateLimit is a limit of Rate events per Period, in bursts of up to Burst
// events at once, enforced with the generic cell rate algorithm (GCRA):
// events are spaced Period/Rate apart on average, and a quiet key saves up
// to Burst of them.
type RateLimit struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// RateDecision is the answer of a rate limiter.
type RateDecision struct {
	Allowed bool
	// Remaining is, when Allowed, how many more events would fit at once
	// after this one.
	Remaining int
	// RetryAfter is, when not Allowed, how long until one more event
	// would be.
	RetryAfter time.Duration
}

// RateLimits are rate limiters shared by every issuer instance, one per
// key (for example: /token requests per client, failed client
// authentications per client IP). A limit whose Rate, Period or Burst is
// not positive is refused with ErrInvalid.
type RateLimits interface {
	// AllowRate reports whether one more event for key fits limit and, if
	// it does, counts it; a refused event is not counted.
	AllowRate(ctx context.Context, key string, limit RateLimit) (RateDecision, error)
}

// Store is everything one backing store provides.
type Store interface {
	Clients
	SigningKeys
	Locks
	Nonces
	Users
	Audit
	IAMUsers
	AccessKeys
	IAMRoles
	OrgPolicies
	AuthorizationCodes
	RefreshTokens
	LoginSessions
	Consents
	Throttles
	RateLimits
	Revocations
	// Ping reports whether the store is reachable (ErrUnavailable if not).
	Ping(ctx context.Context) error
	// Close releases the store's connections.
	Close() error
}

// Revocation kinds and the scopes of before-T rules (DESIGN.md "Revocation
// model", "Revocation events").
const (
	RevokeJTI    = "jti"        // one token, by its jti
	RevokeOrigin = "origin_jti" // a lineage: every token sharing the origin_jti
	RevokeBefore = "before"     // every token of Scope/ID with iat <= Before
	RevokePolicy = "policy"     // the policies of account ID changed

	ScopeSubject   = "subject"
	ScopeClient    = "client"
	ScopePrincipal = "principal"
	ScopeAccount   = "account"
)

// Revocation is one entry of the revocation set, as it travels on the
// event stream. Before and Until are unix seconds; the entry is dropped
// once Until has passed (the last token it can affect has expired).
type Revocation struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Scope  string `json:"scope,omitempty"`
	Before int64  `json:"before,omitempty"`
	Until  int64  `json:"until"`
}

// RevocationEvent is a revocation as appended to the event stream; ID is
// the stream id ("<ms>-<seq>"), increasing.
type RevocationEvent struct {
	ID string `json:"-"`
	Revocation
}

// RevocationQuery names the entries that can cover one token: its jti, its
// origin_jti and the ids of its before-T rules. Empty fields are not read.
type RevocationQuery struct {
	JTI       string
	OriginJTI string
	Subject   string
	Client    string
	// Principals are the IAM principals whose before-T rules can cover
	// the token: for an IAM-minted token the caller (a user, or the role
	// of a session) and the principal whose credentials assumed the role.
	Principals []string
	// PolicyAccount is the account whose policy generation to read (for
	// an IAM-minted token: its policies are re-evaluated when they change).
	PolicyAccount string
	// ClientRecords are ids of stored clients to read in the same round
	// trip (an introspection reads its caller and the token's client with
	// the check).
	ClientRecords []string
}

// RevocationStatus is what the revocation set holds for a query: whether
// the jti and the origin_jti are revoked, and the T of each before-T rule
// (0: none).
type RevocationStatus struct {
	JTI           bool
	OriginJTI     bool
	SubjectBefore int64
	ClientBefore  int64
	// PrincipalBefore is the latest T of the Principals' rules.
	PrincipalBefore int64
	// PolicyGeneration is how many times PolicyAccount's policies changed
	// within the revocation horizon (0: not since).
	PolicyGeneration int64
	// Clients holds the stored clients of ClientRecords that exist, by id
	// (enabled or not); an id without a record is absent.
	Clients map[string]Client
}

// Revocations stores the revocation set and its event stream.
type Revocations interface {
	// PutRevocation records r until r.Until and then appends it to the
	// event stream (trimmed to events newer than trimBefore: events of an
	// earlier millisecond are dropped, the new one too if trimBefore lies
	// beyond it), returning the event's stream id. A jti or origin_jti
	// already revoked keeps the later Until; a before rule already present
	// keeps the later Before and the later Until; a policy revocation
	// advances the account's policy generation. An invalid r (unknown kind
	// or scope, empty ID, a before rule without a positive Before), or one
	// whose Until is not after the store's clock, is ErrInvalid and nothing
	// is written. With waitReplicas > 0 the entry and the event must be
	// acknowledged by that many replicas (Redis WAIT) within a second, or
	// the result is an error wrapping ErrUnavailable (what was written
	// stays); a store without replicas ignores waitReplicas.
	PutRevocation(ctx context.Context, r Revocation, trimBefore time.Time, waitReplicas int) (string, error)
	// RevocationStatus reads every entry q names in one round trip; an
	// entry whose Until has passed reads as absent.
	RevocationStatus(ctx context.Context, q RevocationQuery) (RevocationStatus, error)
	// RevocationEvents returns up to limit events with stream ids greater
	// than after ("0" or "": from the first), oldest first; a limit that is
	// not positive or is above 1000 means 1000. When there are none it
	// waits up to wait for one (wait 0: it does not wait) and returns an
	// empty list if none came; a ctx done during the wait ends it with an
	// error wrapping ctx's. A malformed after is ErrInvalid.
	RevocationEvents(ctx context.Context, after string, limit int, wait time.Duration) ([]RevocationEvent, error)
	// LastRevocationEvent returns the newest stream id, "0-0" when the
	// stream is empty.
	LastRevocationEvent(ctx context.Context) (string, error)
}
