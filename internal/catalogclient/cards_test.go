package catalogclient_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/catalogclient"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeclock"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/fakeregistry"
)

func newFetcher(t *testing.T, ttl time.Duration) (*fakeregistry.Server, *catalogclient.CardFetcher, *fakeclock.Clock) {
	t.Helper()
	srv, ts := newCatalog(t)
	clock := fakeclock.New(time.Unix(1_700_000_000, 0))
	f := catalogclient.NewCardFetcher(catalogclient.New(ts.URL, catalogclient.Options{Token: token}),
		catalogclient.CardOptions{TTL: ttl, Now: clock.Now})
	srv.ResetRequestCounts()
	return srv, f, clock
}

func TestCardFetcherReusesAnswersWithinTTL(t *testing.T) {
	srv, f, clock := newFetcher(t, 10*time.Minute)
	ctx := context.Background()

	first, err := f.Card(ctx, source, granite)
	require.NoError(t, err)
	assert.Equal(t, "# Granite\n\nThe model card.", first.Readme)
	_, err = f.Card(ctx, source, "ibm-granite/no-card")
	require.True(t, catalogclient.IsNotFound(err))
	assert.Equal(t, int64(2), srv.RequestCount())

	// Five more polls inside the TTL cost nothing, found or not found.
	for range 5 {
		clock.Advance(time.Minute)
		again, err := f.Card(ctx, source, granite)
		require.NoError(t, err)
		assert.Same(t, first, again)
		_, err = f.Card(ctx, source, "ibm-granite/no-card")
		assert.True(t, catalogclient.IsNotFound(err))
	}
	assert.Equal(t, int64(2), srv.RequestCount())
	assert.Equal(t, 2, f.Len())
}

func TestCardFetcherRefetchesAfterTTL(t *testing.T) {
	srv, f, clock := newFetcher(t, 10*time.Minute)
	ctx := context.Background()
	first, err := f.Card(ctx, source, granite)
	require.NoError(t, err)

	// Unchanged card: refetched once the TTL passed, same value kept.
	clock.Advance(10 * time.Minute)
	same, err := f.Card(ctx, source, granite)
	require.NoError(t, err)
	assert.Equal(t, int64(2), srv.RequestCount())
	assert.Same(t, first, same, "an unchanged lastUpdateTimeSinceEpoch keeps the cached card")

	// Changed card: the new readme shows up after the next TTL.
	_, err = srv.UpdateCatalogModel(source, granite, func(m *fakeregistry.CatalogModel) { m.Readme = "# Granite v2" })
	require.NoError(t, err)
	clock.Advance(5 * time.Minute)
	stale, err := f.Card(ctx, source, granite)
	require.NoError(t, err)
	assert.Equal(t, "# Granite\n\nThe model card.", stale.Readme, "within the TTL the cached card is served")
	clock.Advance(5 * time.Minute)
	fresh, err := f.Card(ctx, source, granite)
	require.NoError(t, err)
	assert.Equal(t, "# Granite v2", fresh.Readme)
	assert.NotEqual(t, first.LastUpdateTimeSinceEpoch, fresh.LastUpdateTimeSinceEpoch)
	assert.Equal(t, int64(3), srv.RequestCount())
}

func TestCardFetcherNotFoundThenAdded(t *testing.T) {
	srv, f, clock := newFetcher(t, time.Minute)
	ctx := context.Background()
	_, err := f.Card(ctx, source, "org/new")
	require.True(t, catalogclient.IsNotFound(err))
	_, err = srv.AddCatalogModel(source, fakeregistry.CatalogModel{Name: "org/new", Readme: "new card"})
	require.NoError(t, err)
	clock.Advance(time.Minute)
	m, err := f.Card(ctx, source, "org/new")
	require.NoError(t, err)
	assert.Equal(t, "new card", m.Readme)
}

func TestCardFetcherServesCachedCardWhenRefreshFails(t *testing.T) {
	srv, f, clock := newFetcher(t, time.Minute)
	ctx := context.Background()
	first, err := f.Card(ctx, source, granite)
	require.NoError(t, err)

	srv.InjectFault(fakeregistry.Fault{Mode: fakeregistry.FaultInternalError})
	clock.Advance(time.Minute)
	got, err := f.Card(ctx, source, granite)
	require.NoError(t, err, "the last good card is kept while the catalog fails")
	assert.Same(t, first, got)
	// The failed refresh is retried on the next call, not after a TTL.
	got, err = f.Card(ctx, source, granite)
	require.NoError(t, err)
	assert.Same(t, first, got)
	assert.Equal(t, int64(3), srv.RequestCount())

	// Without a cached answer the error is returned.
	_, err = f.Card(ctx, source, "org/other")
	require.Error(t, err)
	assert.False(t, catalogclient.IsNotFound(err))
	assert.Contains(t, err.Error(), "HTTP 500")

	srv.ClearFaults()
	got, err = f.Card(ctx, source, granite)
	require.NoError(t, err)
	assert.Equal(t, first.Readme, got.Readme)
}

func TestCardFetcherDropsEntriesNobodyAsksFor(t *testing.T) {
	_, f, clock := newFetcher(t, time.Minute)
	ctx := context.Background()
	_, err := f.Card(ctx, source, granite)
	require.NoError(t, err)
	_, _ = f.Card(ctx, source, "org/gone")
	require.Equal(t, 2, f.Len())

	for range 3 {
		clock.Advance(time.Minute)
		_, err = f.Card(ctx, source, granite)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, f.Len(), "org/gone was not asked for during two TTLs")
}

// BenchmarkCardFetcherHit is the cost of a cached card lookup, the common
// case of every sync.
func BenchmarkCardFetcherHit(b *testing.B) {
	srv := fakeregistry.New(fakeregistry.Options{})
	_, _ = srv.AddCatalogSource(fakeregistry.CatalogSource{ID: source, Name: "s", Labels: []string{}})
	_, _ = srv.AddCatalogModel(source, fakeregistry.CatalogModel{Name: granite, Readme: "card"})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := catalogclient.New(ts.URL, catalogclient.Options{})
	f := catalogclient.NewCardFetcher(c, catalogclient.CardOptions{})
	ctx := context.Background()
	if _, err := f.Card(ctx, source, granite); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := f.Card(ctx, source, granite); err != nil {
			b.Fatal(err)
		}
	}
}
