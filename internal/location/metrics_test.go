package location

import (
	"context"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestRecordAndCardGaugesFollowTheIndex(t *testing.T) {
	ts := newTestService(t, newFakeStorage(map[string]record.Record{
		"a__v1": withCard(doc("a", 1), "", "# a"),
		"b__v1": doc("b", 1),
	}), nil)
	assert.Zero(t, gauge(t, ts.reg, "rhoai_connector_location_records"))
	ts.load(t)
	assert.Equal(t, 2.0, gauge(t, ts.reg, "rhoai_connector_location_records"))
	assert.Equal(t, 1.0, gauge(t, ts.reg, "rhoai_connector_location_model_cards"))
	require.Equal(t, http.StatusOK, ts.do(http.MethodDelete, "/remove?key=a__v1", nil).Code)
	assert.Equal(t, 1.0, gauge(t, ts.reg, "rhoai_connector_location_records"), "a removed record no longer counts, even while still served")
	assert.Zero(t, gauge(t, ts.reg, "rhoai_connector_location_model_cards"))
}

func TestNewRefusesAMetricsClash(t *testing.T) {
	reg := prometheus.NewRegistry()
	cfg := Config{Storage: staticSource{}, Registry: reg}
	_, err := New(cfg)
	require.NoError(t, err)
	_, err = New(cfg)
	require.Error(t, err, "a second service on the same registry")
	assert.Contains(t, err.Error(), "registering location metrics")
}

type staticSource map[string]record.Record

func (s staticSource) EachRecord(_ context.Context, yield func(string, record.Record) error) error {
	for k, r := range s {
		if err := yield(k, r); err != nil {
			return err
		}
	}
	return nil
}

func (s staticSource) Digest(context.Context) (string, error) {
	d := record.DigestOf(s)
	return d.String(), nil
}
