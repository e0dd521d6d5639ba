package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/ory/fosite"
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
