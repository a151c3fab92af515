package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
)

// MaxHeaderBytes caps a request's headers (431 above it).
const MaxHeaderBytes = 64 << 10

// Limits protect a server from slow clients: a client that sends its
// headers, or its body, a byte at a time is cut off once the timeout
// passes, so it cannot hold a connection (and a goroutine) for long.
type Limits struct {
	// ReadHeaderTimeout bounds reading the request line and headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading the whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds the whole exchange from the end of the headers
	// to the end of the answer; handlers that wait on something (the
	// Kubernetes API server) must give up before it, or their answer is
	// lost.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends nothing.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps the request headers.
	MaxHeaderBytes int
	// MaxConnections bounds the connections served at once; the others
	// are accepted and wait in a queue until a slot frees (connlimit.go).
	// Both binaries keep the default: location needs it for RHDH's
	// provider runs, and storage-rest's few callers never reach it.
	MaxConnections int
	// KeepAliveConnections: while more connections than this are open,
	// each is closed after its response, so waiting clients get a slot.
	KeepAliveConnections int
}

// DefaultLimits are the limits of both binaries' servers.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
		// About 20 KiB each while serving: 512 connections are 10 MiB,
		// and a request takes microseconds, so the slots turn over far
		// faster than a client can open connections.
		MaxConnections: 512,
		// Far more than a normal client's pool (Go's default keeps 2 per
		// host, Node's undici as many as requests in flight).
		KeepAliveConnections: 64,
	}
}

// withDefaults fills the zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = d.ReadTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = d.WriteTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = d.IdleTimeout
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = d.MaxConnections
	}
	if l.KeepAliveConnections <= 0 {
		l.KeepAliveConnections = min(d.KeepAliveConnections, l.MaxConnections/2)
	}
	return l
}

// Options configures NewServer.
type Options struct {
	Log logr.Logger
	// ShutdownTimeout bounds the draining of in-flight requests; 20 s when 0.
	ShutdownTimeout time.Duration
	// Limits: zero fields take DefaultLimits.
	Limits Limits
}

// Server is an http.Server that drains in-flight requests when its context
// ends (SIGTERM in the binaries).
type Server struct {
	srv             *http.Server
	ln              net.Listener
	log             logr.Logger
	shutdownTimeout time.Duration
}

// BindError is a listen address that could not be bound.
type BindError struct {
	Addr string
	// Setting names what sets the address, e.g. "--address or LOCATION_ADDRESS".
	Setting string
	Err     error
}

func (e *BindError) Error() string {
	hint := "another process may be using the port"
	if errors.Is(e.Err, errAddrInUse) {
		hint = "another process is using the port"
	}
	setting := e.Setting
	if setting == "" {
		setting = "--address"
	}
	return fmt.Sprintf("cannot listen on %s (%v): %s; stop it or choose another address with %s", e.Addr, e.Err, hint, setting)
}

func (e *BindError) Unwrap() error { return e.Err }

// Bind binds addr (already normalized by ListenAddress) so that the
// caller learns about a busy port before anything else starts. setting
// names the flag or variable that sets addr, for the error.
func Bind(addr, setting string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &BindError{Addr: addr, Setting: setting, Err: err}
	}
	return ln, nil
}

// NewServer serves h on ln (from Bind) once Serve is called.
func NewServer(ln net.Listener, h http.Handler, o Options) *Server {
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 20 * time.Second
	}
	l := o.Limits.withDefaults()
	limited := newConnLimiter(ln, l.MaxConnections, l.KeepAliveConnections)
	return &Server{
		srv: &http.Server{
			Handler:           limited.closeWhenBusy(h),
			MaxHeaderBytes:    l.MaxHeaderBytes,
			ReadHeaderTimeout: l.ReadHeaderTimeout,
			ReadTimeout:       l.ReadTimeout,
			WriteTimeout:      l.WriteTimeout,
			IdleTimeout:       l.IdleTimeout,
			// A client that is cut off or sends garbage is the client's
			// problem; net/http's own log line would not be JSON.
			ErrorLog: log.New(errorLogWriter{o.Log}, "", 0),
		},
		ln:              limited,
		log:             o.Log,
		shutdownTimeout: o.ShutdownTimeout,
	}
}

// Listen is Bind then NewServer with the default limits.
func Listen(addr string, h http.Handler, log logr.Logger, shutdownTimeout time.Duration) (*Server, error) {
	ln, err := Bind(addr, "--address")
	if err != nil {
		return nil, err
	}
	return NewServer(ln, h, Options{Log: log, ShutdownTimeout: shutdownTimeout}), nil
}

const errAddrInUse = syscall.EADDRINUSE

// errorLogWriter turns net/http's own log lines (a client cut off by a
// timeout, a bad TLS handshake) into JSON debug lines.
type errorLogWriter struct{ log logr.Logger }

func (w errorLogWriter) Write(p []byte) (int, error) {
	w.log.V(1).Info("http server", "message", strings.TrimSpace(string(p)))
	return len(p), nil
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
