package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.opentelemetry.io/otel/trace"

	"github.com/lineage-oss/lineage/admin"
	"github.com/lineage-oss/lineage/clients"
	"github.com/lineage-oss/lineage/iam"
	"github.com/lineage-oss/lineage/jwks"
	"github.com/lineage-oss/lineage/revocation"
	"github.com/lineage-oss/lineage/store"
	"github.com/lineage-oss/lineage/users"
)

// AdminOptions configure the admin listener.
type AdminOptions struct {
	// Token is the bearer token every admin request must carry.
	Token string
	// ActorID names the token in the audit trail (never the token itself).
	ActorID      string
	MaxBodyBytes int64
	Logger       *slog.Logger
	// Metrics receives every request (nil: none); MetricsHandler serves
	// GET /metrics (Prometheus exposition; nil: not served).
	Metrics        RequestObserver
	MetricsHandler http.Handler
	// TracerProvider makes each request a server span (nil: no traces).
	TracerProvider trace.TracerProvider
}

// NewAdmin returns the handler of the admin listener: JSON under
// /admin/v1/, each request authenticated by the admin bearer token
// (RFC 6750 §2.1), compared in constant time.
func NewAdmin(opts AdminOptions, svc *admin.Service) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = adminErrorHandler(opts.Logger)
	if opts.TracerProvider != nil {
		e.Use(nameServerSpan)
	}
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, DisablePrintStack: true}))
	if opts.Metrics != nil {
		e.Use(requestMetrics("admin", opts.Metrics))
	}
	e.Use(accessLog(opts.Logger))
	e.Use(middleware.BodyLimit(fmt.Sprintf("%dB", opts.MaxBodyBytes)))

	// Every request on the admin listener needs the token, whatever its path.
	e.Use(bearer(opts.Token))
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set("Cache-Control", "no-store")
			return next(c)
		}
	})
	if opts.MetricsHandler != nil {
		e.GET("/metrics", echo.WrapHandler(opts.MetricsHandler))
	}
	h := &adminHandlers{svc: svc, actor: opts.ActorID}
	g := e.Group("/admin/v1")
	g.GET("/clients", h.listClients)
	g.POST("/clients", h.createClient)
	g.GET("/clients/:id", h.getClient)
	g.PUT("/clients/:id", h.replaceClient)
	g.DELETE("/clients/:id", h.deleteClient)
	g.POST("/clients/:id/disable", h.disableClient)
	g.POST("/clients/:id/enable", h.enableClient)
	g.POST("/clients/:id/rotate-secret", h.rotateSecret)
	g.GET("/users", h.listUsers)
	g.POST("/users", h.createUser)
	g.GET("/users/:username", h.getUser)
	g.DELETE("/users/:username", h.deleteUser)
	g.PUT("/users/:username/password", h.setPassword)
	g.GET("/keys", h.listKeys)
	g.POST("/keys/rotate", h.rotateKey)
	g.DELETE("/keys/:kid", h.deleteKey)
	g.GET("/audit", h.audit)
	g.GET("/revocations", h.listRevocations)
	g.POST("/revocations", h.revoke)
	g.GET("/iam/users", h.listIAMUsers)
	g.POST("/iam/users", h.createIAMUser)
	g.GET("/iam/users/:name", h.getIAMUser)
	g.DELETE("/iam/users/:name", h.deleteIAMUser)
	g.GET("/iam/users/:name/access-keys", h.listAccessKeys)
	g.POST("/iam/users/:name/access-keys", h.createAccessKey)
	g.DELETE("/iam/users/:name/access-keys/:id", h.deactivateAccessKey)
	g.GET("/iam/roles", h.listRoles)
	g.POST("/iam/roles", h.createRole)
	g.GET("/iam/roles/:name", h.getRole)
	g.DELETE("/iam/roles/:name", h.deleteRole)
	g.POST("/iam/roles/:name/revoke-sessions", h.revokeRoleSessions)
	g.PUT("/iam/roles/:name/policies", h.putRolePolicies)
	g.GET("/iam/org-policies", h.getOrgPolicies)
	g.PUT("/iam/org-policies", h.putOrgPolicies)
	return traced(e, opts.TracerProvider)
}

// bearer admits requests whose Authorization is "Bearer <token>". Both
// sides are hashed first so that the comparison does not leak the length.
func bearer(token string) echo.MiddlewareFunc {
	want := sha256.Sum256([]byte(token))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			const prefix = "Bearer "
			got := c.Request().Header.Get("Authorization")
			ok := len(got) > len(prefix) && got[:len(prefix)] == prefix
			sum := sha256.Sum256([]byte(got[min(len(prefix), len(got)):]))
			if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 || !ok {
				return errUnauthorized
			}
			return next(c)
		}
	}
}

var errUnauthorized = errors.New("web: admin token missing or wrong")

type adminHandlers struct {
	svc   *admin.Service
	actor string
}

// param returns a path parameter, unescaped (client ids may be ARNs with
// a "/" sent as %2F). Echo routes on the raw path when the request has one
// (then parameters are still escaped), else on the decoded path.
func param(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	var err error
	if c.Request().URL.RawPath != "" {
		v, err = url.PathUnescape(v)
	}
	if err != nil || v == "" {
		return "", fmt.Errorf("%w: bad %s in the path", admin.ErrInvalid, name)
	}
	return v, nil
}

// decode reads one JSON object, refusing unknown fields and trailing data.
func decode(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return echo.ErrStatusRequestEntityTooLarge
		}
		return fmt.Errorf("%w: the body is not the expected JSON object: %s", admin.ErrInvalid, jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: data after the JSON object", admin.ErrInvalid)
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong type", typ.Field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "it ends early"
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

func (h *adminHandlers) listClients(c echo.Context) error {
	all, err := h.svc.ListClients(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"clients": all})
}

func (h *adminHandlers) createClient(c echo.Context) error {
	var in admin.ClientInput
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateClient(c.Request().Context(), h.actor, in)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, out)
}

func (h *adminHandlers) getClient(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.GetClient(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *adminHandlers) replaceClient(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	var in admin.ClientInput
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := h.svc.ReplaceClient(c.Request().Context(), h.actor, id, in)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

func (h *adminHandlers) deleteClient(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteClient(c.Request().Context(), h.actor, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *adminHandlers) disableClient(c echo.Context) error { return h.setDisabled(c, true) }
func (h *adminHandlers) enableClient(c echo.Context) error  { return h.setDisabled(c, false) }

func (h *adminHandlers) setDisabled(c echo.Context, disabled bool) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.SetClientDisabled(c.Request().Context(), h.actor, id, disabled)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *adminHandlers) rotateSecret(c echo.Context) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	out, err := h.svc.RotateClientSecret(c.Request().Context(), h.actor, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

func (h *adminHandlers) listUsers(c echo.Context) error {
	all, err := h.svc.ListUsers(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"users": all})
}

func (h *adminHandlers) createUser(c echo.Context) error {
	var in admin.UserInput
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := h.svc.CreateUser(c.Request().Context(), h.actor, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (h *adminHandlers) getUser(c echo.Context) error {
	name, err := param(c, "username")
	if err != nil {
		return err
	}
	out, err := h.svc.GetUser(c.Request().Context(), name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *adminHandlers) deleteUser(c echo.Context) error {
	name, err := param(c, "username")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteUser(c.Request().Context(), h.actor, name); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *adminHandlers) setPassword(c echo.Context) error {
	name, err := param(c, "username")
	if err != nil {
		return err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := h.svc.SetUserPassword(c.Request().Context(), h.actor, name, in.Password); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *adminHandlers) listKeys(c echo.Context) error {
	keys, err := h.svc.Keys(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"keys": keys})
}

func (h *adminHandlers) rotateKey(c echo.Context) error {
	k, err := h.svc.RotateKey(c.Request().Context(), h.actor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"key": k})
}

func (h *adminHandlers) deleteKey(c echo.Context) error {
	kid, err := param(c, "kid")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteKey(c.Request().Context(), h.actor, kid); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *adminHandlers) audit(c echo.Context) error {
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fmt.Errorf("%w: limit is 1 to 1000", admin.ErrInvalid)
		}
		limit = n
	}
	records, err := h.svc.Audit(c.Request().Context(), limit, c.QueryParam("before"))
	if err != nil {
		return err
	}
	next := ""
	if len(records) == limit {
		next = records[len(records)-1].ID
	}
	if records == nil {
		records = []store.AuditRecord{}
	}
	return c.JSON(http.StatusOK, map[string]any{"records": records, "next": next})
}

func (h *adminHandlers) listRevocations(c echo.Context) error {
	out, err := h.svc.ListRevocations(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (h *adminHandlers) revoke(c echo.Context) error {
	var in admin.RevocationInput
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := h.svc.Revoke(c.Request().Context(), h.actor, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (h *adminHandlers) revokeRoleSessions(c echo.Context) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	var in struct {
		Before string `json:"before"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := h.svc.RevokeRoleSessions(c.Request().Context(), h.actor, name, in.Before)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// adminError maps domain errors to HTTP (DESIGN.md "HTTP surface": errors
// are {"error","error_description"}).
func adminError(err error) (int, oauthError) {
	var he *echo.HTTPError
	switch {
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized, oauthError{Error: "unauthorized", Description: "A valid admin bearer token is required."}
	case errors.Is(err, clients.ErrReadOnly), errors.Is(err, users.ErrReadOnly), errors.Is(err, iam.ErrReadOnly):
		return http.StatusConflict, oauthError{Error: "conflict", Description: "The entry comes from the configuration file and is read-only; change the file and restart."}
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, oauthError{Error: "conflict", Description: "An entry with this id already exists."}
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, oauthError{Error: "not_found", Description: "No such entry."}
	case errors.Is(err, admin.ErrInvalid), errors.Is(err, clients.ErrInvalid), errors.Is(err, users.ErrInvalid), errors.Is(err, store.ErrInvalid), errors.Is(err, iam.ErrInvalid):
		return http.StatusBadRequest, oauthError{Error: "invalid_request", Description: err.Error()}
	case errors.Is(err, jwks.ErrBusy):
		return http.StatusServiceUnavailable, oauthError{Error: "temporarily_unavailable", Description: "Another instance is rotating the signing keys; retry."}
	case errors.Is(err, jwks.ErrNoSigningKey):
		return http.StatusServiceUnavailable, oauthError{Error: "temporarily_unavailable", Description: "No signing key is ready yet; retry."}
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, revocation.ErrUnavailable):
		return http.StatusServiceUnavailable, oauthError{Error: "temporarily_unavailable", Description: "The store is unavailable; retry."}
	case errors.As(err, &he):
		return render(err)
	}
	return http.StatusInternalServerError, oauthError{Error: "server_error", Description: "The server could not handle the request."}
}

func adminErrorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var pe *iam.PolicyError
		if errors.As(err, &pe) {
			c.Response().Header().Set("Cache-Control", "no-store")
			_ = c.JSON(http.StatusBadRequest, map[string]any{"error": "invalid_request",
				"error_description": "A policy has errors; see findings.", "findings": pe.Findings})
			return
		}
		status, body := adminError(err)
		if status >= http.StatusInternalServerError {
			logger.ErrorContext(c.Request().Context(), "admin request failed",
				"method", c.Request().Method, "path", c.Request().URL.Path, "error", err.Error())
		}
		if status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="lineage-admin"`)
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		_ = c.JSON(status, body)
	}
}

func (h *adminHandlers) listIAMUsers(c echo.Context) error {
	all, err := h.svc.ListIAMUsers(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"users": all})
}

func (h *adminHandlers) createIAMUser(c echo.Context) error {
	var in admin.IAMUserInput
	if err := decode(c, &in); err != nil {
		return err
	}
	u, f, err := h.svc.CreateIAMUser(c.Request().Context(), h.actor, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"user": u, "findings": f})
}

func (h *adminHandlers) getIAMUser(c echo.Context) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	u, err := h.svc.GetIAMUser(c.Request().Context(), name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (h *adminHandlers) deleteIAMUser(c echo.Context) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteIAMUser(c.Request().Context(), h.actor, name); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *adminHandlers) listAccessKeys(c echo.Context) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	keys, err := h.svc.ListAccessKeys(c.Request().Context(), name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"access_keys": keys})
}

func (h *adminHandlers) createAccessKey(c echo.Context) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	k, secret, err := h.svc.CreateAccessKey(c.Request().Context(), h.actor, name)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, map[string]any{"access_key": k, "secret_access_key": secret})
}

func (h *adminHandlers) deactivateAccessKey(c echo.Context) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	k, err := h.svc.DeactivateAccessKey(c.Request().Context(), h.actor, name, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"access_key": k})
}

func (h *adminHandlers) listRoles(c echo.Context) error {
	all, err := h.svc.ListRoles(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"roles": all})
}

func (h *adminHandlers) createRole(c echo.Context) error {
	var in iam.RoleInput
	if err := decode(c, &in); err != nil {
		return err
	}
	r, f, err := h.svc.CreateRole(c.Request().Context(), h.actor, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"role": r, "findings": f})
}

func (h *adminHandlers) getRole(c echo.Context) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	r, err := h.svc.GetRole(c.Request().Context(), name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *adminHandlers) deleteRole(c echo.Context) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteRole(c.Request().Context(), h.actor, name); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *adminHandlers) getOrgPolicies(c echo.Context) error {
	configured, stored, err := h.svc.OrgPolicies(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"configured": configured, "policies": stored})
}

func (h *adminHandlers) putRolePolicies(c echo.Context) error {
	name, err := param(c, "name")
	if err != nil {
		return err
	}
	var in struct {
		Policies []json.RawMessage `json:"policies"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	r, f, err := h.svc.PutRolePolicies(c.Request().Context(), h.actor, name, in.Policies)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"role": r, "findings": f})
}

func (h *adminHandlers) putOrgPolicies(c echo.Context) error {
	var in struct {
		Policies []json.RawMessage `json:"policies"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	f, err := h.svc.PutOrgPolicies(c.Request().Context(), h.actor, in.Policies)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"policies": in.Policies, "findings": f})
}
