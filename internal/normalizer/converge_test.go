package normalizer

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

// What the real storage-rest holds converges to what the sources say at
// the next sync (the store-resync default is ten minutes): a record that no
// source produces, sent straight to storage-rest, leaves RHDH again, and a
// record edited by hand in the ConfigMap is put back.
func TestStoredRecordsConvergeToTheSources(t *testing.T) {
	ns := "converge"
	dp := startDataPlane(t, ns)
	reg := startRegistry(t)
	reg.model(t, "mnist", "v1", nil, openapi.ModelArtifact{Uri: strp("s3://models/mnist")})
	startNormalizer(t, dp, runOptions{registries: []string{reg.url}})
	const mnist = "/mnist/v1/model-catalog.json"
	eventually(t, "the model is published", func() bool { return hasURI(dp.uris(t), mnist) })
	good, ok := dp.doc(t, mnist)
	require.True(t, ok)

	ctx := context.Background()
	_, err := storageclient.New(dp.storageURL).Upsert(ctx, "stray__v1", record.TypeKubeflow,
		&record.Record{Body: []byte(`{"models":[{"name":"stray","owner":"o","lifecycle":"l","description":"d"}]}`)})
	require.NoError(t, err)
	eventually(t, "the stray record is removed by the next sync", func() bool {
		uris := dp.uris(t)
		return hasURI(uris, mnist) && !hasURI(uris, "/stray/v1/model-catalog.json")
	})

	require.NoError(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var cm corev1.ConfigMap
		if err := cluster.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: store.DefaultName}, &cm); err != nil {
			return err
		}
		var rec record.Record
		if err := json.Unmarshal(cm.BinaryData["mnist__v1"], &rec); err != nil {
			return err
		}
		rec.Body = []byte(`{"models":[{"name":"edited-by-hand","owner":"admin","lifecycle":"l","description":"d"}]}`)
		raw, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		cm.BinaryData["mnist__v1"] = raw
		return cluster.Client.Update(ctx, &cm)
	}))
	eventually(t, "the hand edit is put right by the next sync", func() bool {
		d, ok := dp.doc(t, mnist)
		return ok && len(d.Models) == 1 && d.Models[0].Name == good.Models[0].Name
	})
	d, _ := dp.doc(t, mnist)
	assert.Equal(t, good, d)
}
