// Command storage-rest keeps the connector's records durably in the
// ConfigMap bac-import-model (spilling into bac-import-model-1, -2, ...
// past 1 MiB) and forwards every change to location. It runs as a sidecar
// of the RHDH pod; see `storage-rest --help` for its flags and variables.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"k8s.io/klog/v2"

	settings "github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/config"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/kubeconfig"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/startup"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/storagerest"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/version"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/locationclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func main() {
	os.Exit(startup.Main("storage-rest", run))
}

// serverLimits are the HTTP server's timeouts; zero fields take
// httpserver.DefaultLimits. Tests shorten them.
var serverLimits httpserver.Limits

// addressSetting names what sets the listen address, for a bind error.
const addressSetting = "--address or STORAGE_ADDRESS"

type config struct {
	address         string
	token           string
	storageType     string
	bridgeURL       string
	bridgeToken     string
	namespace       string
	configMapName   string
	kubeconfig      string
	insecure        bool
	logLevel        string
	shutdownTimeout time.Duration
	maxBodyBytes    int64
	documentFile    string
	version         bool
}

// parseConfig reads the flags and their variables (internal/config: a
// flag on the command line wins, then the variable, then the default).
func parseConfig(args []string, getenv func(string) string, out io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("storage-rest", flag.ContinueOnError)
	fs.SetOutput(out)
	f := settings.New(fs, getenv)
	f.StringVar(&c.address, "address", "STORAGE_ADDRESS", "127.0.0.1:7070", "listen address: host:port, :port or a bare port; anything but loopback requires --token")
	f.StringVar(&c.token, "token", "STORAGE_TOKEN", "", "bearer token that callers outside the pod must send; required when --address is not loopback")
	f.StringVar(&c.storageType, "storage-type", "STORAGE_TYPE", "ConfigMap", "storage backend; only ConfigMap is supported")
	f.StringVar(&c.bridgeURL, "bridge-url", "BRIDGE_URL", locationclient.DefaultURL, "URL of the location service that every change is forwarded to")
	f.StringVar(&c.bridgeToken, "bridge-token", "BRIDGE_TOKEN", "", "bearer token sent to location, if it requires one")
	f.StringVar(&c.namespace, "namespace", "POD_NAMESPACE", "", "namespace of the ConfigMaps (default: the 'namespace' variable, the in-cluster namespace, then the kubeconfig's)")
	f.StringVar(&c.configMapName, "configmap-name", "CONFIGMAP_NAME", store.DefaultName, "name of the primary ConfigMap; spills are named <name>-1, <name>-2, ...")
	f.StringVar(&c.kubeconfig, "kubeconfig", "", "", "kubeconfig file for runs outside the cluster (default: KUBECONFIG, then ~/.kube/config; "+
		"in the pod the 'token' and 'ca.crt' variables are used)")
	f.StringVar(&c.logLevel, "log-level", "LOG_LEVEL", "info", "log level: debug, info, warn or error")
	format := ""
	f.StringVar(&format, "normalizer-format", "NORMALIZER_FORMAT", string(record.JSONArrayFormat), "document format the normalizer sends: "+record.FormatChoices+"; sets each record's locationTarget")
	f.BoolVar(&c.insecure, "insecure-skip-tls-verify", "INSECURE_SKIP_TLS_VERIFY", false, "do not verify the API server's certificate")
	f.DurationVar(&c.shutdownTimeout, "shutdown-timeout", "SHUTDOWN_TIMEOUT", 20*time.Second, "how long to drain in-flight requests on SIGTERM")
	f.Int64Var(&c.maxBodyBytes, "max-body-bytes", "MAX_BODY_BYTES", storagerest.DefaultMaxBodyBytes, "largest request body accepted")
	f.BoolVar(&c.version, "version", "", false, "print the version, commit and Go version, and exit")
	fs.Usage = func() {
		_, _ = fmt.Fprintf(out, "Usage: storage-rest [flags]\n\n"+
			"Keeps the connector's records in the ConfigMap bac-import-model of the pod's namespace\n"+
			"and forwards every change to location. Every flag may also be set with the variable\n"+
			"named in its description; a flag on the command line wins.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := f.Parse(args); err != nil {
		return nil, err
	}
	if c.version {
		return c, nil
	}
	return c, c.validate(format)
}

func (c *config) validate(format string) error {
	addr, err := httpserver.ListenAddress(c.address)
	if err != nil {
		return err
	}
	c.address = addr
	if !strings.EqualFold(c.storageType, "ConfigMap") {
		return fmt.Errorf("STORAGE_TYPE=%q is not supported: only ConfigMap is; set STORAGE_TYPE=ConfigMap or leave it unset", c.storageType)
	}
	if !httpserver.IsLoopbackAddress(c.address) && c.token == "" {
		return fmt.Errorf("refusing to listen on %s, which is reachable from outside the pod, without a token: "+
			"set STORAGE_TOKEN (or --token), or listen on 127.0.0.1:7070", c.address)
	}
	u, err := url.Parse(c.bridgeURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("BRIDGE_URL=%q is not an http(s) URL such as %s", c.bridgeURL, locationclient.DefaultURL)
	}
	f, err := record.ParseFormat(format)
	if err != nil {
		return err
	}
	c.documentFile = f.File()
	if err := store.ValidateName(c.configMapName); err != nil {
		return fmt.Errorf("--configmap-name: %w", err)
	}
	if c.maxBodyBytes <= 0 {
		return fmt.Errorf("--max-body-bytes must be positive, got %d", c.maxBodyBytes)
	}
	if c.shutdownTimeout <= 0 {
		return fmt.Errorf("--shutdown-timeout must be positive, got %s", c.shutdownTimeout)
	}
	return nil
}

// run runs storage-rest until ctx ends (SIGTERM in main).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseConfig(args, getenv, stderr)
	if done, err := startup.Parsed("storage-rest", err, err == nil && c.version, stdout); done {
		return err
	}
	ln, log, closeAll, err := startup.ListenThenLog(c.address, addressSetting, c.logLevel)
	if err != nil {
		return err
	}
	defer closeAll()
	startup.SetMemoryLimit(log, startup.CgroupRoot, getenv)
	startup.SetGCPercent(store.GCPercent, getenv)
	klog.SetLogger(log.WithName("client-go"))

	kube, err := kubeconfig.Load(kubeconfig.Options{Kubeconfig: c.kubeconfig, InsecureSkipTLSVerify: c.insecure, Getenv: getenv})
	if err != nil {
		return err
	}
	ns := c.namespace
	if ns == "" {
		ns = kube.Namespace
	}
	client, err := store.NewClient(kube.Config)
	if err != nil {
		return err
	}
	reg := httpserver.NewRegistry()
	var locOpts []locationclient.Option
	if c.bridgeToken != "" {
		locOpts = append(locOpts, locationclient.WithToken(c.bridgeToken))
	}
	fwd, err := storagerest.NewForwarder(storagerest.ForwarderOptions{
		Location: locationclient.New(c.bridgeURL, locOpts...), URL: c.bridgeURL,
		Log: log.WithName("forwarder"), Registerer: reg,
	})
	if err != nil {
		return err
	}
	st, err := store.New(store.Options{
		Client: client, Namespace: ns, Name: c.configMapName, Log: log.WithName("store"),
		Registerer: reg, OnChange: fwd.Enqueue,
	})
	if err != nil {
		return err
	}
	h, err := storagerest.NewHandler(storagerest.Options{
		Store: st, Log: log, Registry: reg, Token: c.token, MaxBodyBytes: c.maxBodyBytes, DocumentFile: c.documentFile,
	})
	if err != nil {
		return err
	}
	srv := httpserver.NewServer(ln, h, httpserver.Options{Log: log, ShutdownTimeout: c.shutdownTimeout, Limits: serverLimits})
	log.Info("starting storage-rest", append(version.KeysAndValues(), "address", srv.Addr(), "namespace", ns, "configMap", c.configMapName,
		"kubernetes", kube.Source, "location", c.bridgeURL, "tokenRequired", c.token != "", "documentFile", c.documentFile)...)

	// The store and the forwarder outlive the signal: in-flight requests
	// drain first, then the queue to location gets a moment to flush.
	bg, cancel := context.WithCancel(context.Background())
	defer cancel()
	storeDone := make(chan error, 1)
	go func() { storeDone <- st.Run(bg) }()
	fwdDone := make(chan struct{})
	go func() {
		defer close(fwdDone)
		fwd.Run(bg)
	}()

	serveErr := srv.Serve(ctx)
	fctx, fcancel := context.WithTimeout(context.Background(), min(5*time.Second, c.shutdownTimeout))
	if left := fwd.Flush(fctx); left > 0 {
		log.Info("stopping with changes not yet handed to location; location reloads every record from GET /records when it starts", "left", left)
	}
	fcancel()
	cancel()
	storeErr := <-storeDone
	<-fwdDone
	log.Info("storage-rest stopped")
	return errors.Join(serveErr, storeErr)
}
