// Package v1beta1 holds the part of KServe's serving.kserve.io/v1beta1
// InferenceService that the connector reads (and that hack/sandbox writes),
// in place of github.com/kserve/kserve/pkg/apis/serving/v1beta1.
//
// Why a local copy: importing KServe's API package for one Go type links
// KServe's storage and credentials code, and with it the Google Cloud,
// Azure and AWS SDKs. That made rhoai-normalizer about 68 MiB and its first
// build on a 2-core machine about 10 minutes; none of that code ever runs
// here.
//
// The types keep upstream's JSON field names and omitempty exactly, so an
// object written by KServe decodes into them and one written from them is a
// valid InferenceService. Fields the connector does not read are absent:
// decoding ignores them, which is why writing back (Update) an object read
// through these types would drop them; the connector only reads
// InferenceServices, and the sandbox only creates its own and updates
// their status. compat_test.go checks the round trip against upstream's
// types of the kserve version in go.mod (KServeVersion).
//
// The deep-copy methods are written by hand (no code generator is part of
// the build); deepcopy_test.go checks that a copy shares no memory with
// its original.
package v1beta1
