package pipeline

import (
	"sort"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/mapping"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// Plan is the difference between the desired records and the stored ones.
type Plan struct {
	// Upserts are outputs that are new or whose content changed.
	Upserts []mapping.Output
	// Removals are stored keys that are no longer desired.
	Removals []string
	// Keys is the full desired key set, sorted (what /currentkeyset gets).
	Keys []string
}

// Empty reports whether the plan changes nothing.
func (p Plan) Empty() bool { return len(p.Upserts) == 0 && len(p.Removals) == 0 }

// MakePlan diffs desired against stored (key -> the record.HashOf what
// storage-rest holds). Timestamps are ignored: only content counts.
func MakePlan(desired []mapping.Output, stored map[string]record.Hash) Plan {
	var p Plan
	want := make(map[string]bool, len(desired))
	for i := range desired {
		o := desired[i]
		want[o.Key] = true
		p.Keys = append(p.Keys, o.Key)
		cur, ok := stored[o.Key]
		next := toRecord(o)
		if !ok || cur != record.HashOf(o.Key, &next) {
			p.Upserts = append(p.Upserts, o)
		}
	}
	for k := range stored {
		if !want[k] {
			p.Removals = append(p.Removals, k)
		}
	}
	sort.Strings(p.Keys)
	sort.Strings(p.Removals)
	sort.Slice(p.Upserts, func(i, j int) bool { return p.Upserts[i].Key < p.Upserts[j].Key })
	return p
}

// toRecord is the record stored for an output, without its timestamp.
// LocationTarget is left to storage-rest, which fills it, so it is not
// compared either.
func toRecord(o mapping.Output) record.Record {
	return record.Record{Body: o.Body, ReconcilerType: o.Type, ModelCard: o.ModelCard}
}
