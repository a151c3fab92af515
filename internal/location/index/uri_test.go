package index

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

var uriTestKeys = []string{"mnist__v1", "granite-8b", "my_model__v1.2", "a-b_c.d__e.f-g_h__i", "Granite-3.1-8B__ver_2.0-1", "models__x"}

// uriOf, isURIOf and appendKey spell record's mapping without allocating;
// they must agree with it exactly.
func TestURIHelpersAgreeWithTheRecordPackage(t *testing.T) {
	for _, key := range uriTestKeys {
		for _, file := range []string{record.FileJSON, record.FileYAML} {
			want, err := record.URI(key, file)
			require.NoError(t, err)
			assert.Equal(t, want, uriOf("", key, file))
			assert.Equal(t, "."+want, uriOf(".", key, file))
			for _, uri := range []string{want, want[1:]} {
				assert.True(t, isURIOf(uri, key, file), uri)
				got, ok := appendKey(nil, uri, file)
				assert.True(t, ok, uri)
				assert.Equal(t, key, string(got), uri)
			}
			other := record.FileYAML
			if file == other {
				other = record.FileJSON
			}
			assert.False(t, isURIOf(want, key, other))
			_, ok := appendKey(nil, want, other)
			assert.False(t, ok)
		}
	}
}

// Only a held key's exact URI, with or without its leading slash, serves
// its document, as when URIs were stored: nothing else that parses to its
// key, and no removed document either.
func TestDocumentRefusesNonCanonicalURIs(t *testing.T) {
	ix, c := newIndex(t, Options{RemovedGrace: time.Minute})
	upsert(t, ix, "mnist__v1", rec("mnist", 1))
	upsert(t, ix, "a-b_c.d__e", rec("abcde", 1))
	upsert(t, ix, "gone__v1", rec("gone", 1))
	_, err := ix.Remove("gone__v1")
	require.NoError(t, err)
	s := ix.Snapshot()
	for _, uri := range []string{"/mnist/v1/model-catalog.json", "mnist/v1/model-catalog.json", "/a-b_c.d/e/model-catalog.json", "/gone/v1/model-catalog.json", "gone/v1/model-catalog.json"} {
		assert.NotNil(t, s.Document(uri), uri)
	}
	for _, base := range []string{"mnist/v1", "gone/v1"} {
		for _, uri := range []string{
			"//" + base + "/model-catalog.json",
			"/" + strings.Replace(base, "/", "//", 1) + "/model-catalog.json",
			"/" + base + "//model-catalog.json",
			"/" + strings.Replace(base, "/", "__", 1) + "/model-catalog.json",
			"/" + strings.Replace(base, "/", "/./", 1) + "/model-catalog.json",
			"/" + base + "/../v1/model-catalog.json",
			"/" + base + "/model-catalog.json/",
			"/" + base + "/model-catalog.jsonx",
			"/" + base + "model-catalog.json",
			"/" + strings.ToUpper(base) + "/model-catalog.json",
			"/ " + base + "/model-catalog.json",
			"/" + base + "/model-catalog.json?x=1",
			"/" + base,
			"/" + base + "/",
			"/model-catalog.json",
			"model-catalog.json",
			"/",
			"",
		} {
			assert.Nil(t, s.Document(uri), uri)
			assert.Nil(t, s.EntitiesDocument(strings.Replace(uri, record.FileJSON, record.FileYAML, 1)), uri)
		}
	}
	assert.Nil(t, s.Document("/"+strings.Repeat("a/", 300)+"model-catalog.json"), "longer than any key")
	assert.Nil(t, s.Document("/mnist__v1/model-catalog.json"), "a segment holding the separator")
	assert.Nil(t, s.Document("/a-b_c.d__e/model-catalog.json"))

	c.t = c.t.Add(time.Minute)
	assert.Nil(t, s.Document("/gone/v1/model-catalog.json"), "after the grace period")
}

// Any path finds a document exactly when record.KeyFromURI maps it to a
// held key in the index's format, as when the index looked URIs up.
func FuzzDocumentURIs(f *testing.F) {
	ix := New(Options{})
	for _, key := range uriTestKeys {
		if _, err := ix.Upsert(key, rec(key, 1)); err != nil {
			f.Fatal(err)
		}
	}
	s := ix.Snapshot()
	for _, key := range uriTestKeys {
		uri, _ := record.URI(key, record.FileJSON)
		f.Add(uri)
		f.Add(uri[1:])
		f.Add(strings.Replace(uri, "/", "__", 2))
		f.Add("/" + uri)
		f.Add(strings.Replace(uri, record.FileJSON, record.FileYAML, 1))
	}
	f.Fuzz(func(t *testing.T, uri string) {
		var doc, ents *Document
		if key, file, err := record.KeyFromURI(uri); err == nil {
			if file == record.FileJSON {
				doc = s.DocumentByKey(key)
			} else {
				ents = s.DocumentByKey(key)
			}
		}
		assert.Same(t, doc, s.Document(uri), "document at %q", uri)
		assert.Same(t, ents, s.EntitiesDocument(uri), "catalog-info YAML at %q", uri)
	})
}
