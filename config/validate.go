package config

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Grant types a client may use (RFC 6749 §4, RFC 7523 §2.1, RFC 8693 §2.1,
// RFC 8628 §3.4).
const (
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
	grantClientCredentials = "client_credentials"
	grantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	grantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
	grantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
)

// Lengths below which a secret is refused outside --dev.
const (
	minSecretLen          = 32
	minAccessKeySecretLen = 40
)

var (
	accessKeyIDRE = regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`)
	accountIDRE   = regexp.MustCompile(`^[0-9]{12}$`)
	// IAM user and role names, as AWS accepts them.
	iamNameRE   = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	partitionRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	regionRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	// A scope token (RFC 6749 §3.3): 1*NQCHAR.
	scopeRE = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)
)

// Validate checks c and returns every problem found, joined with
// errors.Join; each is a *[Problem] whose message starts with its key path,
// e.g. "clients[2].secret: must be at least 32 characters (or use
// secret_hash)". dev (lineage --dev) relaxes the rules on secret lengths
// and the admin token, and allows an http issuer on any host.
//
// Validate does not fill defaults: [Parse] does, before validating.
func (c Config) Validate(dev bool) error {
	return errors.Join(c.problems(dev)...)
}

func (c Config) problems(dev bool) []error {
	v := &validator{dev: dev}
	v.issuer(c.Issuer)
	v.http(c.HTTP)
	v.store(c.Store)
	v.secrets(c.Secrets)
	v.tokens(c.Tokens)
	v.keys(c.Keys)
	v.log(c.Log)
	v.telemetry(c.Telemetry)
	v.rateLimits(c.RateLimits)
	v.clients(c.Clients, c.Tokens)
	v.users(c.Users)
	v.iam(c.IAM)
	return v.problems
}

// validator collects problems.
type validator struct {
	dev      bool
	problems []error
}

func (v *validator) addf(key, format string, args ...any) {
	v.problems = append(v.problems, &Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) issuer(issuer string) {
	const key = "issuer"
	if issuer == "" {
		v.addf(key, "required: the absolute https URL clients reach lineage at")
		return
	}
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		!strings.HasPrefix(issuer, u.Scheme+"://") || u.User != nil || u.Hostname() == "" {
		v.addf(key, "must be an absolute http(s) URL such as https://id.example.com")
		return
	}
	if u.RawQuery != "" || u.ForceQuery || strings.Contains(issuer, "#") {
		v.addf(key, "must not have a query or fragment (RFC 8414 §2)")
	}
	if strings.HasSuffix(issuer, "/") {
		v.addf(key, "must not end with a slash")
	}
	if u.Scheme == "http" && !v.dev && !isLoopback(u.Hostname()) {
		v.addf(key, "must use https (http only for loopback hosts or with --dev)")
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func (v *validator) http(h HTTP) {
	pubOK := v.listenAddr("http.public", h.Public)
	adminOK := v.listenAddr("http.admin", h.Admin)
	if pubOK && adminOK && listenersOverlap(h.Public, h.Admin) {
		v.addf("http.admin", "must differ from http.public")
	}
	for i, p := range h.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err == nil {
			continue
		}
		v.addf(fmt.Sprintf("http.trusted_proxies[%d]", i), "must be an IP address or CIDR prefix, got %s", quote(p))
	}
	if h.MaxBodyBytes < 1024 || h.MaxBodyBytes > 10<<20 {
		v.addf("http.max_body_bytes", "must be between 1024 and 10485760 (10 MiB), got %d", h.MaxBodyBytes)
	}
	if !v.dev {
		switch {
		case isPlaceholder(h.AdminToken):
			v.addf("http.admin_token", "must be replaced by a random token of at least %d characters (e.g. openssl rand -base64 32)", minSecretLen)
		case secretLen(h.AdminToken) < minSecretLen:
			v.addf("http.admin_token", "must be at least %d characters (e.g. openssl rand -base64 32)", minSecretLen)
		}
	}
}

// isPlaceholder reports whether s is the sample value of a secret.
func isPlaceholder(s string) bool {
	return strings.EqualFold(strings.TrimSpace(s), "change-me")
}

// secretLen counts the characters of a secret, surrounding space aside.
func secretLen(s string) int {
	return utf8.RuneCountInString(strings.TrimSpace(s))
}

// listenAddr checks a host:port to listen on; the host may be empty (every
// interface) and the port 0 (any free port).
func (v *validator) listenAddr(key, addr string) bool {
	if addr == "" {
		v.addf(key, "required: host:port to listen on")
		return false
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.addf(key, "must be host:port, got %s", quote(addr))
		return false
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		v.addf(key, "must have a numeric port (0-65535), got %s", quote(addr))
		return false
	}
	return true
}

// listenersOverlap reports whether two valid listen addresses are the same
// or would bind the same port.
func listenersOverlap(a, b string) bool {
	if a == b {
		return true
	}
	ha, pa, _ := net.SplitHostPort(a)
	hb, pb, _ := net.SplitHostPort(b)
	pna, _ := strconv.Atoi(pa)
	pnb, _ := strconv.Atoi(pb)
	if pna != pnb || pna == 0 {
		return false
	}
	wildcard := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return strings.EqualFold(ha, hb) || wildcard(ha) || wildcard(hb)
}

func (v *validator) store(s Store) {
	if s.RedisURL != "" && len(s.Redis.Addrs) > 0 {
		v.addf("store.redis_url", "set either store.redis_url or store.redis.addrs, not both")
	}
	if s.RedisURL != "" {
		v.redisURL(s.RedisURL)
	}
	for i, a := range s.Redis.Addrs {
		host, port, err := net.SplitHostPort(a)
		n, perr := strconv.ParseUint(port, 10, 16)
		if err != nil || host == "" || perr != nil || n == 0 {
			v.addf(fmt.Sprintf("store.redis.addrs[%d]", i), "must be host:port, got %s", quote(a))
		}
	}
	if s.Redis.MasterName != "" && len(s.Redis.Addrs) == 0 {
		v.addf("store.redis.master_name", "requires store.redis.addrs (the Sentinel addresses)")
	}
	switch {
	case s.Redis.DB < 0:
		v.addf("store.redis.db", "must be 0 or more, got %d", s.Redis.DB)
	case s.Redis.DB != 0 && s.Redis.MasterName == "" && len(s.Redis.Addrs) > 1:
		v.addf("store.redis.db", "must be 0 with Redis Cluster (several addrs, no master_name)")
	}
	if s.RevocationWaitReplicas < 0 {
		v.addf("store.revocation_wait_replicas", "must be 0 or more, got %d", s.RevocationWaitReplicas)
	}
}

// redisURL checks a one-node Redis URL as go-redis will parse it. The URL
// may hold a password: messages never quote it.
func (v *validator) redisURL(raw string) {
	const key = "store.redis_url"
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		v.addf(key, "must be a redis:// or rediss:// URL such as redis://host:6379/0")
		return
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		// go-redis quotes the path and query, never the user info.
		v.addf(key, "%s", strings.TrimPrefix(err.Error(), "redis: "))
		return
	}
	if opts.DB < 0 {
		v.addf(key, "database number must be 0 or more")
	}
}

func (v *validator) secrets(s Secrets) {
	if len(s.System) == 0 {
		v.addf("secrets.system", "required: at least one random secret of %d or more characters (e.g. openssl rand -base64 32)", minSecretLen)
		return
	}
	for i, sec := range s.System {
		key := fmt.Sprintf("secrets.system[%d]", i)
		switch {
		case strings.TrimSpace(sec) == "":
			v.addf(key, "must not be empty")
		case v.dev:
		case isPlaceholder(sec) || secretLen(sec) < minSecretLen:
			v.addf(key, "must be at least %d characters (e.g. openssl rand -base64 32)", minSecretLen)
		}
	}
}

func (v *validator) tokens(t Tokens) {
	v.positive("tokens.access_ttl", t.AccessTTL)
	v.positive("tokens.id_ttl", t.IDTTL)
	v.positive("tokens.refresh_idle_ttl", t.RefreshIdleTTL)
	v.positive("tokens.refresh_max_ttl", t.RefreshMaxTTL)
	if t.RefreshIdleTTL > 0 && t.RefreshMaxTTL > 0 && t.RefreshMaxTTL < t.RefreshIdleTTL {
		v.addf("tokens.refresh_max_ttl", "must be at least tokens.refresh_idle_ttl (%s), got %s", t.RefreshIdleTTL, t.RefreshMaxTTL)
	}
	if t.RefreshReuseGrace < 0 {
		v.addf("tokens.refresh_reuse_grace", "must be 0s or more, got %s", t.RefreshReuseGrace)
	}
	switch t.SigningAlg {
	case "ES256", "RS256", "EdDSA":
	default:
		v.addf("tokens.signing_alg", "must be ES256, RS256 or EdDSA, got %s", quote(t.SigningAlg))
	}
	if t.Leeway < 0 || t.Leeway.D() > 5*time.Minute {
		v.addf("tokens.leeway", "must be between 0s and 5m, got %s", t.Leeway)
	}
}

func (v *validator) positive(key string, d Duration) {
	if d <= 0 {
		v.addf(key, "must be positive, got %s", d)
	}
}

func (v *validator) keys(k Keys) {
	if k.JWKSMaxAge < 0 || k.JWKSMaxAge.D() > 24*time.Hour {
		v.addf("keys.jwks_max_age", "must be between 0s and 24h, got %s", k.JWKSMaxAge)
	}
	switch {
	case k.RotateEvery.D() < time.Hour:
		v.addf("keys.rotate_every", "must be at least 1h, got %s", k.RotateEvery)
	case k.RotateEvery <= 2*k.JWKSMaxAge:
		v.addf("keys.rotate_every", "must be more than twice keys.jwks_max_age (%s): a key is published one max-age before it signs", k.JWKSMaxAge)
	}
}

func (v *validator) log(l Log) {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		v.addf("log.level", "must be debug, info, warn or error, got %s", quote(l.Level))
	}
}

// telemetry checks the OTLP/HTTP endpoint (credentials go in
// OTEL_EXPORTER_OTLP_HEADERS, never in the URL), the service name and the
// sample ratio.
func (v *validator) telemetry(t Telemetry) {
	if t.SampleRatio < 0 || t.SampleRatio > 1 || math.IsNaN(t.SampleRatio) {
		v.addf("telemetry.sample_ratio", "must be between 0 and 1, got %v", t.SampleRatio)
	}
	if t.OTLPEndpoint == "" {
		return
	}
	const key = "telemetry.otlp_endpoint"
	u, err := url.Parse(t.OTLPEndpoint)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "":
		v.addf(key, "must be an http(s) URL of an OTLP/HTTP collector such as http://otel-collector:4318")
	case u.User != nil:
		v.addf(key, "must not hold credentials: set OTEL_EXPORTER_OTLP_HEADERS instead")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		v.addf(key, "must not have a query or fragment")
	}
	if strings.TrimSpace(t.ServiceName) == "" {
		v.addf("telemetry.service_name", "required when telemetry.otlp_endpoint is set")
	}
}

func (v *validator) clients(clients []Client, t Tokens) {
	first := map[string]int{}
	for i, c := range clients {
		key := fmt.Sprintf("clients[%d]", i)
		switch j, dup := first[c.ID]; {
		case c.ID == "":
			v.addf(key+".id", "required")
		case dup:
			v.addf(key+".id", "duplicate of clients[%d].id", j)
		default:
			first[c.ID] = i
		}
		v.client(key, c, t)
	}
}

func (v *validator) client(key string, c Client, t Tokens) {
	creds := 0
	for _, set := range []bool{c.Secret != "", c.SecretHash != "", !c.JWKS.IsZero()} {
		if set {
			creds++
		}
	}
	if creds > 1 {
		v.addf(key, "set at most one of secret, secret_hash and jwks")
	}
	if c.Secret != "" && !v.dev && (isPlaceholder(c.Secret) || secretLen(c.Secret) < minSecretLen) {
		v.addf(key+".secret", "must be at least %d characters (or use secret_hash)", minSecretLen)
	}
	if c.SecretHash != "" {
		if b, err := base64.RawURLEncoding.Strict().DecodeString(c.SecretHash); err != nil || len(b) != 32 {
			v.addf(key+".secret_hash", "must be the unpadded base64url encoding of 32 bytes (an HMAC-SHA256)")
		}
	}
	if !c.JWKS.IsZero() {
		v.jwks(key+".jwks", c.JWKS)
	}

	seen := map[string]bool{}
	for i, g := range c.GrantTypes {
		gkey := fmt.Sprintf("%s.grant_types[%d]", key, i)
		if !slices.Contains(knownGrantTypes(), g) {
			v.addf(gkey, "unknown grant type %s; use one of %s", quote(g), strings.Join(knownGrantTypes(), ", "))
			continue
		}
		if seen[g] {
			v.addf(gkey, "duplicate grant type %s", g)
		}
		seen[g] = true
	}
	if seen[grantClientCredentials] && !c.Confidential() {
		v.addf(key+".grant_types", "client_credentials requires a confidential client (set secret, secret_hash or jwks)")
	}
	if seen[grantAuthorizationCode] && len(c.RedirectURIs) == 0 {
		v.addf(key+".redirect_uris", "authorization_code requires at least one redirect URI")
	}
	if c.Introspect && !c.Confidential() {
		v.addf(key+".introspect", "requires a confidential client (set secret, secret_hash or jwks)")
	}
	if c.RevocationEvents && !c.Confidential() {
		v.addf(key+".revocation_events", "requires a confidential client (set secret, secret_hash or jwks)")
	}

	for i, u := range c.RedirectURIs {
		v.redirectURI(fmt.Sprintf("%s.redirect_uris[%d]", key, i), u)
	}
	for i, u := range c.PostLogoutRedirectURIs {
		v.redirectURI(fmt.Sprintf("%s.post_logout_redirect_uris[%d]", key, i), u)
	}
	for i, s := range c.Scopes {
		if !scopeRE.MatchString(s) {
			v.addf(fmt.Sprintf("%s.scopes[%d]", key, i), "must be a scope token: printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3)")
		}
	}
	for i, a := range c.Audiences {
		if strings.TrimSpace(a) == "" {
			v.addf(fmt.Sprintf("%s.audiences[%d]", key, i), "must not be empty")
		}
	}
	for i, p := range c.Policies {
		v.object(fmt.Sprintf("%s.policies[%d]", key, i), p)
	}
	if !c.ActorPolicy.IsZero() {
		v.object(key+".actor_policy", c.ActorPolicy)
	}
	issuers := map[string]int{}
	for i, tti := range c.TrustedTokenIssuers {
		tkey := fmt.Sprintf("%s.trusted_token_issuers[%d]", key, i)
		v.trustedTokenIssuer(tkey, tti)
		if j, dup := issuers[tti.Issuer]; dup && tti.Issuer != "" {
			v.addf(tkey+".issuer", "duplicate of %s.trusted_token_issuers[%d].issuer", key, j)
		} else {
			issuers[tti.Issuer] = i
		}
	}

	for _, d := range []struct {
		name string
		d    Duration
	}{{"access_ttl", c.AccessTTL}, {"id_ttl", c.IDTTL}, {"refresh_idle_ttl", c.RefreshIdleTTL}, {"refresh_max_ttl", c.RefreshMaxTTL}} {
		if d.d < 0 {
			v.addf(key+"."+d.name, "must be 0s (tokens.%s) or more, got %s", d.name, d.d)
		}
	}
	idle, maxTTL := orGlobal(c.RefreshIdleTTL, t.RefreshIdleTTL), orGlobal(c.RefreshMaxTTL, t.RefreshMaxTTL)
	if (c.RefreshIdleTTL > 0 || c.RefreshMaxTTL > 0) && idle > 0 && maxTTL > 0 && maxTTL < idle {
		v.addf(key+".refresh_max_ttl", "must be at least the client's refresh idle TTL (%s), got %s", idle, maxTTL)
	}
}

// orGlobal returns override when it is set, else the global value.
func orGlobal(override, global Duration) Duration {
	if override > 0 {
		return override
	}
	return global
}

func (v *validator) redirectURI(key, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs():
		v.addf(key, "must be an absolute URL")
	case u.Scheme == "javascript" || u.Scheme == "data" || u.Scheme == "vbscript":
		v.addf(key, "must not use the %s scheme", u.Scheme)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		v.addf(key, "must not have a fragment (RFC 6749 §3.1.2)")
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
		v.addf(key, "must have a host")
	}
}

func (v *validator) trustedTokenIssuer(key string, t TrustedTokenIssuer) {
	if u, err := url.Parse(t.Issuer); t.Issuer == "" || err != nil || !u.IsAbs() || u.Host == "" {
		v.addf(key+".issuer", "must be the issuer's absolute URL (its iss claim)")
	}
	if t.Audience == "" {
		v.addf(key+".audience", "required: the value the assertions' aud must contain")
	}
	switch {
	case t.JWKSURI == "" && t.JWKS.IsZero():
		v.addf(key, "set one of jwks_uri and jwks")
	case t.JWKSURI != "" && !t.JWKS.IsZero():
		v.addf(key, "set only one of jwks_uri and jwks")
	case t.JWKSURI != "":
		// The issuer's keys are fetched over https only, even with --dev.
		if u, err := url.Parse(t.JWKSURI); err != nil || u.Scheme != "https" || u.Host == "" {
			v.addf(key+".jwks_uri", "must use https: an absolute https URL")
		}
	default:
		v.jwks(key+".jwks", t.JWKS)
	}
}

// jwks checks that d is a JSON Web Key Set (RFC 7517 §5).
func (v *validator) jwks(key string, d Document) {
	var set map[string]json.RawMessage
	if err := json.Unmarshal(d, &set); err != nil || !d.IsObject() {
		v.addf(key, `must be a JSON Web Key Set: an object with a "keys" list`)
		return
	}
	var keys []json.RawMessage
	if err := json.Unmarshal(set["keys"], &keys); err != nil || keys == nil {
		v.addf(key, `must have a "keys" list (RFC 7517 §5)`)
	}
}

// object checks that d is a JSON object, as every policy is.
func (v *validator) object(key string, d Document) {
	if !d.IsObject() {
		v.addf(key, "must be a policy document (a mapping)")
	}
}

func (v *validator) users(users []User) {
	first := map[string]int{}
	for i, u := range users {
		key := fmt.Sprintf("users[%d]", i)
		switch j, dup := first[u.Username]; {
		case u.Username == "":
			v.addf(key+".username", "required")
		case dup:
			v.addf(key+".username", "duplicate of users[%d].username", j)
		default:
			first[u.Username] = i
		}
		switch {
		case u.Password == "" && u.PasswordHash == "":
			v.addf(key, "set one of password and password_hash")
		case u.Password != "" && u.PasswordHash != "":
			v.addf(key, "set only one of password and password_hash")
		case u.PasswordHash != "" && !strings.HasPrefix(u.PasswordHash, "$argon2id$"):
			v.addf(key+".password_hash", "must be an argon2id hash in PHC format ($argon2id$v=19$m=…,t=…,p=…$salt$hash)")
		}
		if u.Email != "" {
			if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
				v.addf(key+".email", "must be an email address such as alice@example.com")
			}
		}
		for j, p := range u.Policies {
			v.object(fmt.Sprintf("%s.policies[%d]", key, j), p)
		}
	}
}

func (v *validator) iam(iam IAM) {
	if (len(iam.Users) > 0 || len(iam.Roles) > 0) && !accountIDRE.MatchString(iam.AccountID) {
		v.addf("iam.account_id", "must be exactly 12 digits, got %s", quote(iam.AccountID))
	}
	if !partitionRE.MatchString(iam.Partition) {
		v.addf("iam.partition", "must be an ARN partition such as aws, got %s", quote(iam.Partition))
	}
	if !regionRE.MatchString(iam.Region) {
		v.addf("iam.region", "must be a region name such as us-east-1, got %s", quote(iam.Region))
	}

	users := map[string]int{}
	keys := map[string]string{}
	for i, u := range iam.Users {
		key := fmt.Sprintf("iam.users[%d]", i)
		v.iamName("iam.users", i, u.Name, users)
		for j, ak := range u.AccessKeys {
			akey := fmt.Sprintf("%s.access_keys[%d]", key, j)
			switch prev, dup := keys[ak.ID]; {
			case !accessKeyIDRE.MatchString(ak.ID):
				v.addf(akey+".id", "must be AKIA followed by 16 upper-case letters or digits")
			case dup:
				v.addf(akey+".id", "duplicate of %s.id", prev)
			default:
				keys[ak.ID] = akey
			}
			switch {
			case ak.Secret == "":
				v.addf(akey+".secret", "required")
			case !v.dev && secretLen(ak.Secret) < minAccessKeySecretLen:
				v.addf(akey+".secret", "must be at least %d characters", minAccessKeySecretLen)
			}
		}
		for j, p := range u.Policies {
			v.object(fmt.Sprintf("%s.policies[%d]", key, j), p)
		}
	}

	roles := map[string]int{}
	for i, r := range iam.Roles {
		key := fmt.Sprintf("iam.roles[%d]", i)
		v.iamName("iam.roles", i, r.Name, roles)
		if r.MaxSessionDuration.D() < 15*time.Minute || r.MaxSessionDuration.D() > 12*time.Hour {
			v.addf(key+".max_session_duration", "must be between 15m and 12h, got %s", r.MaxSessionDuration)
		}
		if r.TrustPolicy.IsZero() {
			v.addf(key+".trust_policy", "required: the policy naming who may assume the role")
		} else {
			v.object(key+".trust_policy", r.TrustPolicy)
		}
		for j, p := range r.Policies {
			v.object(fmt.Sprintf("%s.policies[%d]", key, j), p)
		}
	}
	for i, p := range iam.OrgPolicies {
		v.object(fmt.Sprintf("iam.org_policies[%d]", i), p)
	}
}

// iamName checks the name of list[i], an IAM user or role, and records it
// in seen.
func (v *validator) iamName(list string, i int, name string, seen map[string]int) {
	key := fmt.Sprintf("%s[%d].name", list, i)
	switch j, dup := seen[name]; {
	case name == "":
		v.addf(key, "required")
	case !iamNameRE.MatchString(name):
		v.addf(key, "must be 1 to 64 letters, digits or +=,.@_-")
	case dup:
		v.addf(key, "duplicate of %s[%d].name", list, j)
	default:
		seen[name] = i
	}
}

// knownGrantTypes lists the grant types in the order messages give them.
func knownGrantTypes() []string {
	return []string{grantAuthorizationCode, grantRefreshToken, grantClientCredentials,
		grantJWTBearer, grantTokenExchange, grantDeviceCode}
}
