package storagerest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/storagerest"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/realserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/rudeclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// An oversized upsert or key set written in full before the client reads
// gets the 413 JSON error, not a reset, with or without Content-Length.
func TestOversizedWritesWrittenBeforeReadingGet413(t *testing.T) {
	s := newFakeStore()
	h, _ := newHandler(t, s)
	addr := realserver.Start(t, h, httpserver.Limits{})
	rudeclient.AssertOversizedWritesGet413(t, addr, storagerest.DefaultMaxBodyBytes, rudeclient.Write{Method: http.MethodPost, Target: "/upsert?key=m&type=kubeflow"},
		rudeclient.Write{Method: http.MethodPost, Target: "/currentkeyset"}, rudeclient.Write{Method: http.MethodDelete, Target: "/remove?key=m"})
	assert.Equal(t, 0, s.writeCount(), "nothing reached the store")
}

// Slow clients are cut off by the server's timeouts.
func TestSlowClientsAreCutOff(t *testing.T) {
	h, _ := newHandler(t, newFakeStore())
	addr := realserver.Start(t, h, httpserver.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond})
	rudeclient.AssertSlowClientsCutOff(t, addr, "/upsert?key=m&type=kubeflow")
}

// blockingStore never finishes a write until its context ends.
type blockingStore struct {
	*fakeStore
	entered chan string
}

func (b *blockingStore) Upsert(ctx context.Context, _ string, _ record.Record) (string, error) {
	b.entered <- "upsert"
	<-ctx.Done()
	return "", fmt.Errorf("updating ConfigMap bac-import-model: %w", ctx.Err())
}

func (b *blockingStore) Remove(ctx context.Context, _ string) (bool, error) {
	b.entered <- "remove"
	<-ctx.Done()
	return false, fmt.Errorf("updating ConfigMap bac-import-model: %w", ctx.Err())
}

func (b *blockingStore) RemoveExcept(ctx context.Context, _ []string) ([]string, error) {
	b.entered <- "currentkeyset"
	<-ctx.Done()
	return nil, fmt.Errorf("listing: %w", ctx.Err())
}

// A store call that hangs (the API server accepts the connection and never
// answers) is given up after StoreTimeout, and the caller gets a 503 with
// Retry-After over the real server: the answer is written well before the
// server's WriteTimeout.
func TestAHangingStoreGets503BeforeTheWriteTimeout(t *testing.T) {
	s := &blockingStore{fakeStore: newFakeStore(), entered: make(chan string, 3)}
	h, reg := newHandler(t, s, func(o *storagerest.Options) { o.StoreTimeout = 200 * time.Millisecond })
	// WriteTimeout well above StoreTimeout, as in production (60 s vs 45 s).
	addr := realserver.Start(t, h, httpserver.Limits{WriteTimeout: 30 * time.Second})
	for _, req := range []struct{ method, target, body string }{
		{http.MethodPost, "/upsert?key=m&type=kserve", recordJSON(mnist, 1)},
		{http.MethodDelete, "/remove?key=m", ""},
		{http.MethodPost, "/currentkeyset", `["m"]`},
	} {
		r, err := http.NewRequest(req.method, "http://"+addr+req.target, strings.NewReader(req.body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err, req.target)
		var e httpserver.ErrorBody
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, req.target)
		assert.Equal(t, "5", resp.Header.Get("Retry-After"), req.target)
		assert.Contains(t, e.Error, "did not finish within 200ms", req.target)
		assert.Contains(t, e.Error, "retry later", req.target)
	}
	assert.Len(t, s.entered, 3, "each write reached the store")
	assert.Equal(t, 3.0, counterValue(t, reg, "rhoai_connector_storage_rest_errors_total"))
}

// A Forbidden from the API server says which verb the Role lacks.
func TestForbiddenNamesTheMissingVerb(t *testing.T) {
	for _, verb := range []string{"update", "create", "delete"} {
		s := newFakeStore()
		s.err = fmt.Errorf("storing key m: %w", apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "bac-import-model",
			fmt.Errorf(`User "system:serviceaccount:rhdh:connector" cannot %s resource "configmaps" in API group "" in the namespace "rhdh"`, verb)))
		h, reg := newHandler(t, s)
		for _, req := range [][3]string{
			{http.MethodPost, "/upsert?key=m&type=kserve", recordJSON(mnist, 1)},
			{http.MethodDelete, "/remove?key=m", ""},
		} {
			res := do(h, req[0], req[1], req[2])
			assert.Equal(t, http.StatusServiceUnavailable, res.Code, res.Body.String())
			assert.NotEmpty(t, res.Header().Get("Retry-After"))
			msg := httpcheck.ErrorMessage(t, res)
			assert.Contains(t, msg, "may not "+verb+" configmaps")
			assert.Contains(t, msg, `add the verb "`+verb+`" on configmaps`)
			assert.NotContains(t, msg, `\u0026`, "not HTML-escaped")
		}
		assert.Equal(t, 2.0, counterValue(t, reg, "rhoai_connector_storage_rest_errors_total"))
	}
}

// Removing an absent key answers the same shape as removing a present one,
// {"removed": [...]}, as location does.
func TestRemoveAnswersTheRemovedKeys(t *testing.T) {
	s := newFakeStore()
	s.recs["m"] = record.Record{Body: []byte("{}")}
	h, _ := newHandler(t, s)
	res := do(h, http.MethodDelete, "/remove?key=m", "")
	assert.Equal(t, http.StatusOK, res.Code)
	assert.JSONEq(t, `{"removed":["m"]}`, res.Body.String())
	res = do(h, http.MethodDelete, "/remove?key=m", "")
	assert.Equal(t, http.StatusOK, res.Code)
	assert.JSONEq(t, `{"removed":[]}`, res.Body.String())
}

// /healthz and /readyz answer {"status":"ok"}, as on the other binaries.
func TestProbesAnswerOK(t *testing.T) {
	h, _ := newHandler(t, newFakeStore())
	for _, p := range []string{"/healthz", "/readyz"} {
		res := do(h, http.MethodGet, p, "")
		assert.Equal(t, http.StatusOK, res.Code)
		assert.Equal(t, `{"status":"ok"}`, res.Body.String(), p)
	}
}
