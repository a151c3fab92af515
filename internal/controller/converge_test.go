package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/store"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/storageclient"
)

// What the real storage-rest holds converges to what the sources say at
// the next sync (the store-resync default is ten minutes): a record that no
// source produces, sent straight to storage-rest, leaves RHDH again, and a
// record edited by hand in the ConfigMap is put back.
func TestStoredRecordsConvergeToTheSources(t *testing.T) {
	// A namespace of its own for each run: a ConfigMap left by an earlier
	// run would hold that run's documents.
	ns := fmt.Sprintf("converge-%d", time.Now().UnixNano())
	dp := startDataPlane(t, ns)
	reg := startRegistry(t)
	reg.model(t, "mnist", nil, openapi.ModelArtifact{Uri: strp("s3://models/mnist")})
	startNormalizer(t, dp, runOptions{registries: []string{reg.url}})
	const mnist = "/mnist/v1/model-catalog.json"
	eventually(t, "the model is published", func() bool { return hasURI(dp.uris(t), mnist) })
	good, ok := dp.doc(t, mnist)
	require.True(t, ok)

	ctx := context.Background()
	sc := storageclient.New(dp.storageURL)
	_, err := sc.Upsert(ctx, "stray__v1", record.TypeKubeflow,
		&record.Record{Body: []byte(`{"models":[{"name":"stray","owner":"o","lifecycle":"l","description":"d"}]}`)})
	require.NoError(t, err)
	// storage-rest stored it before answering, so its absence there is the
	// normalizer's doing; location follows storage-rest.
	eventually(t, "the stray record is removed by the next sync", func() bool {
		keys, err := sc.List(ctx)
		return err == nil && !contains(keys, "stray__v1") && contains(keys, "mnist__v1")
	})
	eventually(t, "location drops it too", func() bool {
		uris := dp.uris(t)
		return hasURI(uris, mnist) && !hasURI(uris, "/stray/v1/model-catalog.json")
	})

	before, err := sc.Fetch(ctx, "mnist__v1")
	require.NoError(t, err)
	require.NoError(t, testenv.EditConfigMap(ctx, cluster.Client, ns, store.DefaultName, func(cm *corev1.ConfigMap) error {
		var rec record.Record
		if err := json.Unmarshal(cm.BinaryData["mnist__v1"], &rec); err != nil {
			return err
		}
		rec.Body = []byte(`{"models":[{"name":"edited-by-hand","owner":"admin","lifecycle":"l","description":"d"}]}`)
		raw, err := json.Marshal(rec) // same timestamp: only the content changed
		if err != nil {
			return err
		}
		cm.BinaryData["mnist__v1"] = raw
		return nil
	}))
	// The normalizer writes its document again with a newer timestamp:
	// that tells the healed record from the one before the edit.
	eventually(t, "the hand edit is put right by the next sync", func() bool {
		rec, err := sc.Fetch(ctx, "mnist__v1")
		return err == nil && rec.LastUpdateTimeSinceEpoch > before.LastUpdateTimeSinceEpoch && string(rec.Body) == string(before.Body)
	})
	eventually(t, "location serves the healed document", func() bool {
		d, ok := dp.doc(t, mnist)
		return ok && assert.ObjectsAreEqual(good, d)
	})
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
