// Package pipeline is one sync of rhoai-normalizer, in the shape of
// external-dns: sources report what exists (KServe InferenceServices, each
// model registry, the model catalog's cards), the mapping turns that into
// the desired records, a plan diffs them against what storage-rest holds,
// and only the difference is sent.
//
// Each source is a Source (source.go) answering its part of the
// mapping's inputs. The safety rules, because removals delete what
// developers see in RHDH, are small values in policy.go that wrap a source
// or answer one question; Sync only composes them:
//   - a source that fails (unreachable, HTTP error, malformed answer) keeps
//     its last good answer until it answers again; nothing of it is removed
//     (KeepLastGood; the catalog keeps it model by model, cardSource);
//   - no removal is sent until every source known in this process has
//     answered at least once (a normalizer starting while a registry is down
//     must not wipe that registry's models; removalsAllowed);
//   - a registry that held models and suddenly answers with none is not
//     believed until it says so EmptyConfirmations syncs in a row
//     (ConfirmEmpty);
//   - a registry that discovery no longer reports is really gone, and its
//     models are removed.
//
// What storage-rest holds is mirrored in storedState (stored.go), so that
// a sync sends only the difference (MakePlan, plan.go).
package pipeline
