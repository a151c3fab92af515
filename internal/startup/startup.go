// Package startup is the start-up the three binaries share: the signals
// that stop them and their exit status, what --help and --version end, and
// binding the listen port before anything logs.
package startup

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/logging"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/version"
)

// RunFunc is a binary's run: it runs until ctx ends. Its arguments are
// the process's, passed in so that tests can call it directly.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Main calls run until SIGTERM or an interrupt (Kubernetes stops a pod
// with SIGTERM), and exits 1 with run's error on stderr, prefixed by the
// binary's name so that the line says who failed in a pod's log. It
// returns the exit status for main to exit with (only main exits).
func Main(name string, run RunFunc) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		_, _ = fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	return 0
}

// Parsed says whether parsing the flags already ended the run, and with
// what error: --help (flag.ErrHelp) ends it with none, since the usage is
// printed; a bad flag ends it with the parse error; wantVersion (--version)
// ends it with name's version line printed on stdout.
func Parsed(name string, parseErr error, wantVersion bool, stdout io.Writer) (done bool, err error) {
	switch {
	case errors.Is(parseErr, flag.ErrHelp):
		return true, nil
	case parseErr != nil:
		return true, parseErr
	case wantVersion:
		if _, err := fmt.Fprintln(stdout, version.String(name)); err != nil {
			return true, fmt.Errorf("printing the version: %w", err)
		}
		return true, nil
	}
	return false, nil
}

// ListenThenLog binds address, then makes the logger at logLevel: the port
// first, so that a busy port is one clear error (naming setting, what sets
// the address) before anything else starts or logs. closeAll flushes the
// logger and closes the listener.
func ListenThenLog(address, setting, logLevel string) (ln net.Listener, log logr.Logger, closeAll func(), err error) {
	ln, err = httpserver.Bind(address, setting)
	if err != nil {
		return nil, logr.Logger{}, nil, err
	}
	log, flush, err := logging.New(logLevel)
	if err != nil {
		_ = ln.Close()
		return nil, logr.Logger{}, nil, err
	}
	return ln, log, func() { flush(); _ = ln.Close() }, nil
}
