package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"

	"github.com/lineage-oss/lineage/config"
)

// configError marks a configuration the issuer refuses: exit code 2.
type configError struct{ err error }

func (e configError) Error() string { return "invalid configuration:\n" + e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// exitCode maps the error a command returned to the process exit code
// (see exitCodes in cli_admin.go).
func exitCode(err error) int {
	var ce configError
	var ue usageError
	var ae *apiError
	switch {
	case errors.As(err, &ce), errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ae):
		return ae.exitCode()
	}
	return exitFailure
}

func newServeCommand(lookup env) *cobra.Command {
	var path string
	var dev bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the issuer",
		Long: "Run the issuer. With --dev and no --config it starts on the embedded in-memory store\n" +
			"with a generated key, secret and demo client, and prints how to get a token.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" && !dev {
				return configError{errors.New("give --config FILE, or --dev to try lineage without one")}
			}
			cfg, demo, err := loadConfig(path, dev, lookup)
			if err != nil {
				return configError{err}
			}
			return serve(cmd.Context(), cfg, demo, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&path, "config", "", "YAML configuration file")
	cmd.Flags().BoolVar(&dev, "dev", false, "development mode: relaxed secret rules; without --config, generated secrets and a demo client")
	return cmd
}

func loadConfig(path string, dev bool, lookup env) (config.Config, *demoClient, error) {
	if path != "" {
		cfg, err := config.Load(path, lookup, dev)
		return cfg, nil, err
	}
	yaml, demo, err := devConfig(rand.Reader)
	if err != nil {
		return config.Config{}, nil, err
	}
	cfg, err := config.Parse(yaml, lookup, true)
	return cfg, demo, err
}

// serve runs the issuer until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, cfg config.Config, demo *demoClient, stdout, stderr io.Writer) error {
	logger := newLogger(stderr, cfg.Log.Level)
	// The SDK reports export failures through its one global handler:
	// into the JSON log rather than the standard logger.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("telemetry", "error", err.Error())
	}))
	a, err := newApp(ctx, cfg, deps{now: time.Now, rand: rand.Reader, logger: logger})
	if err != nil {
		return err
	}
	defer a.close()

	public, err := listen(cfg.HTTP.Public, a.public, logger)
	if err != nil {
		return err
	}
	admin, err := listen(cfg.HTTP.Admin, a.admin, logger)
	if err != nil {
		public.close()
		return err
	}
	// Announced before serving: once /health/ready answers, the banner
	// (and the demo's curl line) is out.
	logger.Info("lineage started", "issuer", cfg.Issuer, "public", public.addr(), "admin", admin.addr(), "store", a.storeKind)
	if demo != nil {
		printDemo(stdout, cfg.Issuer, admin.addr(), demo)
	}
	errc := make(chan error, 2)
	go func() { errc <- public.serve() }()
	go func() { errc <- admin.serve() }()
	go a.run(ctx)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	a.stopStreams() // open event streams would hold Shutdown up
	err1 := public.srv.Shutdown(shutdownCtx)
	err2 := admin.srv.Shutdown(shutdownCtx)
	// The requests are done: their spans go out before the process does.
	// A collector that does not take them costs the spans, not the exit.
	if err := shutdownTracing(shutdownCtx, a.tracing); err != nil {
		logger.Warn("flushing traces", "error", err.Error())
	}
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// listener is one HTTP listener with its server.
type listener struct {
	ln  net.Listener
	srv *http.Server
}

func listen(addr string, h http.Handler, logger *slog.Logger) (*listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return &listener{ln: ln, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}}, nil
}

func (l *listener) addr() string { return l.ln.Addr().String() }
func (l *listener) close()       { _ = l.ln.Close() }

// serve serves until Shutdown; a clean shutdown is not an error.
func (l *listener) serve() error {
	if err := l.srv.Serve(l.ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", l.addr(), err)
	}
	return nil
}

// newLogger returns the JSON logger; a record logged with a context that
// is in a trace carries its trace_id and span_id.
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(tracingHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})})
}
