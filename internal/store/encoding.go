package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// DefaultName is the primary ConfigMap, named by the product documentation.
const DefaultName = "bac-import-model"

// MaxConfigMapBytes is what the API server accepts in one ConfigMap: the sum
// of len(key)+len(value) over data and binaryData (corev1.MaxSecretSize).
const MaxConfigMapBytes = corev1.MaxSecretSize

// DefaultFillBytes is how full the store fills a ConfigMap before it
// spills into the next one. Every change of a record rewrites its whole
// ConfigMap, and the API server's and etcd's cost of a write grows with
// the object: against a real API server, changing one record took 190 ms
// in a full 1 MiB ConfigMap and 31 to 47 ms in one of 138 to 332 KiB
// (BenchmarkUpsertChangedKeyByConfigMapSize, docs/benchmarks.md). A
// quarter of the limit keeps single changes fast while a first publish
// still writes only about one ConfigMap per 200 records.
const DefaultFillBytes = MaxConfigMapBytes / 4

// Labels on every ConfigMap the store writes. LabelStore ties the spill
// ConfigMaps to their primary, and is what the store watches them by.
const (
	LabelPartOf    = "app.kubernetes.io/part-of"
	PartOf         = "rhoai-rhdh-connector"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "storage-rest"
	LabelStore     = "rhoai-connector.redhat.com/store"
)

// maxSpillSuffix bounds the spill names we accept, so that a stray
// ConfigMap carrying our label cannot make us parse absurd names.
const maxSpillSuffix = 100000

// ValidateName checks that name can be the primary ConfigMap: a DNS
// subdomain that still is one with a spill suffix, and a valid label value
// (it is the value of LabelStore).
func ValidateName(name string) error {
	if errs := validation.IsDNS1123Subdomain(name + "-" + strconv.Itoa(maxSpillSuffix)); len(errs) > 0 {
		return fmt.Errorf("ConfigMap name %q cannot hold the spill suffix -<n>: %s", name, strings.Join(errs, "; "))
	}
	if errs := validation.IsValidLabelValue(name); len(errs) > 0 {
		return fmt.Errorf("ConfigMap name %q is not a valid label value (used for label %s): %s", name, LabelStore, strings.Join(errs, "; "))
	}
	return nil
}

// spillName is the name of the n-th spill ConfigMap (n >= 1).
func spillName(primary string, n int) string {
	return primary + "-" + strconv.Itoa(n)
}

// configMapIndex is 0 for the primary, n for spill n, and false for a name
// that belongs to neither.
func configMapIndex(primary, name string) (int, bool) {
	if name == primary {
		return 0, true
	}
	rest, ok := strings.CutPrefix(name, primary+"-")
	if !ok || rest == "" || rest[0] < '1' || rest[0] > '9' {
		// Only plain decimal suffixes: Atoi alone would take "+1" as 1.
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || n > maxSpillSuffix {
		return 0, false
	}
	return n, true
}

// entrySize is what one binaryData entry counts against MaxConfigMapBytes.
func entrySize(key string, value []byte) int {
	return len(key) + len(value)
}

// configMapSize is the size the API server checks against MaxConfigMapBytes.
func configMapSize(cm *corev1.ConfigMap) int {
	n := 0
	for k, v := range cm.Data {
		n += len(k) + len(v)
	}
	for k, v := range cm.BinaryData {
		n += len(k) + len(v)
	}
	return n
}

// encodeRecord is the binaryData value of a record: its JSON, so that the
// documented jq command (@base64d | fromjson | .body | @base64d) reads it.
func encodeRecord(rec *record.Record) ([]byte, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encoding record: %w", err)
	}
	return b, nil
}

// decodeRecord parses a binaryData value. It also returns the canonical
// encoding, which is what readers are served: values written by other
// versions may carry fields or spellings we do not keep.
func decodeRecord(raw []byte) (record.Record, []byte, error) {
	var rec record.Record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return record.Record{}, nil, err
	}
	canon, err := encodeRecord(&rec)
	if err != nil {
		return record.Record{}, nil, err
	}
	if string(canon) == string(raw) {
		canon = raw
	}
	return rec, canon, nil
}

// parseRV reads a resourceVersion as the integer etcd makes it, 0 when it is
// not one. Ordering resource versions of one object this way is what
// client-go's own integer mutation cache does; we only use it to ignore
// watch events older than a write we already applied.
func parseRV(s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0
	}
	return v
}
