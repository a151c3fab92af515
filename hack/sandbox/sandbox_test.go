package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
)

func TestMain(m *testing.M) {
	// The sandbox re-executes its own binary as the watchdog; under test
	// that binary is this one.
	if os.Getenv(reaperEnv) != "" {
		ignoreStopSignals()
		runReaper(os.Stdin)
		os.Exit(0)
	}
	ctrllog.SetLogger(logr.Discard())
	os.Exit(m.Run())
}

func TestMissingBinariesSayMakeBuild(t *testing.T) {
	_, err := findBinaries(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "make build")
	assert.Contains(t, err.Error(), binStorage)
}

func TestBusyPortIsNamedWithItsFlag(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = l.Close() }()
	port := l.Addr().(*net.TCPAddr).Port

	err = checkPorts([]portUse{{port, binLocation, "--location-port"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already in use")
	assert.Contains(t, err.Error(), "--location-port")

	err = checkPorts([]portUse{{freePort(t), binLocation, "--location-port"}, {port, binStorage, "--storage-port"}})
	require.Error(t, err, "the second port is busy")
	assert.Contains(t, err.Error(), "--storage-port")
	assert.NotContains(t, err.Error(), "--location-port", "a free port is not named")

	l2, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = l2.Close() }()
	port2 := l2.Addr().(*net.TCPAddr).Port
	err = checkPorts([]portUse{{port, binStorage, "--storage-port"}, {freePort(t), binNormalizer, "--metrics-port"}, {port2, binLocation, "--location-port"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("%d (%s, --storage-port)", port, binStorage), "every busy port is named at once")
	assert.Contains(t, err.Error(), fmt.Sprintf("%d (%s, --location-port)", port2, binLocation), "every busy port is named at once")
	assert.Contains(t, err.Error(), `make run-local ARGS="--storage-port`, "the message says how to pass the flags through make")
}

func TestSampleDataLinksTheDeploymentToTheRegistry(t *testing.T) {
	s, err := loadSample("data")
	require.NoError(t, err)
	reg := fakeregistry.New(fakeregistry.Options{})
	deps, err := s.seed(reg)
	require.NoError(t, err)

	require.Len(t, deps, 1)
	d := deps[0]
	is, ok := reg.InferenceService(d.inferenceServiceID)
	require.True(t, ok)
	assert.Equal(t, d.registeredModelID, is.RegisteredModelId)
	assert.Equal(t, d.modelVersionID, is.GetModelVersionId())
	assert.Equal(t, "DEPLOYED", string(is.GetDesiredState()))
	env, ok := reg.ServingEnvironment(is.ServingEnvironmentId)
	require.True(t, ok)
	assert.Equal(t, d.Namespace, env.Name, "the serving environment is named after the namespace")
	assert.NotEmpty(t, d.storageURI)

	isvc := d.inferenceService()
	assert.Equal(t, d.inferenceServiceID, isvc.Labels[labelInfServiceID])
	assert.Equal(t, d.modelVersionID, isvc.Labels[labelVersionID])

	require.Len(t, s.inferenceServices, 1)
	assert.Equal(t, "assistants-team", s.inferenceServices[0].Annotations["rhdh.io/owner"])
}

func TestWatchdogKillsWhatTheSandboxLeftBehind(t *testing.T) {
	orphan := startSleeper(t)
	spared := startSleeper(t)
	// Reap the orphan as init would once the sandbox is gone; a zombie
	// would look alive to the watchdog.
	orphanExit := make(chan error, 1)
	go func() { orphanExit <- orphan.Wait() }()

	// The sandbox died: end of file without "done".
	in := "+" + strconv.Itoa(orphan.Process.Pid) + "\n+" + strconv.Itoa(spared.Process.Pid) + "\n-" + strconv.Itoa(spared.Process.Pid) + "\n"
	runReaper(strings.NewReader(in))
	var exitErr *exec.ExitError
	require.ErrorAs(t, <-orphanExit, &exitErr, "the watched process group was killed")
	assert.Equal(t, syscall.SIGTERM, exitErr.Sys().(syscall.WaitStatus).Signal())
	assert.NoError(t, syscall.Kill(spared.Process.Pid, 0), "a forgotten group is left alone")

	// A clean exit says "done": nothing is killed.
	runReaper(strings.NewReader("+" + strconv.Itoa(spared.Process.Pid) + "\ndone\n"))
	assert.NoError(t, syscall.Kill(spared.Process.Pid, 0))
}

// TestSandboxRunsTheConnector builds the three binaries and runs the
// sandbox as `make run-local` does, on free ports.
func TestSandboxRunsTheConnector(t *testing.T) {
	bin := t.TempDir()
	require.NoError(t, testenv.BuildBinaries(bin, binStorage, binLocation, binNormalizer))

	sb := startSandbox(t, bin)
	i, progress := sb.info, sb.progress
	assert.Contains(t, progress.String(), "starting kube-apiserver")
	assert.Contains(t, progress.String(), "get configmap bac-import-model -o json | jq -r "+configMapJQ)

	// The normalizer publishes one sync at once, but location may have
	// been asked between two forwards: wait for the whole sample.
	var docs map[string]modelcatalog.Document
	require.Eventually(t, func() bool {
		docs = documents(t, i.LocationURL)
		return len(docs) >= 3
	}, 60*time.Second, 500*time.Millisecond, "expected 3 documents; progress:\n%s", progress.String())

	var granite, fraud, chat *modelcatalog.Document
	for uri, d := range docs {
		assert.NotContains(t, uri, "sentiment-legacy", "an archived registered model is not published")
		for _, m := range d.Models {
			assert.NotContains(t, m.Name, "sentiment-legacy")
			assert.NotEqual(t, "fraud-detection-v1", m.Name, "an archived version is not published")
			if strings.HasPrefix(m.Name, "granite-3.1-8b-instruct") {
				granite = &d
			}
		}
		if d.ModelServer != nil && d.ModelServer.Name == "fraud-detection" {
			fraud = &d
		}
		if d.ModelServer != nil && d.ModelServer.Name == "chat-assistant" {
			chat = &d
		}
	}
	require.NotNil(t, fraud, "the registry-backed InferenceService is published: %v", keys(docs))
	require.Len(t, fraud.Models, 1)
	assert.Equal(t, "fraud-detection-v2", fraud.Models[0].Name)
	assert.Equal(t, "payments-team", fraud.Models[0].Owner)
	assert.Equal(t, "production", fraud.Models[0].Lifecycle)
	require.NotNil(t, fraud.ModelServer.API)
	assert.Contains(t, fraud.ModelServer.API.Spec, "/v2/models/fraud-detection/infer")

	require.NotNil(t, chat, "the KServe-only InferenceService is published: %v", keys(docs))
	assert.Equal(t, "assistants-team", chat.ModelServer.Owner)
	assert.Equal(t, "experimental", chat.ModelServer.Lifecycle)
	assert.Contains(t, chat.ModelServer.Description, "help desk")

	require.NotNil(t, granite, "the model registered from the catalog is published: %v", keys(docs))
	card := granite.Models[0].Annotations["TechDocs"]
	require.NotEmpty(t, card, "the catalog model card is linked")
	body, status := get(t, card)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "Granite 3.1 8B Instruct (sandbox model card)")

	// The ConfigMap decodes as the documented jq filter reads it.
	cfg, err := clientcmd.BuildConfigFromFlags("", i.Kubeconfig)
	require.NoError(t, err)
	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	cm, err := cs.CoreV1().ConfigMaps(podNamespace).Get(sb.ctx, "bac-import-model", metav1.GetOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, cm.BinaryData)
	for key, v := range cm.BinaryData {
		var rec struct {
			Body []byte `json:"body"`
		}
		require.NoError(t, json.Unmarshal(v, &rec), key)
		var d modelcatalog.Document
		require.NoError(t, json.Unmarshal(rec.Body, &d), key)
		assert.NotEmpty(t, d.Models, key)
	}

	require.NoError(t, sb.stop(), progress.String())
	require.NotEmpty(t, i.PIDs)
	for _, pid := range i.PIDs {
		assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "process %d outlived the sandbox", pid)
	}
	assert.Empty(t, childrenNamed("kube-apiserver", "etcd", binStorage, binLocation, binNormalizer, filepath.Base(os.Args[0])),
		"no child process remains")
}

func documents(t *testing.T, base string) map[string]modelcatalog.Document {
	t.Helper()
	var l struct {
		URIs []string `json:"uris"`
	}
	if err := getJSON(context.Background(), base+"/list", &l); err != nil {
		return nil
	}
	out := map[string]modelcatalog.Document{}
	for _, u := range l.URIs {
		var d modelcatalog.Document
		if err := getJSON(context.Background(), base+u, &d); err == nil {
			out[u] = d
		}
	}
	return out
}

func keys(m map[string]modelcatalog.Document) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func get(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b), resp.StatusCode
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

func startSleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	return cmd
}

// startedSandbox is a sandbox run by startSandbox, ready.
type startedSandbox struct {
	info     info
	opts     options
	progress *testenv.SyncBuffer
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
	stopErr  error
}

// startSandbox runs the sandbox as `make run-local` does, with the
// binaries in bin, on free ports, and waits until it is ready. It is
// stopped when the test ends, if the test did not stop it.
func startSandbox(t *testing.T, bin string) *startedSandbox {
	t.Helper()
	opts := defaultOptions()
	opts.BinDir = bin
	opts.DataDir = "data"
	opts.WorkDir = t.TempDir()
	opts.RegistryPort, opts.StoragePort, opts.LocationPort, opts.MetricsPort = freePort(t), freePort(t), freePort(t), freePort(t)
	opts.PollingInterval = 2 * time.Second
	opts.ReadyTimeout = 90 * time.Second
	sb := &startedSandbox{opts: opts, progress: &testenv.SyncBuffer{}, done: make(chan error, 1)}
	sb.opts.Out = sb.progress
	ready := make(chan info, 1)
	sb.opts.Ready = func(i info) { ready <- i }
	sb.ctx, sb.cancel = context.WithCancel(context.Background())
	go func() { sb.done <- run(sb.ctx, sb.opts) }()
	t.Cleanup(func() {
		if err := sb.stop(); err != nil {
			t.Errorf("the sandbox stopped with: %v", err)
		}
	})
	select {
	case sb.info = <-ready:
		return sb
	case err := <-sb.done:
		sb.done <- err // for stop
		t.Fatalf("the sandbox stopped before it was ready: %v\n%s", err, sb.progress.String())
	case <-time.After(3 * time.Minute):
		t.Fatalf("the sandbox was not ready within 3 minutes (it stopped with %v)\n%s", sb.stop(), sb.progress.String())
	}
	return nil
}

// stop stops the sandbox and returns what it stopped with; later calls
// return the same.
func (sb *startedSandbox) stop() error {
	sb.stopOnce.Do(func() {
		sb.cancel()
		select {
		case sb.stopErr = <-sb.done:
		case <-time.After(2 * time.Minute):
			sb.stopErr = errors.New("the sandbox did not stop within 2 minutes")
		}
	})
	return sb.stopErr
}
