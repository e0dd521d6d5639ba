package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lineage-oss/lineage/iam/policy"
	"github.com/lineage-oss/lineage/store"
)

// Administration of IAM principals at run time. Configured principals are
// read-only; every policy is validated on write for the role it plays, and
// the validator's warnings are returned.

// Finding is a validator finding on one of the policies of a request, with
// where it was found.
type Finding struct {
	Document string `json:"document"` // e.g. policies[1], trust_policy
	policy.Finding
}

// PolicyError is a refused write: at least one policy has errors. It
// carries every finding.
type PolicyError struct {
	Findings []Finding
}

func (e *PolicyError) Error() string {
	for _, f := range e.Findings {
		if f.Severity == policy.SeverityError {
			return fmt.Sprintf("iam: invalid policy: %s %s: %s", f.Document, f.Path, f.Message)
		}
	}
	return "iam: invalid policy"
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *PolicyError) Unwrap() error { return ErrInvalid }

// validatePolicies validates docs of kind, naming each as prefix[i]; it
// returns the findings and an error wrapping ErrInvalid if any is an error.
func validatePolicies(prefix string, kind policy.Kind, docs ...json.RawMessage) ([]Finding, error) {
	var out []Finding
	bad := false
	for i, doc := range docs {
		name := prefix
		if len(docs) > 1 || strings.HasSuffix(prefix, "s") {
			name = fmt.Sprintf("%s[%d]", prefix, i)
		}
		for _, f := range policy.Validate(doc, kind) {
			out = append(out, Finding{Document: name, Finding: f})
			bad = bad || f.Severity == policy.SeverityError
		}
	}
	if bad {
		return out, &PolicyError{Findings: out}
	}
	return out, nil
}

// UserView is an IAM user as the admin API shows it.
type UserView struct {
	Name      string            `json:"name"`
	ARN       string            `json:"arn"`
	ID        string            `json:"id"`
	Source    string            `json:"source"`
	Policies  []json.RawMessage `json:"policies"`
	CreatedAt time.Time         `json:"created_at,omitzero"`
}

// AccessKeyView is an access key without its secret.
type AccessKeyView struct {
	ID            string    `json:"id"`
	UserName      string    `json:"user_name"`
	Status        string    `json:"status"` // Active, Inactive
	Source        string    `json:"source"`
	CreatedAt     time.Time `json:"created_at,omitzero"`
	DeactivatedAt time.Time `json:"deactivated_at,omitzero"`
}

// RoleView is an IAM role as the admin API shows it.
type RoleView struct {
	Name               string            `json:"name"`
	ARN                string            `json:"arn"`
	ID                 string            `json:"id"`
	Source             string            `json:"source"`
	MaxSessionDuration string            `json:"max_session_duration"`
	TrustPolicy        json.RawMessage   `json:"trust_policy"`
	Policies           []json.RawMessage `json:"policies"`
	CreatedAt          time.Time         `json:"created_at,omitzero"`
}

func source(configured bool) string {
	if configured {
		return "config"
	}
	return "api"
}

func orEmpty(p []json.RawMessage) []json.RawMessage {
	if p == nil {
		return []json.RawMessage{}
	}
	return p
}

func (d *Directory) userView(u store.IAMUser) UserView {
	_, configured := d.users[u.Name]
	return UserView{Name: u.Name, ARN: d.account.UserARN(u.Name), ID: u.ID, Source: source(configured),
		Policies: orEmpty(u.Policies), CreatedAt: u.CreatedAt}
}

func (d *Directory) roleView(r store.IAMRole) RoleView {
	_, configured := d.roles[r.Name]
	return RoleView{Name: r.Name, ARN: d.account.RoleARN(r.Name), ID: r.ID, Source: source(configured),
		MaxSessionDuration: r.MaxSessionDuration.String(), TrustPolicy: r.TrustPolicy, Policies: orEmpty(r.Policies), CreatedAt: r.CreatedAt}
}

// ListUsers returns every IAM user, configured and stored, by name.
func (d *Directory) ListUsers(ctx context.Context) ([]UserView, error) {
	stored, err := d.stores.Users.ListIAMUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	all := slices.Collect(maps.Values(d.users))
	for _, u := range stored {
		if _, ok := d.users[u.Name]; !ok {
			all = append(all, u)
		}
	}
	slices.SortFunc(all, func(a, b store.IAMUser) int { return strings.Compare(a.Name, b.Name) })
	out := make([]UserView, len(all))
	for i, u := range all {
		out[i] = d.userView(u)
	}
	return out, nil
}

// GetUser returns one IAM user.
func (d *Directory) GetUser(ctx context.Context, name string) (UserView, error) {
	u, err := d.user(ctx, name)
	if err != nil {
		return UserView{}, err
	}
	return d.userView(u), nil
}

// CreateUser stores a new IAM user with identity policies.
func (d *Directory) CreateUser(ctx context.Context, name string, policies []json.RawMessage) (UserView, []Finding, error) {
	if !ValidName(name) {
		return UserView{}, nil, fmt.Errorf("%w: a user name has 1 to 64 characters of [A-Za-z0-9+=,.@_-]", ErrInvalid)
	}
	if _, ok := d.users[name]; ok {
		return UserView{}, nil, fmt.Errorf("iam: user %q: %w", name, store.ErrConflict)
	}
	findings, err := validatePolicies("policies", policy.KindIdentity, policies...)
	if err != nil {
		return UserView{}, findings, err
	}
	id, err := randomID(PrefixUserID, d.rand)
	if err != nil {
		return UserView{}, nil, err
	}
	now := d.now().UTC()
	u := store.IAMUser{Name: name, ID: id, Policies: policies, CreatedAt: now, UpdatedAt: now}
	if err := d.stores.Users.CreateIAMUser(ctx, u); err != nil {
		return UserView{}, nil, fmt.Errorf("iam: %w", err)
	}
	return d.userView(u), findings, nil
}

// DeleteUser deactivates the user's access keys, then removes the user.
func (d *Directory) DeleteUser(ctx context.Context, name string) (UserView, error) {
	if _, ok := d.users[name]; ok {
		return UserView{}, ErrReadOnly
	}
	u, err := d.stores.Users.GetIAMUser(ctx, name)
	if err != nil {
		return UserView{}, fmt.Errorf("iam: %w", err)
	}
	keys, err := d.stores.Keys.ListAccessKeys(ctx, name)
	if err != nil {
		return UserView{}, fmt.Errorf("iam: %w", err)
	}
	for _, k := range keys {
		if err := d.stores.Keys.DeleteAccessKey(ctx, k.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return UserView{}, fmt.Errorf("iam: %w", err)
		}
	}
	if err := d.stores.Users.DeleteIAMUser(ctx, name); err != nil {
		return UserView{}, fmt.Errorf("iam: %w", err)
	}
	return d.userView(u), nil
}

// ListAccessKeys returns a user's access keys, without secrets.
func (d *Directory) ListAccessKeys(ctx context.Context, userName string) ([]AccessKeyView, error) {
	if _, err := d.user(ctx, userName); err != nil {
		return nil, err
	}
	var out []AccessKeyView
	for id, k := range d.staticKeys {
		if k.user == userName {
			out = append(out, AccessKeyView{ID: id, UserName: userName, Status: "Active", Source: "config"})
		}
	}
	slices.SortFunc(out, func(a, b AccessKeyView) int { return strings.Compare(a.ID, b.ID) })
	stored, err := d.stores.Keys.ListAccessKeys(ctx, userName)
	if err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	for _, k := range stored {
		out = append(out, keyView(k))
	}
	if out == nil {
		out = []AccessKeyView{}
	}
	return out, nil
}

func keyView(k store.AccessKey) AccessKeyView {
	status := "Active"
	if !k.Active {
		status = "Inactive"
	}
	return AccessKeyView{ID: k.ID, UserName: k.UserName, Status: status, Source: "api", CreatedAt: k.CreatedAt, DeactivatedAt: k.DeactivatedAt}
}

// CreateAccessKey issues a new access key for a user (configured or
// stored) and returns its secret, once. The secret is sealed at rest.
func (d *Directory) CreateAccessKey(ctx context.Context, userName string) (AccessKeyView, string, error) {
	if _, err := d.user(ctx, userName); err != nil {
		return AccessKeyView{}, "", err
	}
	id, err := randomID(PrefixAccessKey, d.rand)
	if err != nil {
		return AccessKeyView{}, "", err
	}
	secret, err := newSecretAccessKey(d.rand)
	if err != nil {
		return AccessKeyView{}, "", err
	}
	sealed, err := d.keySealer.Seal([]byte(secret), accessKeyAAD(id))
	if err != nil {
		return AccessKeyView{}, "", err
	}
	k := store.AccessKey{ID: id, UserName: userName, SealedSecret: sealed, Active: true, CreatedAt: d.now().UTC()}
	if err := d.stores.Keys.CreateAccessKey(ctx, k); err != nil {
		return AccessKeyView{}, "", fmt.Errorf("iam: %w", err)
	}
	return keyView(k), secret, nil
}

// DeactivateAccessKey makes a stored key unusable at once; it stays listed
// as Inactive.
func (d *Directory) DeactivateAccessKey(ctx context.Context, userName, id string) (AccessKeyView, error) {
	if k, ok := d.staticKeys[id]; ok && k.user == userName {
		return AccessKeyView{}, ErrReadOnly
	}
	k, err := d.stores.Keys.GetAccessKey(ctx, id)
	if err != nil || k.UserName != userName {
		if err == nil {
			err = store.ErrNotFound
		}
		return AccessKeyView{}, fmt.Errorf("iam: access key: %w", err)
	}
	if k.Active {
		k.Active = false
		k.DeactivatedAt = d.now().UTC()
		if err := d.stores.Keys.UpdateAccessKey(ctx, k); err != nil {
			return AccessKeyView{}, fmt.Errorf("iam: %w", err)
		}
	}
	return keyView(k), nil
}

// RoleInput is a new role.
type RoleInput struct {
	Name               string            `json:"name"`
	MaxSessionDuration string            `json:"max_session_duration,omitempty"` // default 1h
	TrustPolicy        json.RawMessage   `json:"trust_policy"`
	Policies           []json.RawMessage `json:"policies,omitempty"`
}

// ListRoles returns every role, configured and stored, by name.
func (d *Directory) ListRoles(ctx context.Context) ([]RoleView, error) {
	stored, err := d.stores.Roles.ListIAMRoles(ctx)
	if err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	all := slices.Collect(maps.Values(d.roles))
	for _, r := range stored {
		if _, ok := d.roles[r.Name]; !ok {
			all = append(all, r)
		}
	}
	slices.SortFunc(all, func(a, b store.IAMRole) int { return strings.Compare(a.Name, b.Name) })
	out := make([]RoleView, len(all))
	for i, r := range all {
		out[i] = d.roleView(r)
	}
	return out, nil
}

// GetRole returns one role.
func (d *Directory) GetRole(ctx context.Context, name string) (RoleView, error) {
	r, err := d.role(ctx, name)
	if err != nil {
		return RoleView{}, err
	}
	return d.roleView(r), nil
}

// CreateRole stores a new role.
func (d *Directory) CreateRole(ctx context.Context, in RoleInput) (RoleView, []Finding, error) {
	if !ValidName(in.Name) {
		return RoleView{}, nil, fmt.Errorf("%w: a role name has 1 to 64 characters of [A-Za-z0-9+=,.@_-]", ErrInvalid)
	}
	if _, ok := d.roles[in.Name]; ok {
		return RoleView{}, nil, fmt.Errorf("iam: role %q: %w", in.Name, store.ErrConflict)
	}
	maxSession := time.Hour
	if in.MaxSessionDuration != "" {
		v, err := time.ParseDuration(in.MaxSessionDuration)
		if err != nil || v < time.Hour || v > 12*time.Hour {
			return RoleView{}, nil, fmt.Errorf("%w: max_session_duration is a duration from 1h to 12h", ErrInvalid)
		}
		maxSession = v
	}
	if len(in.TrustPolicy) == 0 {
		return RoleView{}, nil, fmt.Errorf("%w: a role needs a trust_policy", ErrInvalid)
	}
	findings, err := validatePolicies("trust_policy", policy.KindTrust, in.TrustPolicy)
	more, err2 := validatePolicies("policies", policy.KindIdentity, in.Policies...)
	findings = append(findings, more...)
	if err := errors.Join(err, err2); err != nil {
		return RoleView{}, findings, err
	}
	id, err := randomID(PrefixRoleID, d.rand)
	if err != nil {
		return RoleView{}, nil, err
	}
	now := d.now().UTC()
	r := store.IAMRole{Name: in.Name, ID: id, MaxSessionDuration: maxSession, TrustPolicy: in.TrustPolicy,
		Policies: in.Policies, CreatedAt: now, UpdatedAt: now}
	if err := d.stores.Roles.CreateIAMRole(ctx, r); err != nil {
		return RoleView{}, nil, fmt.Errorf("iam: %w", err)
	}
	return d.roleView(r), findings, nil
}

// DeleteRole removes a stored role; its sessions stop working at once
// (their tokens name the role's id).
func (d *Directory) DeleteRole(ctx context.Context, name string) (RoleView, error) {
	if _, ok := d.roles[name]; ok {
		return RoleView{}, ErrReadOnly
	}
	r, err := d.stores.Roles.GetIAMRole(ctx, name)
	if err != nil {
		return RoleView{}, fmt.Errorf("iam: %w", err)
	}
	if err := d.stores.Roles.DeleteIAMRole(ctx, name); err != nil {
		return RoleView{}, fmt.Errorf("iam: %w", err)
	}
	return d.roleView(r), nil
}

// PutRolePolicies replaces the identity policies of a stored role.
func (d *Directory) PutRolePolicies(ctx context.Context, name string, policies []json.RawMessage) (RoleView, []Finding, error) {
	if _, ok := d.roles[name]; ok {
		return RoleView{}, nil, ErrReadOnly
	}
	findings, err := validatePolicies("policies", policy.KindIdentity, policies...)
	if err != nil {
		return RoleView{}, findings, err
	}
	r, err := d.stores.Roles.GetIAMRole(ctx, name)
	if err != nil {
		return RoleView{}, nil, fmt.Errorf("iam: %w", err)
	}
	r.Policies, r.UpdatedAt = policies, d.now().UTC()
	if err := d.stores.Roles.UpdateIAMRole(ctx, r); err != nil {
		return RoleView{}, nil, fmt.Errorf("iam: %w", err)
	}
	return d.roleView(r), findings, nil
}

// StoredOrgPolicies returns the guardrails set through the admin API (the
// configured ones come first and are read-only).
func (d *Directory) StoredOrgPolicies(ctx context.Context) (configured, stored []json.RawMessage, err error) {
	stored, err = d.stores.Org.GetOrgPolicies(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("iam: %w", err)
	}
	return orEmpty(d.org), orEmpty(stored), nil
}

// PutOrgPolicies replaces the stored guardrails.
func (d *Directory) PutOrgPolicies(ctx context.Context, policies []json.RawMessage) ([]Finding, error) {
	findings, err := validatePolicies("policies", policy.KindOrg, policies...)
	if err != nil {
		return findings, err
	}
	defer d.forgetOrgPolicies()
	if err := d.stores.Org.PutOrgPolicies(ctx, policies); err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	return findings, nil
}
