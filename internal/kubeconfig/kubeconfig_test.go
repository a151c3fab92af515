package kubeconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const fakeCA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func TestSidecarEnvironment(t *testing.T) {
	res, err := Load(Options{ServiceAccountDir: t.TempDir(), Getenv: env(map[string]string{
		"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "6443",
		"token": "tok\n", "ca.crt": fakeCA, "namespace": "ai-rhdh",
	})})
	require.NoError(t, err)
	assert.Equal(t, "https://10.0.0.1:6443", res.Config.Host)
	assert.Equal(t, "tok", res.Config.BearerToken)
	assert.Equal(t, "tok", res.Token)
	assert.Equal(t, []byte(fakeCA), res.Config.CAData)
	assert.False(t, res.Config.Insecure)
	assert.Equal(t, "ai-rhdh", res.Namespace)
	assert.Contains(t, res.Source, "token")
}

func TestPodNamespaceWins(t *testing.T) {
	res, err := Load(Options{ServiceAccountDir: t.TempDir(), Getenv: env(map[string]string{
		"KUBERNETES_SERVICE_HOST": "h", "token": "t", "ca.crt": fakeCA, "namespace": "secret-ns", "POD_NAMESPACE": "pod-ns",
	})})
	require.NoError(t, err)
	assert.Equal(t, "pod-ns", res.Namespace)
	assert.Equal(t, "https://h:443", res.Config.Host)
}

func TestMissingCAIsAnErrorNotInsecure(t *testing.T) {
	e := env(map[string]string{"KUBERNETES_SERVICE_HOST": "h", "token": "secret-token"})
	_, err := Load(Options{ServiceAccountDir: t.TempDir(), Getenv: e})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ca.crt")
	assert.NotContains(t, err.Error(), "secret-token")

	res, err := Load(Options{ServiceAccountDir: t.TempDir(), Getenv: e, InsecureSkipTLSVerify: true})
	require.NoError(t, err)
	assert.True(t, res.Config.Insecure, "only the explicit flag turns verification off")
}

func TestInClusterFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "token"), []byte("filetok"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ca.crt"), []byte(fakeCA), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "namespace"), []byte("filens\n"), 0o600))
	res, err := Load(Options{ServiceAccountDir: dir, Getenv: env(map[string]string{"KUBERNETES_SERVICE_HOST": "h", "KUBERNETES_SERVICE_PORT": "443"})})
	require.NoError(t, err)
	assert.Equal(t, "filetok", res.Config.BearerToken)
	assert.Equal(t, filepath.Join(dir, "ca.crt"), res.Config.CAFile)
	assert.Equal(t, "filens", res.Namespace)

	// The env token is preferred, and the in-cluster CA file backs it up.
	res, err = Load(Options{ServiceAccountDir: dir, Getenv: env(map[string]string{"KUBERNETES_SERVICE_HOST": "h", "token": "envtok"})})
	require.NoError(t, err)
	assert.Equal(t, "envtok", res.Config.BearerToken)
	assert.Equal(t, filepath.Join(dir, "ca.crt"), res.Config.CAFile)
}

func TestKubeconfigFallback(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: kctok}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: kcns}}]
current-context: x
`), 0o600))
	res, err := Load(Options{Kubeconfig: kc, ServiceAccountDir: t.TempDir(), Getenv: env(nil)})
	require.NoError(t, err)
	assert.Equal(t, "https://127.0.0.1:6443", res.Config.Host)
	assert.Equal(t, "kctok", res.Token)
	assert.Equal(t, "kcns", res.Namespace)

	t.Setenv("KUBECONFIG", filepath.Join(dir, "missing"))
	t.Setenv("HOME", dir)
	_, err = Load(Options{ServiceAccountDir: t.TempDir(), Getenv: env(nil)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no Kubernetes configuration found")
}
