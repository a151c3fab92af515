package record

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyURIRoundTrip(t *testing.T) {
	cases := []struct {
		segs []string
		key  string
		uri  string
	}{
		{[]string{"mnist", "v1"}, "mnist__v1", "/mnist/v1/model-catalog.json"},
		{[]string{"granite_3.1-8b", "v1.2_rc-1"}, "granite_3.1-8b__v1.2_rc-1", "/granite_3.1-8b/v1.2_rc-1/model-catalog.json"},
		{[]string{"kserve", "ns-a", "my.isvc"}, "kserve__ns-a__my.isvc", "/kserve/ns-a/my.isvc/model-catalog.json"},
		{[]string{"single"}, "single", "/single/model-catalog.json"},
		{[]string{"A1", "b_2"}, "A1__b_2", "/A1/b_2/model-catalog.json"},
	}
	for _, c := range cases {
		key, err := KeyFromSegments(c.segs...)
		require.NoError(t, err, c.segs)
		assert.Equal(t, c.key, key)
		uri, err := URI(key, FileJSON)
		require.NoError(t, err)
		assert.Equal(t, c.uri, uri)
		for _, form := range []string{uri, strings.TrimPrefix(uri, "/")} {
			k, file, err := KeyFromURI(form)
			require.NoError(t, err, form)
			assert.Equal(t, key, k)
			assert.Equal(t, FileJSON, file)
		}
		segs, err := Segments(key)
		require.NoError(t, err)
		assert.Equal(t, c.segs, segs)
	}
	uri, err := URI("mnist__v1", FileYAML)
	require.NoError(t, err)
	assert.Equal(t, "/mnist/v1/catalog-info.yaml", uri)
}

func TestInvalidKeys(t *testing.T) {
	for _, k := range []string{
		"", "a/b", "..", "a__..", ".", "a b", "_a", "a_", "a___b", "a____b", "-a", "a-",
		"a..b", "a__", "__a", "a__b__", "ünï", "a\nb", strings.Repeat("a", 254), "a%2fb", "a:b",
	} {
		err := ValidateKey(k)
		require.Error(t, err, "%q should be invalid", k)
		assert.True(t, errors.Is(err, ErrInvalidKey))
	}
	for _, k := range []string{"a", "a.b", "a-b_c.d", "a__b", "A__b__c", strings.Repeat("a", 253)} {
		assert.NoError(t, ValidateKey(k), k)
	}
}

func TestInvalidURIs(t *testing.T) {
	for _, u := range []string{
		"", "/", "/model-catalog.json", "/a/b/other.json", "/a/../model-catalog.json",
		"/a//b/model-catalog.json", "/a b/model-catalog.json", "/a/b_/model-catalog.json", "/a__b/model-catalog.json",
	} {
		_, _, err := KeyFromURI(u)
		assert.Error(t, err, "%q should be invalid", u)
	}
}

// Every valid key maps to a URI that maps back to the same key: no two keys
// share a URI.
func FuzzKeyURI(f *testing.F) {
	for _, s := range []string{"mnist__v1", "a_b.c-d__e", "kserve__ns__x", "a___b", "a/b", ".."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if ValidateKey(key) != nil {
			return
		}
		uri, err := URI(key, FileJSON)
		if err != nil {
			t.Fatalf("valid key %q has no uri: %v", key, err)
		}
		back, _, err := KeyFromURI(uri)
		if err != nil || back != key {
			t.Fatalf("key %q -> uri %q -> key %q (%v)", key, uri, back, err)
		}
	})
}

func TestEpochJSON(t *testing.T) {
	for in, want := range map[string]Epoch{`123`: 123, `"456"`: 456, `""`: 0, `null`: 0, `" 7 "`: 7} {
		var e Epoch
		require.NoError(t, json.Unmarshal([]byte(in), &e), in)
		assert.Equal(t, want, e, in)
	}
	for _, in := range []string{`"x"`, `1.5`, `true`, `{}`} {
		var e Epoch
		assert.Error(t, json.Unmarshal([]byte(in), &e), in)
	}
	b, err := json.Marshal(Record{Body: []byte(`{"models":[]}`), LastUpdateTimeSinceEpoch: 42})
	require.NoError(t, err)
	assert.JSONEq(t, `{"body":"eyJtb2RlbHMiOltdfQ==","lastUpdateTimeSinceEpoch":"42"}`, string(b))
}

func TestSameContentIgnoresTimestamp(t *testing.T) {
	a := Record{Body: []byte("x"), LastUpdateTimeSinceEpoch: 1, ModelCard: "# c"}
	b := a
	b.LastUpdateTimeSinceEpoch = 2
	assert.True(t, a.SameContent(&b))
	b.LocationTarget = "/x/model-catalog.json"
	assert.True(t, a.SameContent(&b), "LocationTarget is derived, not content")
	b.ModelCard = "# d"
	assert.False(t, a.SameContent(&b))
	assert.Equal(t, "k", a.CardKey("k"))
	a.ModelCardKey = "other"
	assert.Equal(t, "other", a.CardKey("k"))
}
