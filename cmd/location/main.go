// Command location serves RHDH the AI model metadata that storage-rest
// holds: GET /list, the documents it names, and model cards.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/location"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/location/index"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/logging"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/version"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "location:", err)
		os.Exit(1)
	}
}

// serverLimits are the HTTP server's timeouts; zero fields take
// httpserver.DefaultLimits. Tests shorten them.
var serverLimits httpserver.Limits

// addressSetting names what sets the listen address, for a bind error.
const addressSetting = "--address or LOCATION_ADDRESS"

type options struct {
	address         string
	storageURL      string
	storageToken    string
	format          index.Format
	token           string
	reloadInterval  time.Duration
	removedGrace    time.Duration
	logLevel        string
	shutdownTimeout time.Duration
	maxBodyBytes    int64
	version         bool
}

// parseOptions reads flags; each defaults to its environment variable, if
// set, and then to the built-in default.
func parseOptions(args []string, getenv func(string) string, out io.Writer) (options, error) {
	var o options
	var errs []error
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	envDuration := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s=%q: use a Go duration such as 30s or 5m", name, v))
		}
		return d
	}
	envInt64 := func(name string, def int64) int64 {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s=%q: use a whole number", name, v))
		}
		return n
	}

	fs := flag.NewFlagSet("location", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		_, _ = fmt.Fprintf(out, `Usage: location [flags]

Serves RHDH the AI model metadata held by storage-rest: GET /list, the
documents it names (also as /models/{key-or-uri}), GET /modelcard?key=K,
and the write API storage-rest forwards changes to (POST /upsert?key=K,
DELETE /remove?key=K; loopback, or a bearer token when one is set).
Every flag defaults to the environment variable named in its help.

Flags:
`)
		fs.PrintDefaults()
	}
	var format string
	fs.StringVar(&o.address, "address", env("LOCATION_ADDRESS", ":9090"), "listen address: host:port, :port or a bare port (env LOCATION_ADDRESS)")
	fs.StringVar(&o.storageURL, "storage-url", env("STORAGE_URL", storageclient.DefaultURL), "storage-rest base URL to load records from (env STORAGE_URL)")
	fs.StringVar(&o.storageToken, "storage-token", env("STORAGE_TOKEN", ""), "bearer token for storage-rest, needed only when it is not reached over loopback (env STORAGE_TOKEN)")
	fs.StringVar(&format, "format", env("NORMALIZER_FORMAT", string(index.JSONArray)), "document format: JsonArrayFormat or CatalogInfoYamlFormat (env NORMALIZER_FORMAT)")
	fs.StringVar(&o.token, "token", env("LOCATION_TOKEN", ""), "bearer token that lets non-loopback callers use the write API; empty: loopback only (env LOCATION_TOKEN)")
	fs.DurationVar(&o.reloadInterval, "reload-interval", envDuration("RELOAD_INTERVAL", location.DefaultReloadInterval), "period of the full re-load from storage-rest that heals missed forwards; 0 disables it (env RELOAD_INTERVAL)")
	fs.DurationVar(&o.removedGrace, "removed-grace", envDuration("REMOVED_GRACE", location.DefaultRemovedGrace), "how long a removed document stays retrievable, unlisted, for a poll that listed it; 0 disables it (env REMOVED_GRACE)")
	fs.StringVar(&o.logLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (env LOG_LEVEL)")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", envDuration("SHUTDOWN_TIMEOUT", 20*time.Second), "how long in-flight requests may take to finish on SIGTERM (env SHUTDOWN_TIMEOUT)")
	fs.Int64Var(&o.maxBodyBytes, "max-body-bytes", envInt64("MAX_BODY_BYTES", location.DefaultMaxBodyBytes), "largest upsert body accepted (env MAX_BODY_BYTES)")
	fs.BoolVar(&o.version, "version", false, "print the version, commit and Go version, and exit")
	if err := errors.Join(errs...); err != nil {
		return o, err
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q: location takes flags only (see --help)", fs.Args())
	}
	if o.version {
		return o, nil
	}
	var err error
	if o.address, err = httpserver.ListenAddress(o.address); err != nil {
		return o, err
	}
	if o.format, err = index.ParseFormat(format); err != nil {
		return o, err
	}
	switch {
	case o.reloadInterval < 0:
		return o, fmt.Errorf("--reload-interval %s is negative: use 0 to disable the periodic reload", o.reloadInterval)
	case o.removedGrace < 0:
		return o, fmt.Errorf("--removed-grace %s is negative: use 0 to disable it", o.removedGrace)
	case o.shutdownTimeout <= 0:
		return o, fmt.Errorf("--shutdown-timeout %s must be positive", o.shutdownTimeout)
	case o.maxBodyBytes <= 0:
		return o, fmt.Errorf("--max-body-bytes %d must be positive", o.maxBodyBytes)
	}
	return o, nil
}

// run runs location until ctx ends (SIGTERM in main).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return err
	}
	if o.version {
		_, err := fmt.Fprintln(stdout, version.String("location"))
		return err
	}
	// The port first: a busy port is one clear error, before anything
	// else starts or logs.
	ln, err := httpserver.Bind(o.address, addressSetting)
	if err != nil {
		return err
	}
	defer func() { _ = ln.Close() }()
	log, flush, err := logging.New(o.logLevel)
	if err != nil {
		return err
	}
	defer flush()

	// The Config encodes "disabled" as negative, the flags as zero.
	disabledIfZero := func(d time.Duration) time.Duration {
		if d == 0 {
			return -1
		}
		return d
	}
	var storageOpts []storageclient.Option
	if o.storageToken != "" {
		storageOpts = append(storageOpts, storageclient.WithToken(o.storageToken))
	}
	reg := httpserver.NewRegistry()
	svc, err := location.New(location.Config{
		Format:         o.format,
		Storage:        storageclient.New(o.storageURL, storageOpts...),
		StorageURL:     o.storageURL,
		Token:          o.token,
		ReloadInterval: disabledIfZero(o.reloadInterval),
		RemovedGrace:   disabledIfZero(o.removedGrace),
		MaxBodyBytes:   o.maxBodyBytes,
		Log:            log,
		Registry:       reg,
	})
	if err != nil {
		return err
	}
	router := httpserver.NewRouter(httpserver.RouterOptions{Service: "location", Log: log, Registry: reg, Ready: svc.Ready})
	svc.Mount(router)
	srv := httpserver.NewServer(ln, router, httpserver.Options{Log: log, ShutdownTimeout: o.shutdownTimeout, Limits: serverLimits})
	log.Info("starting location", append(version.KeysAndValues(), "address", srv.Addr(), "storageURL", o.storageURL, "format", o.format,
		"reloadInterval", o.reloadInterval.String(), "writeTokenConfigured", o.token != "")...)

	ctx, cancel := context.WithCancel(ctx)
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		svc.Run(ctx)
	}()
	err = srv.Serve(ctx)
	cancel()
	<-loaded
	if err != nil {
		return err
	}
	log.Info("location stopped")
	return nil
}
