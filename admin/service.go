package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/lineage-oss/lineage/clients"
	"github.com/lineage-oss/lineage/iam"
	"github.com/lineage-oss/lineage/jwks"
	"github.com/lineage-oss/lineage/revocation"
	"github.com/lineage-oss/lineage/secrets"
	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/users"
)

// ErrInvalid reports a request that breaks a rule; the message says which.
var ErrInvalid = errors.New("admin: invalid request")

// Service performs administrative changes and records each one.
type Service struct {
	clients *clients.Registry
	users   *users.Directory
	keys    *jwks.Set
	iam     *iam.Directory
	revs    *revocation.Set
	audit   store.Audit
	mac     *secrets.MAC
	rand    io.Reader
	now     func() time.Time
	logger  *slog.Logger
}

// Options are the Service's dependencies.
type Options struct {
	Clients *clients.Registry
	Users   *users.Directory
	Keys    *jwks.Set
	IAM     *iam.Directory
	// Revocations is the revocation set: disabling or deleting a client
	// revokes its tokens there.
	Revocations *revocation.Set
	Audit       store.Audit
	// MAC hashes client secrets (the client-secret subkey).
	MAC    *secrets.MAC
	Rand   io.Reader
	Now    func() time.Time
	Logger *slog.Logger
}

// New returns a Service.
func New(o Options) *Service {
	return &Service{clients: o.Clients, users: o.Users, keys: o.Keys, iam: o.IAM, revs: o.Revocations, audit: o.Audit, mac: o.MAC, rand: o.Rand, now: o.Now, logger: o.Logger}
}

// record appends an audit record and logs it. The change has happened: a
// failure to store the record is logged (with the record) and not returned.
func (s *Service) record(ctx context.Context, actor, action, target string, before, after any) {
	r := store.AuditRecord{Time: s.now().UTC(), Actor: actor, Action: action, Target: target,
		Before: marshalOrNil(before), After: marshalOrNil(after)}
	stored, err := s.audit.AppendAudit(ctx, r)
	if err != nil {
		s.logger.ErrorContext(ctx, "audit record not stored", "error", err.Error(),
			"actor", actor, "action", action, "target", target, "before", string(r.Before), "after", string(r.After))
		return
	}
	s.logger.InfoContext(ctx, "audit", "id", stored.ID, "actor", actor, "action", action, "target", target)
}

func marshalOrNil(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// ListClients returns every client.
func (s *Service) ListClients(ctx context.Context) ([]Client, error) {
	all, err := s.clients.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Client, len(all))
	for i, c := range all {
		out[i] = clientView(c, s.clients.Configured(c.ID))
	}
	return out, nil
}

// GetClient returns one client.
func (s *Service) GetClient(ctx context.Context, id string) (Client, error) {
	c, err := s.clients.GetClient(ctx, id)
	if err != nil {
		return Client{}, err
	}
	return clientView(c, s.clients.Configured(id)), nil
}

// CreateClient registers a client; a secret-based client gets a generated
// secret, returned once.
func (s *Service) CreateClient(ctx context.Context, actor string, in ClientInput) (ClientSecret, error) {
	now := s.now().UTC()
	c, secret, err := s.fromInput(in, store.Client{ID: in.ID, CreatedAt: now})
	if err != nil {
		return ClientSecret{}, err
	}
	c.UpdatedAt = now
	if err := s.clients.Create(ctx, c); err != nil {
		return ClientSecret{}, err
	}
	view := clientView(c, false)
	s.record(ctx, actor, "client.create", "client/"+c.ID, nil, view)
	return ClientSecret{Client: view, Secret: secret}, nil
}

// ReplaceClient replaces a stored client's settings. Its secret is kept;
// a client that turns to client_secret_basic gets a new one.
func (s *Service) ReplaceClient(ctx context.Context, actor, id string, in ClientInput) (ClientSecret, error) {
	if in.ID != "" && in.ID != id {
		return ClientSecret{}, fmt.Errorf("%w: the id in the body differs from the path", ErrInvalid)
	}
	in.ID = id
	if s.clients.Configured(id) {
		return ClientSecret{}, clients.ErrReadOnly
	}
	old, err := s.clients.GetClient(ctx, id)
	if err != nil {
		return ClientSecret{}, err
	}
	c, secret, err := s.fromInput(in, old)
	if err != nil {
		return ClientSecret{}, err
	}
	c.UpdatedAt = s.now().UTC()
	if c.Disabled && !old.Disabled {
		// Nothing is written unless the whole change can be.
		if err := s.clients.Check(c); err != nil {
			return ClientSecret{}, err
		}
		if err := s.revokeClient(ctx, actor, id); err != nil {
			return ClientSecret{}, err
		}
	}
	if err := s.clients.Update(ctx, c); err != nil {
		return ClientSecret{}, err
	}
	view := clientView(c, false)
	s.record(ctx, actor, "client.replace", "client/"+id, clientView(old, false), view)
	if !bytes.Equal(old.ActorPolicy, c.ActorPolicy) {
		if err := s.policiesChanged(ctx); err != nil {
			return ClientSecret{}, err
		}
	}
	return ClientSecret{Client: view, Secret: secret}, nil
}

// fromInput builds the record for in on top of base (which carries the id,
// creation time and current secret).
func (s *Service) fromInput(in ClientInput, base store.Client) (store.Client, string, error) {
	tokenRevocation := true
	if in.TokenRevocation != nil {
		tokenRevocation = *in.TokenRevocation
	}
	if in.ID == "" {
		id, err := clients.GenerateSecret(s.rand)
		if err != nil {
			return store.Client{}, "", err
		}
		in.ID = "client-" + id[:22] // never a leading "-", which a shell tool would take for a flag
		base.ID = in.ID
	}
	c := store.Client{
		ID: base.ID, CreatedAt: base.CreatedAt,
		RedirectURIs: in.RedirectURIs, PostLogoutRedirectURIs: in.PostLogoutRedirectURIs,
		GrantTypes: in.GrantTypes, Scopes: in.Scopes, Audiences: in.Audiences,
		FirstParty: in.FirstParty, TokenRevocation: tokenRevocation, Introspect: in.Introspect,
		RevocationEvents: in.RevocationEvents, Disabled: in.Disabled, Policies: in.Policies,
		ActorPolicy: in.ActorPolicy, TrustedTokenIssuers: in.TrustedTokenIssuers,
		AccessTTL: time.Duration(in.AccessTTL), IDTTL: time.Duration(in.IDTTL),
		RefreshIdleTTL: time.Duration(in.RefreshIdleTTL), RefreshMaxTTL: time.Duration(in.RefreshMaxTTL),
	}
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{"client_credentials"}
		if len(c.RedirectURIs) > 0 {
			c.GrantTypes = []string{"authorization_code", "refresh_token"}
		}
	}
	var secret string
	switch in.TokenEndpointAuthMethod {
	case "", AuthSecretBasic, "client_secret_post":
		if len(in.JWKS) > 0 {
			return store.Client{}, "", fmt.Errorf("%w: jwks goes with token_endpoint_auth_method private_key_jwt", ErrInvalid)
		}
		c.SecretHash = base.SecretHash
		if len(c.SecretHash) == 0 {
			var err error
			if secret, err = clients.GenerateSecret(s.rand); err != nil {
				return store.Client{}, "", err
			}
			c.SecretHash = s.mac.Sum([]byte(secret))
		}
	case AuthPrivateKeyJWT:
		if len(in.JWKS) == 0 {
			return store.Client{}, "", fmt.Errorf("%w: private_key_jwt needs jwks", ErrInvalid)
		}
		c.JWKS = in.JWKS
	case AuthNone:
		if len(in.JWKS) > 0 {
			return store.Client{}, "", fmt.Errorf("%w: a public client has no jwks", ErrInvalid)
		}
	default:
		return store.Client{}, "", fmt.Errorf("%w: token_endpoint_auth_method is client_secret_basic, private_key_jwt or none", ErrInvalid)
	}
	return c, secret, nil
}

// SetClientDisabled disables or enables a stored client. A disabled client
// gets no token, and a before-T rule revokes every token it holds — on every
// instance and for every resource server on the event stream; enabling it
// again does not bring those back.
func (s *Service) SetClientDisabled(ctx context.Context, actor, id string, disabled bool) (Client, error) {
	if s.clients.Configured(id) {
		return Client{}, clients.ErrReadOnly
	}
	old, err := s.clients.GetClient(ctx, id)
	if err != nil {
		return Client{}, err
	}
	c := old
	c.Disabled = disabled
	c.UpdatedAt = s.now().UTC()
	if disabled {
		if err := s.clients.Check(c); err != nil {
			return Client{}, err
		}
		if err := s.revokeClient(ctx, actor, id); err != nil {
			return Client{}, err
		}
	}
	if err := s.clients.Update(ctx, c); err != nil {
		return Client{}, err
	}
	action := "client.enable"
	if disabled {
		action = "client.disable"
	}
	view := clientView(c, false)
	s.record(ctx, actor, action, "client/"+id, clientView(old, false), view)
	return view, nil
}

// RotateClientSecret replaces a secret-based client's secret; the old one
// stops working at once.
func (s *Service) RotateClientSecret(ctx context.Context, actor, id string) (ClientSecret, error) {
	if s.clients.Configured(id) {
		return ClientSecret{}, clients.ErrReadOnly
	}
	c, err := s.clients.GetClient(ctx, id)
	if err != nil {
		return ClientSecret{}, err
	}
	if len(c.SecretHash) == 0 {
		return ClientSecret{}, fmt.Errorf("%w: the client does not authenticate with a secret", ErrInvalid)
	}
	secret, err := clients.GenerateSecret(s.rand)
	if err != nil {
		return ClientSecret{}, err
	}
	c.SecretHash = s.mac.Sum([]byte(secret))
	c.UpdatedAt = s.now().UTC()
	if err := s.clients.Update(ctx, c); err != nil {
		return ClientSecret{}, err
	}
	view := clientView(c, false)
	s.record(ctx, actor, "client.rotate_secret", "client/"+id, nil, nil)
	return ClientSecret{Client: view, Secret: secret}, nil
}

// DeleteClient removes a stored client after revoking every token it holds
// (a before-T rule for the client).
func (s *Service) DeleteClient(ctx context.Context, actor, id string) error {
	if s.clients.Configured(id) {
		return clients.ErrReadOnly
	}
	old, err := s.clients.GetClient(ctx, id)
	if err != nil {
		return err
	}
	if err := s.revokeClient(ctx, actor, id); err != nil {
		return err
	}
	if err := s.clients.Delete(ctx, id); err != nil {
		return err
	}
	s.record(ctx, actor, "client.delete", "client/"+id, clientView(old, false), nil)
	return nil
}

// ListUsers returns every user.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	all, err := s.users.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]User, len(all))
	for i, u := range all {
		out[i] = userView(u, s.users.Configured(u.Username))
	}
	return out, nil
}

// GetUser returns one user.
func (s *Service) GetUser(ctx context.Context, username string) (User, error) {
	u, err := s.users.Get(ctx, username)
	if err != nil {
		return User{}, err
	}
	return userView(u, s.users.Configured(username)), nil
}

// CreateUser stores a new user.
func (s *Service) CreateUser(ctx context.Context, actor string, in UserInput) (User, error) {
	u, err := s.users.Create(ctx, in.Username, in.Password, in.Email)
	if err != nil {
		return User{}, err
	}
	view := userView(u, false)
	s.record(ctx, actor, "user.create", "user/"+u.Username, nil, view)
	return view, nil
}

// SetUserPassword replaces a user's password.
func (s *Service) SetUserPassword(ctx context.Context, actor, username, password string) error {
	if _, err := s.users.SetPassword(ctx, username, password); err != nil {
		return err
	}
	s.record(ctx, actor, "user.set_password", "user/"+username, nil, nil)
	return nil
}

// DeleteUser removes a user.
func (s *Service) DeleteUser(ctx context.Context, actor, username string) error {
	old, err := s.users.Delete(ctx, username)
	if err != nil {
		return err
	}
	s.record(ctx, actor, "user.delete", "user/"+username, userView(old, false), nil)
	return nil
}

// Keys lists the published signing keys.
func (s *Service) Keys(ctx context.Context) ([]jwks.Status, error) {
	if err := s.keys.Reload(ctx); err != nil {
		return nil, err
	}
	return s.keys.Keys(), nil
}

// RotateKey moves the next key forward (it signs once it has been
// published for the publish-ahead time) and publishes a new next key.
func (s *Service) RotateKey(ctx context.Context, actor string) (jwks.Status, error) {
	before := s.keys.Keys()
	taking, err := s.keys.Rotate(ctx)
	if err != nil {
		return jwks.Status{}, err
	}
	s.record(ctx, actor, "key.rotate", "key/"+taking.KID, before, s.keys.Keys())
	return taking, nil
}

// DeleteKey removes a signing key at once: every token it signed stops
// verifying.
func (s *Service) DeleteKey(ctx context.Context, actor, kid string) error {
	before := s.keys.Keys()
	if err := s.keys.Delete(ctx, kid); err != nil {
		return err
	}
	s.record(ctx, actor, "key.delete", "key/"+kid, before, s.keys.Keys())
	return nil
}

// Audit lists audit records, newest first.
func (s *Service) Audit(ctx context.Context, limit int, before string) ([]store.AuditRecord, error) {
	return s.audit.ListAudit(ctx, limit, before)
}

func findings(f []iam.Finding) []iam.Finding {
	if f == nil {
		return []iam.Finding{}
	}
	return f
}

// ListIAMUsers returns every IAM user.
func (s *Service) ListIAMUsers(ctx context.Context) ([]iam.UserView, error) {
	return s.iam.ListUsers(ctx)
}

// GetIAMUser returns one IAM user.
func (s *Service) GetIAMUser(ctx context.Context, name string) (iam.UserView, error) {
	return s.iam.GetUser(ctx, name)
}

// IAMUserInput is a new IAM user.
type IAMUserInput struct {
	Name     string            `json:"name"`
	Policies []json.RawMessage `json:"policies,omitempty"`
}

// CreateIAMUser stores an IAM user; its policies are validated.
func (s *Service) CreateIAMUser(ctx context.Context, actor string, in IAMUserInput) (iam.UserView, []iam.Finding, error) {
	u, f, err := s.iam.CreateUser(ctx, in.Name, in.Policies)
	if err != nil {
		return iam.UserView{}, f, err
	}
	s.record(ctx, actor, "iam_user.create", "iam_user/"+u.Name, nil, u)
	return u, findings(f), nil
}

// DeleteIAMUser removes an IAM user and its access keys.
func (s *Service) DeleteIAMUser(ctx context.Context, actor, name string) error {
	u, err := s.iam.DeleteUser(ctx, name)
	if err != nil {
		return err
	}
	s.record(ctx, actor, "iam_user.delete", "iam_user/"+name, u, nil)
	return s.policiesChanged(ctx)
}

// ListAccessKeys lists a user's access keys.
func (s *Service) ListAccessKeys(ctx context.Context, user string) ([]iam.AccessKeyView, error) {
	return s.iam.ListAccessKeys(ctx, user)
}

// CreateAccessKey issues an access key; the secret is returned once.
func (s *Service) CreateAccessKey(ctx context.Context, actor, user string) (iam.AccessKeyView, string, error) {
	k, secret, err := s.iam.CreateAccessKey(ctx, user)
	if err != nil {
		return iam.AccessKeyView{}, "", err
	}
	s.record(ctx, actor, "access_key.create", "iam_user/"+user+"/access_key/"+k.ID, nil, k)
	return k, secret, nil
}

// DeactivateAccessKey makes an access key unusable at once. First — so
// that nothing changes unless the rule is written — it revokes every token
// minted with the user's credentials until now (a before-T rule for the
// user's ARN, scope principal): tokens of the user's keys and of the role
// sessions they assumed.
func (s *Service) DeactivateAccessKey(ctx context.Context, actor, user, id string) (iam.AccessKeyView, error) {
	keys, err := s.iam.ListAccessKeys(ctx, user)
	if err != nil {
		return iam.AccessKeyView{}, err
	}
	if slices.ContainsFunc(keys, func(k iam.AccessKeyView) bool { return k.ID == id && k.Status == "Active" }) {
		if _, err := s.revs.RevokeBefore(ctx, store.ScopePrincipal, s.iam.Account().UserARN(user), time.Time{}); err != nil {
			return iam.AccessKeyView{}, err
		}
	}
	k, err := s.iam.DeactivateAccessKey(ctx, user, id)
	if err != nil {
		return iam.AccessKeyView{}, err
	}
	s.record(ctx, actor, "access_key.deactivate", "iam_user/"+user+"/access_key/"+id, nil, k)
	return k, nil
}

// ListRoles returns every IAM role.
func (s *Service) ListRoles(ctx context.Context) ([]iam.RoleView, error) { return s.iam.ListRoles(ctx) }

// GetRole returns one IAM role.
func (s *Service) GetRole(ctx context.Context, name string) (iam.RoleView, error) {
	return s.iam.GetRole(ctx, name)
}

// CreateRole stores an IAM role; its policies are validated.
func (s *Service) CreateRole(ctx context.Context, actor string, in iam.RoleInput) (iam.RoleView, []iam.Finding, error) {
	r, f, err := s.iam.CreateRole(ctx, in)
	if err != nil {
		return iam.RoleView{}, f, err
	}
	s.record(ctx, actor, "iam_role.create", "iam_role/"+r.Name, nil, r)
	return r, findings(f), nil
}

// DeleteRole removes an IAM role; its sessions stop working at once.
func (s *Service) DeleteRole(ctx context.Context, actor, name string) error {
	r, err := s.iam.DeleteRole(ctx, name)
	if err != nil {
		return err
	}
	s.record(ctx, actor, "iam_role.delete", "iam_role/"+name, r, nil)
	return s.policiesChanged(ctx)
}

// OrgPolicies returns the configured and the stored guardrails.
func (s *Service) OrgPolicies(ctx context.Context) (configured, stored []json.RawMessage, err error) {
	return s.iam.StoredOrgPolicies(ctx)
}

// PutOrgPolicies replaces the stored guardrails; they are validated.
func (s *Service) PutOrgPolicies(ctx context.Context, actor string, policies []json.RawMessage) ([]iam.Finding, error) {
	_, before, err := s.iam.StoredOrgPolicies(ctx)
	if err != nil {
		return nil, err
	}
	f, err := s.iam.PutOrgPolicies(ctx, policies)
	if err != nil {
		return f, err
	}
	s.record(ctx, actor, "org_policies.put", "org_policies", before, policies)
	return findings(f), s.policiesChanged(ctx)
}

// PutRolePolicies replaces the identity policies of a stored IAM role; the
// tokens its sessions minted are re-evaluated at their next use.
func (s *Service) PutRolePolicies(ctx context.Context, actor, name string, policies []json.RawMessage) (iam.RoleView, []iam.Finding, error) {
	before, err := s.iam.GetRole(ctx, name)
	if err != nil {
		return iam.RoleView{}, nil, err
	}
	r, f, err := s.iam.PutRolePolicies(ctx, name, policies)
	if err != nil {
		return iam.RoleView{}, f, err
	}
	s.record(ctx, actor, "iam_role.put_policies", "iam_role/"+name, before, r)
	return r, findings(f), s.policiesChanged(ctx)
}

// policiesChanged advances the account's policy generation after a change
// of IAM policies: every instance re-evaluates IAM-minted tokens at their
// next use, and a policy event tells resource servers to.
func (s *Service) policiesChanged(ctx context.Context) error {
	if _, err := s.revs.PoliciesChanged(ctx, s.iam.Account().ID); err != nil {
		return fmt.Errorf("admin: the change is stored, but IAM-minted tokens see it only when their instances' decisions expire (30 s): %w", err)
	}
	return nil
}
