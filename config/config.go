package config

import "time"

// Config is the whole of lineage's configuration: the YAML file described
// in DESIGN.md ("Configuration"), after defaults and environment overrides.
//
// Fields tagged redact hold secrets: [Config.Redacted] hides them and no
// error message repeats them. Fields tagged env:"single" are lists that an
// environment variable may set to one element.
type Config struct {
	// Issuer is the OAuth 2.0 issuer identifier (RFC 8414 §2): an absolute
	// http(s) URL without query, fragment or trailing slash.
	Issuer  string  `yaml:"issuer"`
	HTTP    HTTP    `yaml:"http"`
	Store   Store   `yaml:"store"`
	Secrets Secrets `yaml:"secrets"`
	Tokens  Tokens  `yaml:"tokens"`
	Keys    Keys    `yaml:"keys"`
	Log     Log     `yaml:"log"`
	// Telemetry configures OpenTelemetry traces (off unless an endpoint
	// is set).
	Telemetry Telemetry `yaml:"telemetry"`
	// RateLimits are the rate limits shared by every instance.
	RateLimits RateLimits `yaml:"rate_limits"`
	// Clients are the OAuth clients known from the file (RFC 6749 §2).
	Clients []Client `yaml:"clients"`
	// Users are the people who may sign in on the hosted login page.
	Users []User `yaml:"users"`
	// IAM is the AWS-compatible account: principals and policies.
	IAM IAM `yaml:"iam"`
}

// HTTP configures the two listeners.
type HTTP struct {
	// Public is the host:port of the OAuth / OIDC / STS listener.
	Public string `yaml:"public"`
	// Admin is the host:port of the admin API listener; it must differ
	// from Public.
	Admin string `yaml:"admin"`
	// AdminToken is the bearer token of the admin API (at least 32
	// characters outside --dev).
	AdminToken string `yaml:"admin_token" redact:"true"`
	// TrustedProxies are the IP addresses or CIDR prefixes whose forwarding
	// headers (client IP, host) are believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// MaxBodyBytes bounds every request body (default 64 KiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// Store selects the storage: the embedded in-memory store when neither
// RedisURL nor Redis.Addrs is set, otherwise Redis.
type Store struct {
	// RedisURL is a redis:// or rediss:// URL of one Redis node.
	RedisURL string `yaml:"redis_url" redact:"url"`
	// Redis configures Sentinel (MasterName) or Cluster (several Addrs).
	Redis Redis `yaml:"redis"`
	// RevocationWaitReplicas is how many replicas must acknowledge a
	// revocation (Redis WAIT) before it is reported done; 0 waits for none.
	RevocationWaitReplicas int `yaml:"revocation_wait_replicas"`
}

// Redis configures a Redis deployment reached through several addresses:
// Sentinel when MasterName is set, Cluster when there are several Addrs and
// no MasterName, one node otherwise.
type Redis struct {
	// Addrs are host:port pairs: Sentinels, Cluster nodes, or one node.
	Addrs []string `yaml:"addrs"`
	// MasterName is the Sentinel master to follow.
	MasterName string `yaml:"master_name"`
	// Username and Password authenticate to Redis (ACL or requirepass).
	Username string `yaml:"username"`
	Password string `yaml:"password" redact:"true"`
	// DB is the database number (0 with Cluster).
	DB int `yaml:"db"`
	// TLS connects with TLS.
	TLS bool `yaml:"tls"`
}

// Secrets holds the root secrets from which every subkey is derived with
// HKDF (DESIGN.md "Secrets and keys").
type Secrets struct {
	// System lists the root secrets: the first encrypts, all decrypt, so a
	// new secret is rotated in by putting it first. In YAML it may be one
	// string or a list.
	System []string `yaml:"system" redact:"true" env:"single"`
}

// Tokens sets token lifetimes and signing (DESIGN.md "Tokens").
type Tokens struct {
	// AccessTTL is the lifetime of access tokens (RFC 9068).
	AccessTTL Duration `yaml:"access_ttl"`
	// IDTTL is the lifetime of OpenID Connect ID tokens.
	IDTTL Duration `yaml:"id_ttl"`
	// RefreshIdleTTL ends a refresh-token family after this long unused.
	RefreshIdleTTL Duration `yaml:"refresh_idle_ttl"`
	// RefreshMaxTTL ends a refresh-token family this long after the
	// original grant, used or not.
	RefreshMaxTTL Duration `yaml:"refresh_max_ttl"`
	// RefreshReuseGrace is how long after its rotation a refresh token may
	// be presented again without counting as reuse (0: never).
	RefreshReuseGrace Duration `yaml:"refresh_reuse_grace"`
	// SigningAlg is the JWS algorithm of issued tokens: ES256, RS256 or
	// EdDSA.
	SigningAlg string `yaml:"signing_alg"`
	// DefaultAudience is the aud of access tokens when neither the request
	// nor the client names one; empty means the issuer URL.
	DefaultAudience string `yaml:"default_audience"`
	// Leeway is the clock skew tolerated when checking exp, nbf and iat.
	Leeway Duration `yaml:"leeway"`
}

// Keys configures signing-key rotation and the JWKS document.
type Keys struct {
	// RotateEvery is how often a new signing key takes over.
	RotateEvery Duration `yaml:"rotate_every"`
	// JWKSMaxAge is the Cache-Control max-age of the JWKS document; a new
	// key is published at least this long before it signs.
	JWKSMaxAge Duration `yaml:"jwks_max_age"`
}

// Log configures logging.
type Log struct {
	// Level is one of debug, info, warn, error.
	Level string `yaml:"level"`
}

// Telemetry configures the export of OpenTelemetry traces over OTLP/HTTP
// (protobuf). With no OTLPEndpoint nothing is traced or exported.
type Telemetry struct {
	// OTLPEndpoint is the http(s) URL of an OTLP/HTTP collector, e.g.
	// http://otel-collector:4318; without a path, /v1/traces is used.
	// Empty turns tracing off.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
	// ServiceName is the service.name resource attribute of the spans.
	ServiceName string `yaml:"service_name"`
	// SampleRatio is the share of traces started here that are sampled,
	// from 0 to 1; a request carrying a W3C traceparent follows its
	// caller's decision.
	SampleRatio float64 `yaml:"sample_ratio"`
}

// Client is an OAuth 2.0 client registered in the file (RFC 6749 §2).
// At most one of Secret, SecretHash and JWKS is set; none makes a public
// client.
type Client struct {
	// ID is the client_id: any string, an ARN included.
	ID string `yaml:"id"`
	// Secret is the client secret in clear (at least 32 characters outside
	// --dev).
	Secret string `yaml:"secret" redact:"true"`
	// SecretHash is the unpadded base64url HMAC-SHA256 of the secret under
	// the client-secret subkey of secrets.system.
	SecretHash string `yaml:"secret_hash" redact:"true"`
	// JWKS holds the client's public keys for private_key_jwt
	// authentication (RFC 7523 §2.2, OIDC Core §9).
	JWKS Document `yaml:"jwks"`
	// RedirectURIs are the registered redirection endpoints (RFC 6749 §3.1.2).
	RedirectURIs []string `yaml:"redirect_uris"`
	// PostLogoutRedirectURIs are where RP-initiated logout may return.
	PostLogoutRedirectURIs []string `yaml:"post_logout_redirect_uris"`
	// GrantTypes defaults to authorization_code and refresh_token for a
	// client with redirect URIs, client_credentials otherwise.
	GrantTypes []string `yaml:"grant_types"`
	// Scopes the client may request (RFC 6749 §3.3).
	Scopes []string `yaml:"scopes"`
	// Audiences the client may request with resource or audience (RFC 8707).
	Audiences []string `yaml:"audiences"`
	// FirstParty skips the consent page.
	FirstParty bool `yaml:"first_party"`
	// TokenRevocation enables RFC 7009 revocation for the client; nil
	// means true. See [Client.TokenRevocationEnabled].
	TokenRevocation *bool `yaml:"token_revocation"`
	// Introspect lets the client introspect other clients' tokens (RFC 7662).
	Introspect bool `yaml:"introspect"`
	// RevocationEvents lets the client read the revocation event stream.
	RevocationEvents bool `yaml:"revocation_events"`
	// Disabled refuses every request from or for the client.
	Disabled bool `yaml:"disabled"`
	// Policies are Deny-only documents for sso-oauth:CreateToken.
	Policies []Document `yaml:"policies"`
	// ActorPolicy is the client's resource policy naming the IAM principals
	// that may obtain its tokens with IAM credentials.
	ActorPolicy Document `yaml:"actor_policy"`
	// TrustedTokenIssuers are the issuers whose JWTs the client may trade
	// with the jwt-bearer grant (RFC 7523 §2.1).
	TrustedTokenIssuers []TrustedTokenIssuer `yaml:"trusted_token_issuers"`
	// Per-client lifetimes; zero means the tokens.* value.
	AccessTTL      Duration `yaml:"access_ttl"`
	IDTTL          Duration `yaml:"id_ttl"`
	RefreshIdleTTL Duration `yaml:"refresh_idle_ttl"`
	RefreshMaxTTL  Duration `yaml:"refresh_max_ttl"`
}

// TokenRevocationEnabled reports whether the client may revoke its tokens
// (RFC 7009): true unless token_revocation is explicitly false.
func (c Client) TokenRevocationEnabled() bool {
	return c.TokenRevocation == nil || *c.TokenRevocation
}

// Confidential reports whether the client has credentials (secret,
// secret_hash or jwks), as opposed to a public client (RFC 6749 §2.1).
func (c Client) Confidential() bool {
	return c.Secret != "" || c.SecretHash != "" || !c.JWKS.IsZero()
}

// TrustedTokenIssuer is an external issuer whose JWTs a client may present
// as jwt-bearer assertions (RFC 7523). Exactly one of JWKSURI and JWKS is
// set.
type TrustedTokenIssuer struct {
	// Issuer is the iss the assertions must carry.
	Issuer string `yaml:"issuer"`
	// JWKSURI is where the issuer publishes its keys.
	JWKSURI string `yaml:"jwks_uri"`
	// JWKS is the issuer's key set, inline.
	JWKS Document `yaml:"jwks"`
	// Audience is the aud the assertions must carry.
	Audience string `yaml:"audience"`
	// UserClaim names the claim that identifies the user (empty: sub).
	UserClaim string `yaml:"user_claim"`
}

// User is a person who may sign in on the hosted login page. Exactly one
// of Password and PasswordHash is set.
type User struct {
	// Username is what the user types on the login page.
	Username string `yaml:"username"`
	// Password is the password in clear; prefer PasswordHash outside demos.
	Password string `yaml:"password" redact:"true"`
	// PasswordHash is an argon2id hash in PHC string format
	// ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
	PasswordHash string `yaml:"password_hash" redact:"true"`
	// Email is the user's email address, for the email claim.
	Email string `yaml:"email"`
	// Policies are Deny-only documents for sso-oauth:CreateToken.
	Policies []Document `yaml:"policies"`
}

// IAM is the one AWS-compatible account of a deployment (DESIGN.md "IAM
// model").
type IAM struct {
	// AccountID is the 12-digit account id used in every ARN.
	AccountID string `yaml:"account_id"`
	// Partition is the ARN partition (default aws).
	Partition string `yaml:"partition"`
	// Region is the SigV4 signing region (default us-east-1).
	Region string `yaml:"region"`
	// Users are the IAM users with long-term access keys.
	Users []IAMUser `yaml:"users"`
	// Roles are the IAM roles that STS AssumeRole issues sessions for.
	Roles []IAMRole `yaml:"roles"`
	// OrgPolicies are SCP-like guardrails with an implicit allow-all
	// attached.
	OrgPolicies []Document `yaml:"org_policies"`
}

// IAMUser is an IAM user with long-term access keys and identity policies.
type IAMUser struct {
	// Name appears in the user's ARN: arn:<partition>:iam::<account>:user/<name>.
	Name       string      `yaml:"name"`
	AccessKeys []AccessKey `yaml:"access_keys"`
	// Policies are the user's identity policies.
	Policies []Document `yaml:"policies"`
}

// AccessKey is a long-term IAM access key (AKIA…) and its secret.
type AccessKey struct {
	// ID is the access key id: AKIA and 16 upper-case letters or digits.
	ID string `yaml:"id"`
	// Secret is the secret access key that signs SigV4 requests.
	Secret string `yaml:"secret" redact:"true"`
}

// IAMRole is an IAM role that principals named by its trust policy may
// assume with STS AssumeRole.
type IAMRole struct {
	// Name appears in the role's ARN and its sessions' ARNs.
	Name string `yaml:"name"`
	// MaxSessionDuration bounds AssumeRole sessions: between 15m and 12h
	// as on AWS; absent or 0 means 1h.
	MaxSessionDuration Duration `yaml:"max_session_duration"`
	// TrustPolicy is the role's resource policy naming who may assume it.
	TrustPolicy Document `yaml:"trust_policy"`
	// Policies are the role's identity policies.
	Policies []Document `yaml:"policies"`
}

// Default returns the configuration used for every key the file and the
// environment leave out.
func Default() Config {
	return Config{
		Issuer: "http://127.0.0.1:8080",
		HTTP: HTTP{
			Public:       "127.0.0.1:8080",
			Admin:        "127.0.0.1:8081",
			MaxBodyBytes: 64 << 10,
		},
		Tokens: Tokens{
			AccessTTL:         Duration(time.Hour),
			IDTTL:             Duration(time.Hour),
			RefreshIdleTTL:    Duration(720 * time.Hour),
			RefreshMaxTTL:     Duration(2160 * time.Hour),
			RefreshReuseGrace: 0,
			SigningAlg:        "ES256",
			DefaultAudience:   "",
			Leeway:            Duration(30 * time.Second),
		},
		Keys: Keys{
			RotateEvery: Duration(720 * time.Hour),
			JWKSMaxAge:  Duration(5 * time.Minute),
		},
		Log:        Log{Level: "info"},
		Telemetry:  Telemetry{ServiceName: "lineage", SampleRatio: 1},
		RateLimits: defaultRateLimits(),
		IAM: IAM{
			AccountID: "111122223333",
			Partition: "aws",
			Region:    "us-east-1",
		},
	}
}

// applyItemDefaults fills the defaults of list items, which the YAML
// decoder creates from zero values.
func (c *Config) applyItemDefaults() {
	for i := range c.Clients {
		cl := &c.Clients[i]
		if len(cl.GrantTypes) == 0 {
			if len(cl.RedirectURIs) > 0 {
				cl.GrantTypes = []string{grantAuthorizationCode, grantRefreshToken}
			} else {
				cl.GrantTypes = []string{grantClientCredentials}
			}
		}
	}
	for i := range c.IAM.Roles {
		if c.IAM.Roles[i].MaxSessionDuration == 0 {
			c.IAM.Roles[i].MaxSessionDuration = Duration(time.Hour)
		}
	}
}
