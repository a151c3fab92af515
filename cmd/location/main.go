// Command location serves RHDH the AI model metadata that storage-rest
// holds: GET /list, the documents it names, and model cards.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/config"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/location"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/startup"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/version"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

func main() {
	os.Exit(startup.Main("location", run))
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
	format          record.Format
	token           string
	reloadInterval  time.Duration
	removedGrace    time.Duration
	logLevel        string
	shutdownTimeout time.Duration
	maxBodyBytes    int64
	version         bool
}

// parseOptions reads the flags and their variables (internal/config: a
// flag on the command line wins, then the variable, then the default).
func parseOptions(args []string, getenv func(string) string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("location", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		_, _ = fmt.Fprintf(out, `Usage: location [flags]

Serves RHDH the AI model metadata held by storage-rest: GET /list, the
documents it names (also as /models/{key-or-uri}), GET /modelcard?key=K,
and the write API storage-rest forwards changes to (POST /upsert?key=K,
DELETE /remove?key=K; loopback, or a bearer token when one is set).
Every flag defaults to the environment variable named in its help; a flag
on the command line wins.

Flags:
`)
		fs.PrintDefaults()
	}
	var format string
	f := config.New(fs, getenv)
	f.StringVar(&o.address, "address", "LOCATION_ADDRESS", ":9090", "listen address: host:port, :port or a bare port")
	f.StringVar(&o.storageURL, "storage-url", "STORAGE_URL", storageclient.DefaultURL, "storage-rest base URL to load records from")
	f.StringVar(&o.storageToken, "storage-token", "STORAGE_TOKEN", "", "bearer token for storage-rest, needed only when it is not reached over loopback")
	f.StringVar(&format, "format", "NORMALIZER_FORMAT", string(record.JSONArrayFormat), "document format: "+record.FormatChoices)
	f.StringVar(&o.token, "token", "LOCATION_TOKEN", "", "bearer token that lets non-loopback callers use the write API; empty: loopback only")
	f.DurationVar(&o.reloadInterval, "reload-interval", "RELOAD_INTERVAL", location.DefaultReloadInterval, "period of the full re-load from storage-rest that heals missed forwards; 0 disables it")
	f.DurationVar(&o.removedGrace, "removed-grace", "REMOVED_GRACE", location.DefaultRemovedGrace, "how long a removed document stays retrievable, unlisted, for a poll that listed it; 0 disables it")
	f.StringVar(&o.logLevel, "log-level", "LOG_LEVEL", "info", "debug, info, warn or error")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", "SHUTDOWN_TIMEOUT", 20*time.Second, "how long in-flight requests may take to finish on SIGTERM")
	f.Int64Var(&o.maxBodyBytes, "max-body-bytes", "MAX_BODY_BYTES", location.DefaultMaxBodyBytes, "largest upsert body accepted")
	f.BoolVar(&o.version, "version", "", false, "print the version, commit and Go version, and exit")
	if err := f.Parse(args); err != nil {
		return o, err
	}
	if o.version {
		return o, nil
	}
	var err error
	if o.address, err = httpserver.ListenAddress(o.address); err != nil {
		return o, err
	}
	if o.format, err = record.ParseFormat(format); err != nil {
		return o, err
	}
	switch {
	case o.reloadInterval < 0:
		return o, fmt.Errorf("%s %s is negative: use 0 to disable the periodic reload", f.Setting("reload-interval"), o.reloadInterval)
	case o.removedGrace < 0:
		return o, fmt.Errorf("%s %s is negative: use 0 to disable it", f.Setting("removed-grace"), o.removedGrace)
	case o.shutdownTimeout <= 0:
		return o, fmt.Errorf("%s %s must be positive", f.Setting("shutdown-timeout"), o.shutdownTimeout)
	case o.maxBodyBytes <= 0:
		return o, fmt.Errorf("%s %d must be positive", f.Setting("max-body-bytes"), o.maxBodyBytes)
	}
	return o, nil
}

// run runs location until ctx ends (SIGTERM in main).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, getenv, stderr)
	if done, err := startup.Parsed("location", err, o.version, stdout); done {
		return err
	}
	ln, log, closeAll, err := startup.ListenThenLog(o.address, addressSetting, o.logLevel)
	if err != nil {
		return err
	}
	defer closeAll()
	startup.SetMemoryLimit(log, startup.CgroupRoot, getenv)
	startup.SetGCPercent(location.GCPercent, getenv)

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
