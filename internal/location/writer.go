package location

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/location/index"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// WriteResult answers POST /upsert. DELETE /remove answers
// record.RemoveResult, {"removed": [key]} or {"removed": []} when the key
// was absent, as storage-rest's /remove and /currentkeyset do.
type WriteResult struct {
	Key string `json:"key"`
	// Status is created, updated, unchanged or ignored.
	Status string `json:"status"`
	// Message explains an ignored write.
	Message string `json:"message,omitempty"`
}

// Remove outcomes (metric labels).
const (
	statusRemoved = "removed"
	statusAbsent  = "absent"
)

// writer applies the changes storage-rest forwards.
type writer struct {
	ix      *index.Index
	m       *metrics
	log     logr.Logger
	maxBody int64
}

// upsert serves POST /upsert?key=K with a record.Record JSON body.
func (wr *writer) upsert(w http.ResponseWriter, r *http.Request) {
	log := httpserver.Logger(r.Context(), wr.log)
	key, ok := wr.key(w, r, wr.m.upserts)
	if !ok {
		return
	}
	body, ok := wr.body(w, r, fmt.Sprintf("the body of record %q", key))
	if !ok {
		return
	}
	if len(body) == 0 {
		wr.reject(w, wr.m.upserts, "request body is empty: send the record of %q as JSON", key)
		return
	}
	var rec record.Record
	if err := json.Unmarshal(body, &rec); err != nil {
		wr.reject(w, wr.m.upserts, "body of record %q is not a record JSON object: %v", key, err)
		return
	}
	out, err := wr.apply(log, key, &rec)
	if err != nil { // the index only refuses invalid records
		wr.reject(w, wr.m.upserts, "%v", err)
		return
	}
	switch index.Outcome(out.Status) {
	case index.Ignored: // apply logged it
	case index.Unchanged:
		log.V(1).Info("record unchanged", "key", key)
	default:
		log.Info("record "+out.Status, "key", key)
	}
	httpserver.WriteJSON(w, http.StatusOK, out)
}

// apply stores one record in the index and counts it; a stale write is
// logged here, at info for both endpoints: it is rare, and says writes
// arrive out of order. The error is the index's refusal of an invalid
// record, not counted yet.
func (wr *writer) apply(log logr.Logger, key string, rec *record.Record) (WriteResult, error) {
	res, err := wr.ix.Upsert(key, *rec)
	if err != nil {
		return WriteResult{}, err
	}
	return wr.applied(log, key, rec, res), nil
}

// applied counts what the index did with one record, and logs a stale
// write.
func (wr *writer) applied(log logr.Logger, key string, rec *record.Record, res index.UpsertResult) WriteResult {
	wr.m.upserts.WithLabelValues(string(res.Outcome)).Inc()
	out := WriteResult{Key: key, Status: string(res.Outcome)}
	if res.Outcome == index.Ignored {
		wr.m.staleWrites.Inc()
		out.Message = fmt.Sprintf("ignored: lastUpdateTimeSinceEpoch %d is older than the %d held", rec.LastUpdateTimeSinceEpoch, res.Held)
		log.Info("ignored a stale write: storage-rest sent an older record than the one held (writes arrived out of order; the periodic reload reconciles)",
			"key", key, "lastUpdateTimeSinceEpoch", int64(rec.LastUpdateTimeSinceEpoch), "held", int64(res.Held))
	}
	return out
}

// batchRequest is the body of POST /upsertbatch. A record stays raw until
// its item is applied, so that one record that does not decode is refused
// alone, as POST /upsert would refuse it, and not the whole batch.
type batchRequest struct {
	Items []struct {
		Key    string          `json:"key"`
		Record json.RawMessage `json:"record"`
	} `json:"items"`
}

// BatchItemResult is the answer for one item of POST /upsertbatch: Status
// (and Message) as POST /upsert answers them, or Code and Error for a
// refused item, Code being what POST /upsert would have answered for that
// record alone.
type BatchItemResult struct {
	Key     string `json:"key"`
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Code    int    `json:"code,omitempty"`
	Error   string `json:"error,omitempty"`
}

// BatchResult answers POST /upsertbatch, an item's result at its index.
type BatchResult struct {
	Results []BatchItemResult `json:"results"`
}

// upsertBatch serves POST /upsertbatch: the items of
// {"items": [{"key": K, "record": {...}}, ...]} applied in order, each as
// POST /upsert would apply it, and counted as it counts one. storage-rest
// forwards a first publish of thousands of records this way: a request
// and a log line per batch instead of per record. A request that is not a
// batch at all is refused as a whole, as POST /upsert refuses its body.
func (wr *writer) upsertBatch(w http.ResponseWriter, r *http.Request) {
	log := httpserver.Logger(r.Context(), wr.log)
	body, ok := wr.body(w, r, "the request body")
	if !ok {
		return
	}
	const shape = `{"items": [{"key": ..., "record": {...}}, ...]}`
	if len(bytes.TrimSpace(body)) == 0 {
		wr.reject(w, wr.m.upserts, "request body is empty: send the batch as %s", shape)
		return
	}
	var b batchRequest
	if err := json.Unmarshal(body, &b); err != nil {
		wr.reject(w, wr.m.upserts, "request body is not a batch %s: %v", shape, err)
		return
	}
	if b.Items == nil {
		wr.reject(w, wr.m.upserts, "request body has no items: send the batch as %s", shape)
		return
	}
	results := make([]BatchItemResult, len(b.Items))
	counts := map[string]int{}
	var firstRefusal string
	refuse := func(i int, msg string) {
		wr.m.upserts.WithLabelValues("rejected").Inc()
		wr.m.errors.WithLabelValues(errBadRequest).Inc()
		results[i].Code, results[i].Error = http.StatusBadRequest, msg
		counts["rejected"]++
		if firstRefusal == "" {
			firstRefusal = msg
		}
		log.V(1).Info("record rejected", "key", results[i].Key, "reason", msg)
	}
	// Decode and check every item, then apply the good ones together: one
	// new snapshot per batch, not one per record.
	seen := make(map[string]bool, len(b.Items))
	recs := make([]index.KeyedRecord, 0, len(b.Items))
	at := make([]int, 0, len(b.Items))
	for i, it := range b.Items {
		results[i].Key = it.Key
		rec, msg := batchRecord(it.Key, it.Record, seen)
		if msg != "" {
			refuse(i, msg)
			continue
		}
		recs = append(recs, index.KeyedRecord{Key: it.Key, Record: rec})
		at = append(at, i)
	}
	outs, errs := wr.ix.UpsertMany(recs)
	for j, i := range at {
		if errs[j] != nil {
			refuse(i, errs[j].Error())
			continue
		}
		out := wr.applied(log, recs[j].Key, &recs[j].Record, outs[j])
		results[i].Status, results[i].Message = out.Status, out.Message
		counts[out.Status]++
		if out.Status != string(index.Ignored) { // applied logged it
			log.V(1).Info("record "+out.Status, "key", out.Key)
		}
	}
	kv := []any{"items", len(b.Items)}
	for _, s := range []string{string(index.Created), string(index.Updated), string(index.Unchanged), string(index.Ignored), "rejected"} {
		kv = append(kv, s, counts[s])
	}
	if firstRefusal != "" {
		// The one line a batch logs says why, so a refused record is not
		// hidden behind V(1); storage-rest logs each refused key.
		kv = append(kv, "firstRejection", firstRefusal)
	}
	if len(b.Items) > 0 {
		log.Info("applied a batch of records from storage-rest", kv...)
	}
	httpserver.WriteJSON(w, http.StatusOK, BatchResult{Results: results})
}

// batchRecord decodes one item of a batch, or returns why it is refused:
// the checks and messages of POST /upsert (the index checks the record
// itself), and a key twice in one batch (which of its records should win
// is not said).
func batchRecord(key string, raw json.RawMessage, seen map[string]bool) (record.Record, string) {
	var rec record.Record
	if key == "" {
		return rec, "key is required: each item is {\"key\": ..., \"record\": {...}}"
	}
	if err := record.ValidateKey(key); err != nil {
		return rec, err.Error()
	}
	if seen[key] {
		return rec, fmt.Sprintf("key %q appears more than once in the batch", key)
	}
	seen[key] = true
	if len(raw) == 0 {
		return rec, fmt.Sprintf("item %q has no record: send the record of %q as JSON", key, key)
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return rec, fmt.Sprintf("body of record %q is not a record JSON object: %v", key, err)
	}
	return rec, ""
}

// body reads a write's body, or answers 413 for one over --max-body-bytes
// (the rest of it is drained, so the client reads the answer) and 400 for
// a read that failed otherwise, both counted as rejected upserts.
func (wr *writer) body(w http.ResponseWriter, r *http.Request, what string) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		return body, true
	}
	if httpserver.IsTooLarge(err) {
		wr.m.upserts.WithLabelValues("rejected").Inc()
		wr.m.errors.WithLabelValues(errBadRequest).Inc()
		httpserver.WriteTooLarge(w, r)
		return nil, false
	}
	wr.reject(w, wr.m.upserts, "reading %s: %v", what, err)
	return nil, false
}

// remove serves DELETE /remove?key=K (and POST, which older senders use).
func (wr *writer) remove(w http.ResponseWriter, r *http.Request) {
	key, ok := wr.key(w, r, wr.m.removes)
	if !ok {
		return
	}
	// A removal has no body; one sent anyway is read (and ignored) so that
	// the client, which may write it all before reading, gets the answer.
	if _, err := io.Copy(io.Discard, r.Body); httpserver.IsTooLarge(err) {
		wr.m.removes.WithLabelValues("rejected").Inc()
		wr.m.errors.WithLabelValues(errBadRequest).Inc()
		httpserver.WriteTooLarge(w, r)
		return
	}
	removed, err := wr.ix.Remove(key)
	if err != nil {
		wr.reject(w, wr.m.removes, "%v", err)
		return
	}
	res := record.RemoveResult{Removed: []string{}}
	status := statusAbsent
	if removed {
		status = statusRemoved
		res.Removed = append(res.Removed, key)
		httpserver.Logger(r.Context(), wr.log).Info("record removed", "key", key)
	}
	wr.m.removes.WithLabelValues(status).Inc()
	httpserver.WriteJSON(w, http.StatusOK, res)
}

func (wr *writer) key(w http.ResponseWriter, r *http.Request, c *prometheus.CounterVec) (string, bool) {
	key := r.URL.Query().Get("key")
	if key == "" {
		wr.reject(w, c, "query parameter key is required: %s %s?key=<key>", r.Method, r.URL.Path)
		return "", false
	}
	if err := record.ValidateKey(key); err != nil {
		wr.reject(w, c, "%v", err)
		return "", false
	}
	return key, true
}

// reject answers a bad request; nothing was changed.
func (wr *writer) reject(w http.ResponseWriter, c *prometheus.CounterVec, format string, args ...any) {
	c.WithLabelValues("rejected").Inc()
	wr.m.errors.WithLabelValues(errBadRequest).Inc()
	httpserver.WriteError(w, http.StatusBadRequest, format, args...)
}
