package testenv

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var namespaces atomic.Int64

// NewNamespace creates a namespace of the test's own on the API server of
// cfg and returns its name: prefix, then a number unique in this process
// and one from the clock, so that -count=N and a rerun against the same
// API server never meet a namespace of an earlier test.
func NewNamespace(t testing.TB, cfg *rest.Config, prefix string) string {
	t.Helper()
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatalf("client for %s: %v", cfg.Host, err)
	}
	name := fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, namespaces.Add(1))
	if err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}
