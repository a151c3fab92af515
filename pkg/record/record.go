// Package record holds what storage-rest stores and location serves: one
// Record per key, and the mapping between keys and the URIs that location
// lists for RHDH.
package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Reconciler types, the ?type= of an upsert; kept in the stored object as
// reconcilerType, as the original implementation did.
const (
	TypeKubeflow = "kubeflow"
	TypeKServe   = "kserve"
)

// Record is one stored entry. Its JSON form is what each binaryData entry of
// the ConfigMap bac-import-model holds, so the documented inspection command
// (.value | @base64d | fromjson | .body | @base64d | fromjson) keeps working:
// Body is a []byte and therefore base64 in JSON, and decodes to the
// model-catalog document (or catalog-info YAML in the legacy format).
type Record struct {
	Body []byte `json:"body"`
	// LastUpdateTimeSinceEpoch orders writes of the same key: a record older
	// than the stored one does not replace it. Milliseconds since the Unix
	// epoch by convention; only the order matters.
	LastUpdateTimeSinceEpoch Epoch `json:"lastUpdateTimeSinceEpoch"`
	// ReconcilerType is TypeKubeflow or TypeKServe (informational).
	ReconcilerType string `json:"reconcilerType,omitempty"`
	// ModelCardKey is the key under which location serves ModelCard at
	// /modelcard?key=; the record's own key when empty.
	ModelCardKey string `json:"modelCardKey,omitempty"`
	// ModelCard is the model card markdown, kept with its record so it
	// survives restarts of either binary.
	ModelCard string `json:"modelCard,omitempty"`
	// LocationTarget is the URI location lists for this record (filled by
	// storage-rest; kept for the original's bookkeeping field of that name).
	LocationTarget string `json:"locationTarget,omitempty"`
}

// CardKey is the key the model card is served under.
func (r *Record) CardKey(key string) string {
	if r.ModelCardKey != "" {
		return r.ModelCardKey
	}
	return key
}

// SameContent reports whether two records carry the same content, so that
// re-sending an unchanged record writes nothing. The timestamp and
// LocationTarget (derived from the key by storage-rest) are ignored.
func (r *Record) SameContent(o *Record) bool {
	return bytes.Equal(r.Body, o.Body) &&
		r.ReconcilerType == o.ReconcilerType &&
		r.CardKey("") == o.CardKey("") &&
		r.ModelCard == o.ModelCard
}

// Epoch is an integer timestamp that unmarshals from a JSON number or a JSON
// string holding one (the original implementation wrote strings), and
// marshals as a string for the same reason.
type Epoch int64

// MarshalJSON writes the epoch as a decimal string.
func (e Epoch) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(e), 10) + `"`), nil
}

// UnmarshalJSON accepts 123, "123", "" and null.
func (e *Epoch) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" || s == `""` {
		*e = 0
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		s = strings.TrimSpace(str)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("lastUpdateTimeSinceEpoch must be an integer, got %s", string(b))
	}
	*e = Epoch(v)
	return nil
}
