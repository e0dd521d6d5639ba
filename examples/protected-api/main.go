// Command protected-api is a resource server that accepts lineage access
// tokens, verified locally with the SDK's middleware (sdk/verify): the
// issuer's keys, the token's claims, and the revocation stream, so a
// revoked token is refused within moments without introspecting each
// request.
//
//	go run ./examples/protected-api
//
// Environment: LINEAGE_ISSUER (default http://127.0.0.1:8080), API_ADDR
// (default 127.0.0.1:9090; also the expected audience, http://API_ADDR),
// API_CLIENT_ID and API_CLIENT_SECRET (default: the examples/lineage.yaml
// client orders-api).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lineage-oss/lineage/sdk/verify"
)

func main() {
	if err := run(); err != nil {
		slog.Error("protected-api", "error", err.Error())
		os.Exit(1)
	}
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	addr := env("API_ADDR", "127.0.0.1:9090")
	v, err := verify.New(ctx, verify.Options{
		Issuer:       env("LINEAGE_ISSUER", "http://127.0.0.1:8080"),
		Audience:     "http://" + addr,
		ClientID:     env("API_CLIENT_ID", "orders-api"),
		ClientSecret: env("API_CLIENT_SECRET", "orders-api-example-secret-0123456789abc"),
	})
	if err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	defer v.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := verify.ClaimsFrom(r.Context())
		if !claims.HasScope("orders.read") {
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="orders.read"`)
			http.Error(w, "insufficient scope", http.StatusForbidden)
			return
		}
		who := claims.Subject
		if claims.IAMPrincipal != "" {
			who = claims.IAMPrincipal
		}
		fmt.Fprintf(w, "orders for %s: #1001, #1002\n", who)
	})
	srv := &http.Server{Addr: addr, Handler: v.Middleware(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	slog.Info("protected-api listening", "addr", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
