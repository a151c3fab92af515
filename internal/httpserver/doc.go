// Package httpserver is the HTTP plumbing storage-rest and location share:
// listen-address parsing, a chi router with request ids, JSON access logs,
// Prometheus request metrics, /healthz, /readyz and /metrics, the rule that
// write endpoints only answer the pod itself (or a bearer token), JSON
// errors, and a server that drains in-flight requests on shutdown.
package httpserver
