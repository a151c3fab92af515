package storagerest_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/location/index"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// storage-rest must not store a record that location then refuses to
// serve: it would sit in the ConfigMap, invisible in RHDH, with nobody
// told. Both apply one rule; this holds them to it over the cases where
// they used to disagree.
func TestStorageRestAndLocationAgreeOnWhatIsAValidRecord(t *testing.T) {
	long := strings.Repeat("a", 1100)
	cases := map[string]record.Record{
		"a JSON object":                  {Body: []byte(`{"models":[]}`)},
		"a JSON array":                   {Body: []byte(`[{"models":[]}]`)},
		"a JSON string":                  {Body: []byte(`"models"`)},
		"a JSON number":                  {Body: []byte(`42`)},
		"a card key that is a key":       {Body: []byte(`{}`), ModelCardKey: "granite__v1"},
		"a card key with a space":        {Body: []byte(`{}`), ModelCardKey: "has space"},
		"a card key with a slash":        {Body: []byte(`{}`), ModelCardKey: "ibm/granite"},
		"a card key of 1,100 bytes":      {Body: []byte(`{}`), ModelCardKey: long},
		"an object padded with spaces":   {Body: []byte("  {}\n")},
		"an empty body":                  {Body: nil},
		"a body that is not JSON at all": {Body: []byte(`models: []`)},
	}
	for name, rec := range cases {
		h, _ := newHandler(t, newFakeStore())
		body := fmt.Sprintf(`{"body":%q,"lastUpdateTimeSinceEpoch":%d,"modelCardKey":%q}`,
			base64.StdEncoding.EncodeToString(rec.Body), rec.LastUpdateTimeSinceEpoch, rec.ModelCardKey)
		req := httptest.NewRequest(http.MethodPost, "/upsert?key=m__v1&type=kubeflow", strings.NewReader(body))
		req.RemoteAddr = "127.0.0.1:1234"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		stored := w.Code == http.StatusOK
		served := index.Validate(record.JSONArrayFormat, "m__v1", &rec) == nil
		assert.Equal(t, stored, served, "%s: storage-rest stores it: %v (%d %s), location serves it: %v", name, stored, w.Code, w.Body, served)
	}
}
