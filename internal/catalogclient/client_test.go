package catalogclient_test

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/catalogclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/jsonclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakemetrics"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
)

const (
	token   = "catalog-token-123"
	source  = "validated_ai_models"
	granite = "ibm-granite/granite-3.1-8b-instruct"
)

func newCatalog(t *testing.T) (*fakeregistry.Server, *httptest.Server) {
	t.Helper()
	srv := seededCatalog(t)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts
}

func seededCatalog(t *testing.T) *fakeregistry.Server {
	t.Helper()
	srv := fakeregistry.New(fakeregistry.Options{Token: token})
	_, err := srv.AddCatalogSource(fakeregistry.CatalogSource{ID: source, Name: "Validated AI Models", Labels: []string{"Validated AI"}})
	require.NoError(t, err)
	_, err = srv.AddCatalogModel(source, fakeregistry.CatalogModel{
		Name:        granite,
		Description: "Granite 3.1 8B instruct",
		Readme:      "# Granite\n\nThe model card.",
		Provider:    "IBM",
		License:     "apache-2.0",
		Tasks:       []string{"text-generation"},
	})
	require.NoError(t, err)
	return srv
}

func TestModelWithSlashInName(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	srv := seededCatalog(t)
	spy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	defer spy.Close()

	c := catalogclient.New(spy.URL, catalogclient.Options{Token: token})
	m, err := c.Model(context.Background(), source, granite)
	require.NoError(t, err)
	assert.Equal(t, granite, m.Name)
	assert.Equal(t, "# Granite\n\nThe model card.", m.Readme)
	assert.Equal(t, "IBM", m.Provider)
	assert.Equal(t, "apache-2.0", m.License)
	assert.Equal(t, []string{"text-generation"}, m.Tasks)
	assert.NotEmpty(t, m.LastUpdateTimeSinceEpoch)
	assert.Equal(t, []string{fakeregistry.CatalogBasePath + "/sources/validated_ai_models/models/ibm-granite/granite-3.1-8b-instruct"}, paths)
}

func TestModelPathEscapesEachSegment(t *testing.T) {
	p, err := catalogclient.ModelPath("my source", "org/model name?v=1#x")
	require.NoError(t, err)
	assert.Equal(t, catalogclient.APIPath+"/sources/my%20source/models/org/model%20name%3Fv=1%23x", p)

	for _, bad := range []string{"", "/lead", "trail/", "a//b", "a/../b", "./a"} {
		_, err := catalogclient.ModelPath(source, bad)
		assert.Error(t, err, bad)
	}
	_, err = catalogclient.ModelPath("", "m")
	assert.Error(t, err)
}

func TestModelWithEscapedCharactersRoundTrips(t *testing.T) {
	srv, ts := newCatalog(t)
	name := "org/model name:v1+beta"
	_, err := srv.AddCatalogModel(source, fakeregistry.CatalogModel{Name: name, Readme: "card"})
	require.NoError(t, err)
	m, err := catalogclient.New(ts.URL, catalogclient.Options{Token: token}).Model(context.Background(), source, name)
	require.NoError(t, err)
	assert.Equal(t, name, m.Name)
}

func TestModelNotFoundIsTyped(t *testing.T) {
	srv, ts := newCatalog(t)
	c := catalogclient.New(ts.URL, catalogclient.Options{Token: token})
	_, err := c.Model(context.Background(), source, "ibm-granite/unknown")
	require.Error(t, err)
	assert.True(t, catalogclient.IsNotFound(err))
	assert.Contains(t, err.Error(), `source "validated_ai_models" has no model "ibm-granite/unknown"`)
	assert.Contains(t, err.Error(), ts.URL)

	_, err = c.Model(context.Background(), "no_such_source", granite)
	assert.True(t, catalogclient.IsNotFound(err))

	// Other failures are not "not found".
	srv.InjectFault(fakeregistry.Fault{Mode: fakeregistry.FaultInternalError, Requests: 1})
	_, err = c.Model(context.Background(), source, granite)
	require.Error(t, err)
	assert.False(t, catalogclient.IsNotFound(err))
	assert.Contains(t, err.Error(), "HTTP 500")
}

func TestModelNeedsTheToken(t *testing.T) {
	_, ts := newCatalog(t)
	_, err := catalogclient.New(ts.URL, catalogclient.Options{Token: "nope"}).Model(context.Background(), source, granite)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 401")
	assert.NotContains(t, err.Error(), token)
	assert.False(t, catalogclient.IsNotFound(err))
}

func TestModelOverTLS(t *testing.T) {
	srv := seededCatalog(t)
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are expected
	ts.StartTLS()
	defer ts.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	m, err := catalogclient.New(ts.URL, catalogclient.Options{Token: token, CAPEM: ca}).Model(context.Background(), source, granite)
	require.NoError(t, err)
	assert.Equal(t, granite, m.Name)

	_, err = catalogclient.New(ts.URL, catalogclient.Options{Token: token}).Model(context.Background(), source, granite)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
}

func TestSourcesArePaged(t *testing.T) {
	srv := fakeregistry.New(fakeregistry.Options{})
	for i := range 250 {
		_, err := srv.AddCatalogSource(fakeregistry.CatalogSource{ID: fmt.Sprintf("src-%03d", i), Name: fmt.Sprintf("Source %d", i), Labels: []string{}})
		require.NoError(t, err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	metrics := &fakemetrics.Requests{}

	srcs, err := catalogclient.New(ts.URL, catalogclient.Options{PageSize: 100, Metrics: metrics}).Sources(context.Background())
	require.NoError(t, err)
	require.Len(t, srcs, 250)
	assert.Equal(t, "src-000", srcs[0].ID)
	assert.Equal(t, "src-249", srcs[249].ID)
	assert.Equal(t, int64(3), srv.RequestCount())
	assert.Equal(t, 3, metrics.Count("sources", jsonclient.OutcomeOK))
}

func TestSourcesOfEmptyCatalog(t *testing.T) {
	ts := httptest.NewServer(fakeregistry.New(fakeregistry.Options{}))
	defer ts.Close()
	srcs, err := catalogclient.New(ts.URL, catalogclient.Options{}).Sources(context.Background())
	require.NoError(t, err)
	assert.NotNil(t, srcs)
	assert.Empty(t, srcs)
}

func TestModelTimeout(t *testing.T) {
	srv, ts := newCatalog(t)
	srv.InjectFault(fakeregistry.Fault{Mode: fakeregistry.FaultHang})
	defer srv.ClearFaults()
	_, err := catalogclient.New(ts.URL, catalogclient.Options{Token: token, Timeout: 50 * time.Millisecond}).Model(context.Background(), source, granite)
	require.Error(t, err)
	var he *jsonclient.Error
	require.ErrorAs(t, err, &he)
	assert.Equal(t, jsonclient.OutcomeTimeout, he.Outcome)
	assert.False(t, catalogclient.IsNotFound(err))
}

func TestModelRejectsAnswerWithoutName(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	defer ts.Close()
	_, err := catalogclient.New(ts.URL, catalogclient.Options{}).Model(context.Background(), source, granite)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no model name")
	assert.True(t, strings.HasPrefix(err.Error(), "model catalog "+ts.URL))
}
