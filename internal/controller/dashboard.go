package controller

import (
	"context"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/discovery"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/pipeline"
)

// dashboardRefresh looks for the OpenShift AI dashboard at the start of
// every sync's discovery (its Routes are read at most once per TTL), so the
// mapping of that sync links to the dashboard found then.
type dashboardRefresh struct {
	pipeline.Discoverer
	dashboard *discovery.Dashboard
}

func (d dashboardRefresh) Discover(ctx context.Context) (discovery.Result, error) {
	d.dashboard.Refresh(ctx)
	return d.Discoverer.Discover(ctx)
}
