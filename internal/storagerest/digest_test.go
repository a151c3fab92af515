package storagerest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func TestDigestAnswersWhatIsStored(t *testing.T) {
	s := newFakeStore()
	h, _ := newHandler(t, s)
	digest := func() record.DigestAnswer {
		w := do(h, http.MethodGet, "/digest", "")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var a record.DigestAnswer
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &a))
		return a
	}
	empty := digest()
	assert.Zero(t, empty.Records)

	require.Equal(t, http.StatusOK, do(h, http.MethodPost, "/upsert?key=m__v1&type=kubeflow", `{"body":"e30=","lastUpdateTimeSinceEpoch":1}`).Code)
	one := digest()
	assert.Equal(t, 1, one.Records)
	want := record.DigestOf(map[string]record.Record{"m__v1": {Body: []byte(`{}`), ReconcilerType: record.TypeKubeflow}})
	assert.Equal(t, want.String(), one.Digest, "the digest of what the writer sent, whatever storage-rest adds (timestamp, locationTarget)")

	require.Equal(t, http.StatusOK, do(h, http.MethodDelete, "/remove?key=m__v1", "").Code)
	assert.Equal(t, empty, digest())
}
