//go:build faults

package faults

import (
	"os"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
)

// cluster is the control plane and the binaries every scenario shares;
// each scenario has namespaces of its own.
var cluster testenv.Cluster

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithCluster(m, &cluster, testenv.ClusterOptions{
		Binaries:    []string{"storage-rest", "location", "rhoai-normalizer"},
		Restartable: true,
	}))
}
