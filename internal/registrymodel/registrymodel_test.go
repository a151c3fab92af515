package registrymodel_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

func TestEpochReadsWhatTheRegistrySends(t *testing.T) {
	for in, want := range map[string]registrymodel.Epoch{
		`"1707765353963"`: 1707765353963,
		`1707765353963`:   1707765353963,
		`""`:              0,
		`null`:            0,
	} {
		var e registrymodel.Epoch
		require.NoError(t, json.Unmarshal([]byte(in), &e), in)
		assert.Equal(t, want, e, in)
	}
	var v registrymodel.ModelVersion
	err := json.Unmarshal([]byte(`{"id":"3","lastUpdateTimeSinceEpoch":"yesterday"}`), &v)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `lastUpdateTimeSinceEpoch must be an integer, got "yesterday"`)

	b, err := json.Marshal(registrymodel.Epoch(42))
	require.NoError(t, err)
	assert.JSONEq(t, `"42"`, string(b), "written as the API does")
}

func TestLessIDOrdersRegistryIDsNumerically(t *testing.T) {
	assert.True(t, registrymodel.LessID("9", "10"))
	assert.False(t, registrymodel.LessID("10", "9"))
	assert.True(t, registrymodel.LessID("10", "11"))
	assert.True(t, registrymodel.LessID("a10", "a9"), "ids that are not numbers compare as text")
	assert.False(t, registrymodel.LessID("7", "7"))
}
