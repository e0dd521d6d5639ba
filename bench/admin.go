package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lineage-oss/lineage/admin"
	"github.com/lineage-oss/lineage/iam"
)

// ClientIDPrefix starts the id of every client, and the username of every
// user, lineage bench creates, so that one left behind by a killed run is
// easy to find and delete.
const ClientIDPrefix = "lineage-bench-"

// adminTimeout bounds one admin API call.
const adminTimeout = 30 * time.Second

// Admin calls the admin API (JSON under /admin/v1/, "Authorization:
// Bearer <admin token>", RFC 6750 §2.1) and remembers the clients, users,
// IAM users and IAM roles it creates, so that Run deletes them whatever
// happens. The token goes in that header only, never in a message.
type Admin struct {
	base  string // no trailing slash
	token string
	run   string // this run's id, in every client id and username
	http  *http.Client

	mu       sync.Mutex
	created  []string // client ids
	users    []string // usernames
	iamUsers []string // IAM user names
	roles    []string // IAM role names
}

func newAdmin(base, token, run string) *Admin {
	return &Admin{base: strings.TrimRight(base, "/"), token: token, run: run, http: &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		Timeout:   adminTimeout,
		// A redirect is an error: the token is not sent on to wherever it
		// points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// CreateClient registers a client named ClientIDPrefix + run id + "-" +
// role and returns it with its secret. It is deleted when the run ends.
func (a *Admin) CreateClient(ctx context.Context, role string, in admin.ClientInput) (admin.ClientSecret, error) {
	in.ID = ClientIDPrefix + a.run + "-" + role
	a.remember(&a.created, in.ID)
	var out admin.ClientSecret
	if err := a.call(ctx, http.MethodPost, "/admin/v1/clients", in, &out); err != nil {
		var ae *adminError
		if errors.As(err, &ae) {
			a.forgetName(&a.created, in.ID)
		}
		return admin.ClientSecret{}, fmt.Errorf("create client %s: %w", in.ID, err)
	}
	if out.Secret == "" {
		return admin.ClientSecret{}, fmt.Errorf("create client %s: the admin API returned no secret", in.ID)
	}
	return out, nil
}

// CreateUser creates the user ClientIDPrefix + run id + "-" + role with
// the password (at least 12 characters) and returns it. It is deleted when
// the run ends.
func (a *Admin) CreateUser(ctx context.Context, role, password string) (admin.User, error) {
	in := admin.UserInput{Username: ClientIDPrefix + a.run + "-" + role, Password: password}
	a.remember(&a.users, in.Username)
	var out admin.User
	if err := a.call(ctx, http.MethodPost, "/admin/v1/users", in, &out); err != nil {
		var ae *adminError
		if errors.As(err, &ae) {
			a.forgetName(&a.users, in.Username)
		}
		return admin.User{}, fmt.Errorf("create user %s: %w", in.Username, err)
	}
	if out.Username != in.Username {
		return admin.User{}, fmt.Errorf("create user %s: the admin API returned user %q", in.Username, out.Username)
	}
	return out, nil
}

// ListUsers returns every user.
func (a *Admin) ListUsers(ctx context.Context) ([]admin.User, error) {
	var out struct {
		Users []admin.User `json:"users"`
	}
	if err := a.call(ctx, http.MethodGet, "/admin/v1/users", nil, &out); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out.Users, nil
}

// DisableClient disables a client: it gets no token, and its tokens stop
// introspecting as active.
func (a *Admin) DisableClient(ctx context.Context, id string) error {
	if err := a.call(ctx, http.MethodPost, "/admin/v1/clients/"+url.PathEscape(id)+"/disable", nil, nil); err != nil {
		return fmt.Errorf("disable client %s: %w", id, err)
	}
	return nil
}

// ListClients returns every client.
func (a *Admin) ListClients(ctx context.Context) ([]admin.Client, error) {
	var out struct {
		Clients []admin.Client `json:"clients"`
	}
	if err := a.call(ctx, http.MethodGet, "/admin/v1/clients", nil, &out); err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return out.Clients, nil
}

// CreateIAMUser creates the IAM user ClientIDPrefix + run id + "-" + role
// with the identity policies (DESIGN.md "IAM model"). It is deleted, with
// its access keys, when the run ends.
func (a *Admin) CreateIAMUser(ctx context.Context, role string, policies ...json.RawMessage) (iam.UserView, error) {
	in := admin.IAMUserInput{Name: ClientIDPrefix + a.run + "-" + role, Policies: policies}
	a.remember(&a.iamUsers, in.Name)
	var out struct {
		User iam.UserView `json:"user"`
	}
	if err := a.call(ctx, http.MethodPost, "/admin/v1/iam/users", in, &out); err != nil {
		var ae *adminError
		if errors.As(err, &ae) {
			a.forgetName(&a.iamUsers, in.Name)
		}
		return iam.UserView{}, fmt.Errorf("create IAM user %s: %w", in.Name, err)
	}
	if out.User.Name != in.Name || out.User.ARN == "" {
		return iam.UserView{}, fmt.Errorf("create IAM user %s: the admin API returned user %q (ARN %q)", in.Name, out.User.Name, out.User.ARN)
	}
	return out.User, nil
}

// CreateAccessKey issues an access key (AKIA…) for an IAM user this Admin
// created and returns its id and secret; it goes with the user.
func (a *Admin) CreateAccessKey(ctx context.Context, user string) (id, secret string, err error) {
	var out struct {
		AccessKey iam.AccessKeyView `json:"access_key"`
		Secret    string            `json:"secret_access_key"`
	}
	if err := a.call(ctx, http.MethodPost, "/admin/v1/iam/users/"+url.PathEscape(user)+"/access-keys", nil, &out); err != nil {
		return "", "", fmt.Errorf("create an access key of %s: %w", user, err)
	}
	if out.AccessKey.ID == "" || out.Secret == "" {
		return "", "", fmt.Errorf("create an access key of %s: the admin API returned no key id or secret", user)
	}
	return out.AccessKey.ID, out.Secret, nil
}

// CreateRole creates the IAM role ClientIDPrefix + run id + "-" + in.Name
// (in.Name is the role's part of it) and returns it. It is deleted when
// the run ends, which ends its sessions.
func (a *Admin) CreateRole(ctx context.Context, in iam.RoleInput) (iam.RoleView, error) {
	in.Name = ClientIDPrefix + a.run + "-" + in.Name
	a.remember(&a.roles, in.Name)
	var out struct {
		Role iam.RoleView `json:"role"`
	}
	if err := a.call(ctx, http.MethodPost, "/admin/v1/iam/roles", in, &out); err != nil {
		var ae *adminError
		if errors.As(err, &ae) {
			a.forgetName(&a.roles, in.Name)
		}
		return iam.RoleView{}, fmt.Errorf("create IAM role %s: %w", in.Name, err)
	}
	if out.Role.Name != in.Name || out.Role.ARN == "" {
		return iam.RoleView{}, fmt.Errorf("create IAM role %s: the admin API returned role %q (ARN %q)", in.Name, out.Role.Name, out.Role.ARN)
	}
	return out.Role, nil
}

// ListIAMUsers returns every IAM user.
func (a *Admin) ListIAMUsers(ctx context.Context) ([]iam.UserView, error) {
	var out struct {
		Users []iam.UserView `json:"users"`
	}
	if err := a.call(ctx, http.MethodGet, "/admin/v1/iam/users", nil, &out); err != nil {
		return nil, fmt.Errorf("list IAM users: %w", err)
	}
	return out.Users, nil
}

// ListIAMRoles returns every IAM role.
func (a *Admin) ListIAMRoles(ctx context.Context) ([]iam.RoleView, error) {
	var out struct {
		Roles []iam.RoleView `json:"roles"`
	}
	if err := a.call(ctx, http.MethodGet, "/admin/v1/iam/roles", nil, &out); err != nil {
		return nil, fmt.Errorf("list IAM roles: %w", err)
	}
	return out.Roles, nil
}

// remember adds name to one of the lists of what to delete, before it is
// asked for, so that what a request whose answer is lost created is
// deleted too.
func (a *Admin) remember(list *[]string, name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	*list = append(*list, name)
}

// forgetName takes name off one of the lists of what to delete: the API
// said no, so nothing was created.
func (a *Admin) forgetName(list *[]string, name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	*list = slices.DeleteFunc(*list, func(n string) bool { return n == name })
}

// leftovers are what clean-up could not delete.
type leftovers struct {
	clients, users, iamUsers, roles []string
}

// deleteCreated deletes every client, user, IAM role and IAM user this
// Admin created (one already gone is fine) and returns those it could not
// delete.
func (a *Admin) deleteCreated(ctx context.Context) (leftovers, error) {
	a.mu.Lock()
	ids, names, iamUsers, roles := a.created, a.users, a.iamUsers, a.roles
	a.created, a.users, a.iamUsers, a.roles = nil, nil, nil, nil
	a.mu.Unlock()
	var left leftovers
	var errs []error
	del := func(what, path, name string) bool {
		err := a.call(ctx, http.MethodDelete, path+url.PathEscape(name), nil, nil)
		var ae *adminError
		if err != nil && !(errors.As(err, &ae) && ae.status == http.StatusNotFound) {
			errs = append(errs, fmt.Errorf("delete %s %s: %w", what, name, err))
			return false
		}
		return true
	}
	for _, id := range ids {
		if !del("client", "/admin/v1/clients/", id) {
			left.clients = append(left.clients, id)
		}
	}
	for _, name := range names {
		if !del("user", "/admin/v1/users/", name) {
			left.users = append(left.users, name)
		}
	}
	// Roles before the IAM users they trust, so that no session outlives
	// its source by a moment.
	for _, name := range roles {
		if !del("IAM role", "/admin/v1/iam/roles/", name) {
			left.roles = append(left.roles, name)
		}
	}
	for _, name := range iamUsers {
		if !del("IAM user", "/admin/v1/iam/users/", name) {
			left.iamUsers = append(left.iamUsers, name)
		}
	}
	return left, errors.Join(errs...)
}

// adminError is an admin API answer other than 2xx.
type adminError struct {
	status      int
	code, descr string
}

func (e *adminError) Error() string {
	msg := fmt.Sprintf("admin API answered %d", e.status)
	if e.code != "" {
		msg += " " + e.code
	}
	if e.descr != "" {
		msg += ": " + e.descr
	}
	if e.status == http.StatusUnauthorized {
		msg += " (check the admin token)"
	}
	return msg
}

// call sends in (JSON, when not nil) and decodes a 2xx answer into out
// (when not nil).
func (a *Admin) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(raw, &e)
		return &adminError{status: resp.StatusCode, code: truncate(e.Error, 64), descr: truncate(e.Description, 300)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("unexpected answer from the admin API: %w", err)
	}
	return nil
}
