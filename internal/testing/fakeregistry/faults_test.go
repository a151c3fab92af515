package fakeregistry

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultsForNRequests(t *testing.T) {
	s, c := newTestServer(t, Options{})
	m := mustModel(t, s, "m")

	s.InjectFault(Fault{Mode: FaultInternalError, Requests: 2})
	for i := 0; i < 2; i++ {
		code, b := c.do(http.MethodGet, rmPath, nil)
		assert.Equal(t, http.StatusInternalServerError, code)
		errorBody(t, b)
	}
	code, _ := c.do(http.MethodGet, rmPath, nil)
	assert.Equal(t, http.StatusOK, code, "the fault ends after 2 requests")

	s.InjectFault(Fault{Mode: FaultMalformedJSON, Requests: 1})
	code, b := c.do(http.MethodGet, rmPath+"/"+m.GetId(), nil)
	assert.Equal(t, http.StatusOK, code)
	var v any
	assert.Error(t, json.Unmarshal(b, &v), "body must not be valid JSON: %s", b)

	s.InjectFault(Fault{Mode: FaultEmptyList, Requests: 1})
	code, _ = c.do(http.MethodGet, rmPath+"/"+m.GetId(), nil)
	assert.Equal(t, http.StatusOK, code, "get by id is not a list")
	var l listResponse[openapi.RegisteredModel]
	c.getJSON(rmPath, &l)
	assert.Empty(t, l.Items, "the list is empty once")
	assert.Empty(t, l.NextPageToken)
	c.getJSON(rmPath, &l)
	assert.Len(t, l.Items, 1)
}

func TestFaultsUntilClearedAndByPath(t *testing.T) {
	s, c := newTestServer(t, Options{})
	mustModel(t, s, "m")
	s.InjectFault(Fault{Mode: FaultInternalError, PathPrefix: CatalogBasePath})
	for i := 0; i < 5; i++ {
		code, _ := c.do(http.MethodGet, CatalogBasePath+"/sources", nil)
		assert.Equal(t, http.StatusInternalServerError, code)
	}
	code, _ := c.do(http.MethodGet, rmPath, nil)
	assert.Equal(t, http.StatusOK, code, "registry paths are not affected")
	s.ClearFaults()
	code, _ = c.do(http.MethodGet, CatalogBasePath+"/sources", nil)
	assert.Equal(t, http.StatusOK, code)
}

func TestFaultHangEndsWithTheClientOrClearFaults(t *testing.T) {
	s, c := newTestServer(t, Options{})
	s.InjectFault(Fault{Mode: FaultHang})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+rmPath, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return s.RequestCount() == 1 }, waitFor, tick)
	select {
	case err := <-done:
		t.Fatalf("request returned while hanging: %v", err)
	default:
	}
	cancel()
	assert.True(t, errors.Is(<-done, context.Canceled))

	got := make(chan int, 1)
	go func() {
		resp := c.doCtx(context.Background(), http.MethodGet, rmPath, nil)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		got <- resp.StatusCode
	}()
	require.Eventually(t, func() bool { return s.RequestCount() == 2 }, waitFor, tick)
	s.ClearFaults()
	assert.Equal(t, http.StatusOK, <-got, "a released request is answered normally")
}

func TestBearerToken(t *testing.T) {
	s, c := newTestServer(t, Options{Token: "s3cret"})
	mustModel(t, s, "m")
	var l listResponse[openapi.RegisteredModel]
	c.getJSON(rmPath, &l)
	assert.Len(t, l.Items, 1)

	for _, auth := range []string{"", "Bearer wrong", "Basic s3cret", "s3cret", "Bearer"} {
		req, err := http.NewRequest(http.MethodGet, c.base+CatalogBasePath+"/sources", nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "Authorization %q", auth)
		assert.Equal(t, "Unauthorized", errorBody(t, b).Code)
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
	}
}

func TestRequestCounts(t *testing.T) {
	s, c := newTestServer(t, Options{})
	m := mustModel(t, s, "m")
	c.do(http.MethodGet, rmPath, nil)
	c.do(http.MethodGet, rmPath, nil)
	c.do(http.MethodGet, rmPath+"/"+m.GetId(), nil)
	c.do(http.MethodGet, "/nope", nil)
	assert.EqualValues(t, 4, s.RequestCount())
	assert.Equal(t, map[string]int64{
		"GET " + rmPath:                          2,
		"GET " + rmPath + "/{registeredmodelId}": 1,
		"GET (no route)":                         1,
	}, s.RequestCounts())
	s.ResetRequestCounts()
	assert.Zero(t, s.RequestCount())
	assert.Empty(t, s.RequestCounts())
}

func TestUnknownRoutesAnswerInTheErrorShape(t *testing.T) {
	_, c := newTestServer(t, Options{})
	code, b := c.do(http.MethodGet, RegistryBasePath+"/experiments", nil)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, errorBody(t, b).Message, "subset")
	code, b = c.do(http.MethodDelete, rmPath, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, code)
	errorBody(t, b)
}
