package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
)

// Limits that protect both binaries from slow or oversized clients.
const (
	MaxHeaderBytes    = 64 << 10
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
)

// Server is an http.Server that drains in-flight requests when its context
// ends (SIGTERM in the binaries).
type Server struct {
	srv             *http.Server
	ln              net.Listener
	log             logr.Logger
	shutdownTimeout time.Duration
}

// Listen binds addr (already normalized by ListenAddress) so that the
// caller learns about a busy port before anything else starts.
func Listen(addr string, h http.Handler, log logr.Logger, shutdownTimeout time.Duration) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w (is another process using the port? change it with --address)", addr, err)
	}
	if shutdownTimeout <= 0 {
		shutdownTimeout = 20 * time.Second
	}
	return &Server{
		srv: &http.Server{
			Handler:           h,
			MaxHeaderBytes:    MaxHeaderBytes,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
		},
		ln:              ln,
		log:             log,
		shutdownTimeout: shutdownTimeout,
	}, nil
}

// Addr is the bound address (useful with port 0 in tests).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until ctx ends, then stops accepting connections and waits
// up to the shutdown timeout for in-flight requests to finish.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	s.log.Info("listening", "address", s.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("http server on %s: %w", s.Addr(), err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining in-flight requests", "timeout", s.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown of %s: %w", s.Addr(), err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
