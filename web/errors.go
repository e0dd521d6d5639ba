package web

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/ory/fosite"

	"github.com/lineage-oss/lineage/ratelimit"
)

// oauthError is the RFC 6749 §5.2 error body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// errorHandler renders every error a handler returns. OAuth errors keep
// their RFC 6749 code and status; anything unexpected becomes a 500
// server_error with no detail, logged without the request body.
func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var limited *ratelimit.Exceeded
		if errors.As(err, &limited) {
			renderRateLimited(c, limited)
			return
		}
		var se *stsError
		if errors.As(err, &se) || c.Path() == stsPath {
			if se == nil {
				logger.ErrorContext(c.Request().Context(), "sts request failed", "error", err.Error())
				se = &stsError{status: http.StatusInternalServerError, code: "InternalFailure", msg: "The request processing has failed."}
			}
			renderSTS(c, se)
			return
		}
		if c.QueryParam("aws_iam") == "t" {
			e := toAWSError(err)
			if e.status >= http.StatusInternalServerError {
				logger.ErrorContext(c.Request().Context(), "aws_iam request failed",
					"method", c.Request().Method, "path", c.Request().URL.Path, "error", err.Error())
			}
			renderAWS(c, e)
			return
		}
		status, body := render(err)
		switch {
		case status == http.StatusServiceUnavailable:
			// Failing closed (the store is away): worth a warning, the
			// error says which part failed and carries no token.
			logger.WarnContext(c.Request().Context(), "request refused: temporarily unavailable",
				"method", c.Request().Method, "path", c.Request().URL.Path, "error", err.Error())
		case status >= http.StatusInternalServerError:
			logger.ErrorContext(c.Request().Context(), "request failed",
				"method", c.Request().Method, "path", c.Request().URL.Path, "error", err.Error())
		}
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		if status == http.StatusUnauthorized {
			// RFC 6749 §5.2: 401 invalid_client names the scheme.
			h.Set("WWW-Authenticate", `Basic realm="lineage", charset="UTF-8"`)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		_ = c.JSON(status, body)
	}
}

func render(err error) (int, oauthError) {
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) {
		status := rfc.StatusCode()
		if status == 0 {
			status = http.StatusBadRequest
		}
		desc := rfc.DescriptionField
		if rfc.HintField != "" {
			desc = rfc.HintField
		}
		if status >= http.StatusInternalServerError && rfc.ErrorField == fosite.ErrServerError.ErrorField {
			desc = "The server could not handle the request."
		}
		return status, oauthError{Error: rfc.ErrorField, Description: desc}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusRequestEntityTooLarge:
			return he.Code, oauthError{Error: "invalid_request", Description: "The request body is too large."}
		case http.StatusNotFound:
			return he.Code, oauthError{Error: "not_found", Description: "No such endpoint."}
		case http.StatusMethodNotAllowed:
			return he.Code, oauthError{Error: "invalid_request", Description: "Method not allowed."}
		case http.StatusServiceUnavailable:
			return he.Code, oauthError{Error: "temporarily_unavailable", Description: "The service is not ready."}
		}
		if he.Code < http.StatusInternalServerError {
			return he.Code, oauthError{Error: "invalid_request", Description: http.StatusText(he.Code)}
		}
	}
	return http.StatusInternalServerError, oauthError{Error: "server_error", Description: "The server could not handle the request."}
}

// renderRateLimited answers a request refused by a rate limit: HTTP 429
// with Retry-After (whole seconds, RFC 9110 §10.2.3), in the shape of the
// endpoint's protocol — STS <ErrorResponse> with the code Throttling (which
// the AWS SDKs retry), SSO-OIDC SlowDownException / slow_down (the
// exception CreateTokenWithIAM declares; the SDKs do not retry it), and
// elsewhere RFC 6749 temporarily_unavailable. The AWS shapes also carry
// X-Amz-Retry-After (milliseconds), which the SDKs' retryers honour.
func renderRateLimited(c echo.Context, e *ratelimit.Exceeded) {
	secs := max(1, int(math.Ceil(e.RetryAfter.Seconds())))
	h := c.Response().Header()
	h.Set("Retry-After", strconv.Itoa(secs))
	h.Set("Cache-Control", "no-store")
	msg := fmt.Sprintf("Too many requests; retry after %d seconds.", secs)
	switch {
	case c.Path() == stsPath:
		h.Set("X-Amz-Retry-After", strconv.FormatInt(max(1, e.RetryAfter.Milliseconds()), 10))
		renderSTS(c, &stsError{status: http.StatusTooManyRequests, code: "Throttling", msg: "Rate exceeded", err: e})
	case c.QueryParam("aws_iam") == "t":
		h.Set("X-Amz-Retry-After", strconv.FormatInt(max(1, e.RetryAfter.Milliseconds()), 10))
		renderAWS(c, &awsError{status: http.StatusTooManyRequests, typ: "SlowDownException", code: "slow_down", msg: msg, err: e})
	default:
		h.Set("Pragma", "no-cache")
		_ = c.JSON(http.StatusTooManyRequests, oauthError{Error: "temporarily_unavailable", Description: msg})
	}
}
