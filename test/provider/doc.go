// Package provider measures location under the real consumer: the
// published RHDH 1.x model-catalog entity provider, which fetches every
// listed document at once in each provider run (one Promise.all over all
// uris; one failed fetch fails the whole run).
//
// BenchmarkProviderRun starts the real location binary, loaded from a fake
// storage-rest (GET /records, the one call location makes to it) with N
// generated documents shaped like the normalizer's, and runs
// test/e2e/backstage/bench/provider-runs.js, which drives the provider
// class from test/e2e/backstage/node_modules for PROVIDER_RUNS runs (3 by
// default). It reports location's peak resident memory during the runs
// (VmHWM, reset once the load is done), and fails when a fetch failed, a
// run handed the catalog fewer entities than the documents hold, /list
// did not name N uris, or location went over its memory limit.
//
// location runs as in its default container: GOMEMLIMIT at 90% of the
// 256Mi limit in deploy/ (PROVIDER_LOCATION_LIMIT sets another limit, or
// "none"). Where the open-files hard limit is below N plus 4,096 and
// cannot be raised, node's fetch is capped to fit it and the report says
// so (node-max-connections): the plugin's own default is a socket per
// document, all connected at once.
//
//	make bench-provider            # npm ci when needed, then every size
//	go test -run '^$' -bench 'ProviderRun/records=10000$' -benchtime 1x ./test/provider/
//
// Without node 20+ or the e2e's node_modules it skips, saying how to get
// them (under CI=true it fails); `make bench` and `make bench-provider`
// install them first.
package provider
