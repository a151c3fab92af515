package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
)

// The binaries the sandbox runs, in start order.
const (
	binStorage    = "storage-rest"
	binLocation   = "location"
	binNormalizer = "rhoai-normalizer"
)

// podNamespace is the namespace storage-rest keeps its ConfigMap in, as
// the RHDH namespace would be in a cluster.
const podNamespace = "rhdh"

// options configure run. Paths are relative to the working directory.
type options struct {
	BinDir    string
	DataDir   string
	WorkDir   string
	KServeCRD string // "" means: from the module cache

	RegistryPort, StoragePort, LocationPort, MetricsPort int

	PollingInterval time.Duration
	ReadyTimeout    time.Duration
	// StopTimeout is how long a binary may take to exit after SIGTERM
	// before it is killed.
	StopTimeout time.Duration

	Verbose bool
	// Out receives progress messages and, with Verbose, the binaries' logs.
	Out io.Writer
	// Ready, when set, is called once location lists documents.
	Ready func(info)
}

func defaultOptions() options {
	return options{
		BinDir:          "bin",
		DataDir:         filepath.Join("hack", "sandbox", "data"),
		WorkDir:         filepath.Join(".cache", "sandbox"),
		RegistryPort:    8080,
		StoragePort:     7070,
		LocationPort:    9090,
		MetricsPort:     8081,
		PollingInterval: 10 * time.Second,
		ReadyTimeout:    2 * time.Minute,
		StopTimeout:     30 * time.Second,
		Out:             os.Stdout,
	}
}

// info describes a running sandbox.
type info struct {
	RegistryURL string // Model Registry and Model Catalog
	StorageURL  string
	LocationURL string
	MetricsURL  string
	Kubeconfig  string
	// Logs maps each binary to its log file.
	Logs map[string]string
	// PIDs are every process the sandbox started and still runs: the
	// control plane, the binaries and the watchdog.
	PIDs []int
	// URIs is what location's /list named when the sandbox became ready.
	URIs []string
}

// run starts the sandbox, calls opts.Ready once location lists documents,
// and stops everything when ctx ends or a binary exits on its own. It
// returns only once every process it started has exited.
func run(ctx context.Context, opts options) (err error) {
	defer func() {
		// Stopping during start-up is what the user asked for.
		if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
			err = nil
		}
	}()
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	say := func(format string, args ...any) { _, _ = fmt.Fprintf(out, "sandbox: "+format+"\n", args...) }

	bins, err := findBinaries(opts.BinDir)
	if err != nil {
		return err
	}
	ports := []portUse{
		{opts.RegistryPort, "the Model Registry and Model Catalog", "--registry-port"},
		{opts.StoragePort, binStorage, "--storage-port"},
		{opts.LocationPort, binLocation, "--location-port"},
		{opts.MetricsPort, binNormalizer + " metrics", "--metrics-port"},
	}
	if err := checkPorts(ports); err != nil {
		return err
	}
	sample, err := loadSample(opts.DataDir)
	if err != nil {
		return err
	}
	crd := opts.KServeCRD
	if crd == "" {
		if crd, err = kserveCRDPath(); err != nil {
			return err
		}
	}
	workDir, err := filepath.Abs(opts.WorkDir)
	if err != nil {
		return fmt.Errorf("resolving --workdir %s: %w", opts.WorkDir, err)
	}
	logDir := filepath.Join(workDir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return fmt.Errorf("creating the sandbox folder %s: %w", logDir, err)
	}

	guard, err := startReaper()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := guard.close(); cerr != nil && err == nil {
			err = cerr
		}
	}()

	say("starting kube-apiserver and etcd (envtest)...")
	cl, err := startCluster(ctx, crd, filepath.Join(workDir, "kubeconfig"), say)
	if err != nil {
		return err
	}
	defer func() {
		say("stopping kube-apiserver and etcd...")
		if serr := cl.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	pids := append([]int{guard.pid()}, cl.pids...)
	for _, p := range cl.pids {
		guard.watch(p)
	}
	say("kube-apiserver is up; kubeconfig: %s", cl.kubeconfig)

	say("starting the Model Registry and Model Catalog on 127.0.0.1:%d...", opts.RegistryPort)
	reg := fakeregistry.New(fakeregistry.Options{})
	deployments, err := sample.seed(reg)
	if err != nil {
		return err
	}
	stopRegistry, err := serve(fmt.Sprintf("127.0.0.1:%d", opts.RegistryPort), reg)
	if err != nil {
		return err
	}
	defer stopRegistry()

	say("creating namespaces and InferenceServices...")
	if err := cl.createObjects(ctx, podNamespace, deployments, sample.inferenceServices); err != nil {
		return err
	}

	i := info{
		RegistryURL: fmt.Sprintf("http://localhost:%d", opts.RegistryPort),
		StorageURL:  fmt.Sprintf("http://127.0.0.1:%d", opts.StoragePort),
		LocationURL: fmt.Sprintf("http://localhost:%d", opts.LocationPort),
		MetricsURL:  fmt.Sprintf("http://127.0.0.1:%d", opts.MetricsPort),
		Kubeconfig:  cl.kubeconfig,
		Logs:        map[string]string{},
	}
	locationURL := fmt.Sprintf("http://127.0.0.1:%d", opts.LocationPort)
	registryURL := fmt.Sprintf("http://127.0.0.1:%d", opts.RegistryPort)
	specs := []childSpec{
		{
			name:     binStorage,
			args:     []string{"--address", fmt.Sprintf("127.0.0.1:%d", opts.StoragePort), "--kubeconfig", cl.kubeconfig},
			env:      []string{"POD_NAMESPACE=" + podNamespace, "BRIDGE_URL=" + locationURL, "STORAGE_TYPE=ConfigMap"},
			readyURL: i.StorageURL + "/readyz",
		},
		{
			name:     binLocation,
			args:     []string{"--address", fmt.Sprintf("127.0.0.1:%d", opts.LocationPort), "--storage-url", i.StorageURL},
			readyURL: locationURL + "/readyz",
		},
		{
			name: binNormalizer,
			args: []string{"--kubeconfig", cl.kubeconfig, "--metrics-address", fmt.Sprintf("127.0.0.1:%d", opts.MetricsPort),
				"--storage-url", i.StorageURL, "--location-url", i.LocationURL},
			env: []string{"MODEL_REGISTRY_URL=" + registryURL, "MODEL_CATALOG_URL=" + registryURL,
				"POLLING_INTERVAL=" + opts.PollingInterval.String(), "POD_NAMESPACE=" + podNamespace},
			readyURL: i.MetricsURL + "/readyz",
		},
	}

	var verbose *lockedWriter
	if opts.Verbose {
		verbose = &lockedWriter{w: out}
	}
	var children []*child
	defer func() {
		// Reverse start order: the normalizer stops pushing before
		// storage-rest and location go away.
		for j := len(children) - 1; j >= 0; j-- {
			c := children[j]
			if !c.exited() {
				say("stopping %s...", c.name)
			}
			if serr := c.stop(opts.StopTimeout); serr != nil && err == nil {
				err = serr
			}
			guard.forget(c.pid())
		}
	}()
	for _, s := range specs {
		say("starting %s (log: %s)...", s.name, filepath.Join(logDir, s.name+".log"))
		c, err := startChild(s, bins[s.name], filepath.Join(logDir, s.name+".log"), verbose)
		if err != nil {
			return err
		}
		children = append(children, c)
		i.Logs[s.name] = c.logPath
		pids = append(pids, c.pid())
		guard.watch(c.pid())
		if err := c.waitReady(ctx, opts.ReadyTimeout); err != nil {
			return err
		}
	}

	say("waiting for location's /list to name a document (the normalizer syncs on start)...")
	uris, err := waitForList(ctx, locationURL, children, opts.ReadyTimeout)
	if err != nil {
		return err
	}
	i.URIs = uris
	i.PIDs = pids
	printHints(out, i, podNamespace, firstModelCard(ctx, locationURL, uris))
	if opts.Ready != nil {
		opts.Ready(i)
	}

	exited := make(chan *child, len(children))
	for _, c := range children {
		go func(c *child) {
			select {
			case <-c.done:
				exited <- c
			case <-ctx.Done():
			}
		}(c)
	}
	select {
	case <-ctx.Done():
		say("stopping (press Ctrl-C again to force)...")
		return nil
	case c := <-exited:
		return c.exitError()
	}
}

// findBinaries returns the path of each binary in dir.
func findBinaries(dir string) (map[string]string, error) {
	out := map[string]string{}
	var missing []string
	for _, name := range []string{binStorage, binLocation, binNormalizer} {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			missing = append(missing, p)
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", p, err)
		}
		out[name] = abs
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("binaries missing: %s: run `make build` (or point --bin at the folder holding them)", strings.Join(missing, ", "))
	}
	return out, nil
}

type portUse struct {
	port int
	what string
	flag string
}

// checkPorts checks every port before anything is started and names all
// the busy ones at once, each with the flag that moves it, so a second
// sandbox (or anything else on a port) is fixed in one go rather than
// discovered later in a log file.
func checkPorts(ports []portUse) error {
	seen := map[int]string{}
	var busy []string
	var moves []string
	for _, p := range ports {
		if p.port <= 0 || p.port > 65535 {
			return fmt.Errorf("%s %d is not a port number", p.flag, p.port)
		}
		if other, ok := seen[p.port]; ok {
			return fmt.Errorf("port %d is given to both %s and %s: choose another with %s", p.port, other, p.what, p.flag)
		}
		seen[p.port] = p.what
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)))
		if err != nil {
			busy = append(busy, fmt.Sprintf("%d (%s, %s)", p.port, p.what, p.flag))
			moves = append(moves, fmt.Sprintf("%s %d", p.flag, p.port+10000))
			continue
		}
		_ = l.Close()
	}
	if len(busy) == 0 {
		return nil
	}
	return fmt.Errorf("ports already in use: %s. Another sandbox? `ss -ltnp` names the processes. Stop them, or choose other ports, e.g. make run-local ARGS=\"%s\"",
		strings.Join(busy, ", "), strings.Join(moves, " "))
}

// serve serves h on addr until the returned function is called.
func serve(addr string, h http.Handler) (func(), error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s for the Model Registry: %w (choose another port with --registry-port)", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = srv.Serve(l)
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		wg.Wait()
	}, nil
}
