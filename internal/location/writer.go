package location

import (
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
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if httpserver.IsTooLarge(err) {
			// The same answer as a Content-Length over the cap, and the
			// rest of the body is drained so the client reads it.
			wr.m.upserts.WithLabelValues("rejected").Inc()
			wr.m.errors.WithLabelValues(errBadRequest).Inc()
			httpserver.WriteTooLarge(w, r)
			return
		}
		wr.reject(w, wr.m.upserts, "reading the body of record %q: %v", key, err)
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
	res, err := wr.ix.Upsert(key, rec)
	if err != nil { // the index only refuses invalid records
		wr.reject(w, wr.m.upserts, "%v", err)
		return
	}
	wr.m.upserts.WithLabelValues(string(res.Outcome)).Inc()
	out := WriteResult{Key: key, Status: string(res.Outcome)}
	switch res.Outcome {
	case index.Ignored:
		wr.m.staleWrites.Inc()
		out.Message = fmt.Sprintf("ignored: lastUpdateTimeSinceEpoch %d is older than the %d held", rec.LastUpdateTimeSinceEpoch, res.Held)
		log.Info("ignored a stale write: storage-rest sent an older record than the one held (writes arrived out of order; the periodic reload reconciles)",
			"key", key, "lastUpdateTimeSinceEpoch", int64(rec.LastUpdateTimeSinceEpoch), "held", int64(res.Held))
	case index.Unchanged:
		log.V(1).Info("record unchanged", "key", key)
	default:
		log.Info("record "+string(res.Outcome), "key", key)
	}
	httpserver.WriteJSON(w, http.StatusOK, out)
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
