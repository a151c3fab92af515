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
	// Stale are the keys of outputs without a Body (their inputs did not
	// change since the last build; see mapping.Cache) whose record
	// storage-rest does not hold: they must be built again, with their
	// Body, before the plan can be carried out.
	Stale []string
}

// Empty reports whether the plan changes nothing.
func (p Plan) Empty() bool { return len(p.Upserts) == 0 && len(p.Removals) == 0 }

// MakePlan diffs desired against stored (key -> the record.HashOf what
// storage-rest holds). Timestamps are ignored: only content counts.
func MakePlan(desired []mapping.Output, stored map[string]record.Hash) Plan {
	var p Plan
	want := make(map[string]bool, len(desired))
	for i := range desired {
		o := &desired[i]
		want[o.Key] = true
		p.Keys = append(p.Keys, o.Key)
		if cur, ok := stored[o.Key]; ok && cur == o.RecordHash() {
			continue
		}
		if o.Body == nil {
			p.Stale = append(p.Stale, o.Key)
			continue
		}
		p.Upserts = append(p.Upserts, *o)
	}
	for k := range stored {
		if !want[k] {
			p.Removals = append(p.Removals, k)
		}
	}
	sort.Strings(p.Keys)
	sort.Strings(p.Removals)
	sort.Strings(p.Stale)
	sort.Slice(p.Upserts, func(i, j int) bool { return p.Upserts[i].Key < p.Upserts[j].Key })
	return p
}
