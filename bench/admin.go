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
)

// ClientIDPrefix starts the id of every client lineage bench creates, so
// that one left behind by a killed run is easy to find and delete.
const ClientIDPrefix = "lineage-bench-"

// adminTimeout bounds one admin API call.
const adminTimeout = 30 * time.Second

// Admin calls the admin API (JSON under /admin/v1/, "Authorization:
// Bearer <admin token>", RFC 6750 §2.1) and remembers the clients it
// creates, so that Run deletes them whatever happens. The token goes in
// that header only, never in a message.
type Admin struct {
	base  string // no trailing slash
	token string
	run   string // this run's id, in every client id
	http  *http.Client

	mu      sync.Mutex
	created []string
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
	// Remember the id before asking, so that a client created by a request
	// whose answer is lost is deleted too.
	a.mu.Lock()
	a.created = append(a.created, in.ID)
	a.mu.Unlock()
	var out admin.ClientSecret
	if err := a.call(ctx, http.MethodPost, "/admin/v1/clients", in, &out); err != nil {
		var ae *adminError
		if errors.As(err, &ae) {
			a.forget(in.ID) // the API said no: nothing was created
		}
		return admin.ClientSecret{}, fmt.Errorf("create client %s: %w", in.ID, err)
	}
	if out.Secret == "" {
		return admin.ClientSecret{}, fmt.Errorf("create client %s: the admin API returned no secret", in.ID)
	}
	return out, nil
}

func (a *Admin) forget(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.created = slices.DeleteFunc(a.created, func(c string) bool { return c == id })
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

// deleteCreated deletes every client this Admin created (one already gone
// is fine) and returns the ids it could not delete.
func (a *Admin) deleteCreated(ctx context.Context) ([]string, error) {
	a.mu.Lock()
	ids := a.created
	a.created = nil
	a.mu.Unlock()
	var left []string
	var errs []error
	for _, id := range ids {
		err := a.call(ctx, http.MethodDelete, "/admin/v1/clients/"+url.PathEscape(id), nil, nil)
		var ae *adminError
		if err != nil && !(errors.As(err, &ae) && ae.status == http.StatusNotFound) {
			left = append(left, id)
			errs = append(errs, fmt.Errorf("delete client %s: %w", id, err))
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
