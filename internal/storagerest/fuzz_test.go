package storagerest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// seeded is a fake store holding a few records, as a fuzz iteration starts.
func seeded() *fakeStore {
	s := newFakeStore()
	for i, k := range []string{"a__v1", "kserve__ns__chat", "mnist__v1"} {
		uri, _ := record.URI(k, record.FileJSON)
		s.recs[k] = record.Record{Body: []byte(mnist), LastUpdateTimeSinceEpoch: record.Epoch(i + 1), LocationTarget: uri}
	}
	return s
}

// state is what a request may change, compared before and after a 4xx.
func (f *fakeStore) state() (map[string]record.Record, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]record.Record, len(f.recs))
	for k, v := range f.recs {
		out[k] = v
	}
	return out, f.writes
}

// checkUnchanged fails unless a refused request left the store as it was.
func checkUnchanged(t *testing.T, what string, s *fakeStore, recs map[string]record.Record, writes int) {
	t.Helper()
	after, w := s.state()
	if w != writes || !reflect.DeepEqual(recs, after) {
		t.Fatalf("%s: refused, yet the store changed (%d writes before, %d after)", what, writes, w)
	}
}

// accepted is a request a handler over a seeded store answered 200.
type accepted struct {
	store  *fakeStore
	h      http.Handler
	before map[string]record.Record // the records before the request
	writes int                      // the store's writes before the request
	what   string                   // "METHOD target", for messages
	w      *httptest.ResponseRecorder
}

// sendSeeded sends a request to a handler over a seeded store. It returns
// nil when there is nothing more to check: the server's own parser would
// refuse the request line, or the handler refused the request with a JSON
// error and left the store as it was (both checked here).
func sendSeeded(t *testing.T, method, target string, body []byte) *accepted {
	t.Helper()
	s := seeded()
	h, _ := newHandler(t, s)
	recs, writes := s.state()
	w, ok := httpcheck.ServeRaw(h, method, target, body, nil)
	if !ok {
		return nil
	}
	what := method + " " + target
	if w.Code != http.StatusOK {
		httpcheck.JSONError(t, what, w)
		checkUnchanged(t, what, s, recs, writes)
		return nil
	}
	return &accepted{store: s, h: h, before: recs, writes: writes, what: what, w: w}
}

func fuzzBodies() [][]byte {
	encMnist := base64.StdEncoding.EncodeToString([]byte(mnist))
	return [][]byte{
		[]byte(recordJSON(mnist, "1234")), []byte(recordJSON(mnist, 0)), []byte(recordJSON(mnist, -1)), []byte(recordJSON("models: []", 1)),
		[]byte(recordJSON(mnist, "9223372036854775807")), []byte(recordJSON(mnist, "9223372036854775808")), []byte(recordJSON(mnist, 1.5)),
		nil, []byte("  "), []byte("{}"), []byte("null"), []byte("[]"), []byte(`{"body":`), []byte(`{"body":"!!"}`),
		[]byte(`{"body":"` + encMnist + `","reconcilerType":"other"}`),
		[]byte(`{"body":"` + encMnist + `","modelCardKey":"a/b","modelCard":"x"}`),
		[]byte(`{"body":"` + encMnist + `","modelCardKey":"card__x","modelCard":"# x","locationTarget":"/evil"}`),
		[]byte(`{"body":"` + encMnist + `"}{}`), []byte("\xff\xfe"), bytes.Repeat([]byte("["), 10000),
	}
}

// FuzzUpsert sends arbitrary keys, types and bodies to POST /upsert: a 4xx
// is JSON and changes nothing; a 2xx is fetched back as stored.
func FuzzUpsert(f *testing.F) {
	for _, key := range []string{"m", "mnist__v1", "a___b", "a/b", "..", "a%2Fb", "", "a&key=b", "%zz", "ünï", "a\x01b", strings.Repeat("a", 254)} {
		for _, body := range fuzzBodies() {
			f.Add(key, "", body)
		}
		for _, typ := range []string{"kserve", "kubeflow", "KServe", "x&type=kserve"} {
			f.Add(key, typ, []byte(recordJSON(mnist, 1)))
		}
	}
	f.Fuzz(func(t *testing.T, key, typ string, body []byte) {
		a := sendSeeded(t, http.MethodPost, "/upsert?key="+key+"&type="+typ, body)
		if a == nil {
			return
		}
		s, h, what, w := a.store, a.h, a.what, a.w
		var res record.UpsertResult
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatalf("%s: result is not JSON: %v", what, err)
		}
		if record.ValidateKey(res.Key) != nil {
			t.Fatalf("%s: accepted the invalid key %q", what, res.Key)
		}
		var sent record.Record
		if err := json.Unmarshal(bytes.TrimSpace(body), &sent); err != nil {
			t.Fatalf("%s: accepted a body that is not a record: %v", what, err)
		}
		stored, ok := s.record(res.Key)
		if !ok || !bytes.Equal(stored.Body, sent.Body) || stored.ModelCard != sent.ModelCard {
			t.Fatalf("%s: stored %+v, sent %+v", what, stored, sent)
		}
		if uri, _ := record.URI(res.Key, record.FileJSON); stored.LocationTarget != uri {
			t.Fatalf("%s: locationTarget %q, want %q", what, stored.LocationTarget, uri)
		}
		if stored.LastUpdateTimeSinceEpoch <= 0 {
			t.Fatalf("%s: stored timestamp %d", what, stored.LastUpdateTimeSinceEpoch)
		}
		g, _ := httpcheck.ServeRaw(h, http.MethodGet, "/fetch?key="+res.Key, nil, nil)
		var fetched record.Record
		if g.Code != http.StatusOK || json.Unmarshal(g.Body.Bytes(), &fetched) != nil || !reflect.DeepEqual(fetched, stored) {
			t.Fatalf("%s: GET /fetch answered %d %s, stored %+v", what, g.Code, g.Body.String(), stored)
		}
	})
}

// FuzzCurrentKeySet sends arbitrary bodies and ?key= forms: a 4xx changes
// nothing; a 2xx removes exactly the keys it names as removed.
func FuzzCurrentKeySet(f *testing.F) {
	for _, q := range []string{"", "key=", "key=a__v1", "key=a__v1,mnist__v1", "key=a__v1&key=mnist__v1", "key=a/b", "key=%zz", "key=,,,", "key=a__v1%2Cmnist__v1", "other=1"} {
		for _, body := range []string{"", "[]", `["a__v1"]`, `["a__v1","kserve__ns__chat","mnist__v1"]`, "null", `{"keys":[]}`, `["a/b"]`, `[1]`, `["a__v1"] x`, "  [ ]  ", `["` + strings.Repeat("a", 300) + `"]`} {
			f.Add(q, []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		target := "/currentkeyset"
		if query != "" {
			target += "?" + query
		}
		a := sendSeeded(t, http.MethodPost, target, body)
		if a == nil {
			return
		}
		s, recs, what, w := a.store, a.before, a.what, a.w
		var res record.RemoveResult
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || res.Removed == nil {
			t.Fatalf("%s: result %q: %v", what, w.Body.String(), err)
		}
		after, _ := s.state()
		for _, k := range res.Removed {
			if _, was := recs[k]; !was {
				t.Fatalf("%s: removed %q, which was not stored", what, k)
			}
			if _, still := after[k]; still {
				t.Fatalf("%s: %q reported removed but still stored", what, k)
			}
		}
		if len(after)+len(res.Removed) != len(recs) {
			t.Fatalf("%s: %d stored, %d removed, %d left", what, len(recs), len(res.Removed), len(after))
		}
		for k, v := range after {
			if !reflect.DeepEqual(recs[k], v) {
				t.Fatalf("%s: kept record %q changed", what, k)
			}
		}
		if !sort.StringsAreSorted(res.Removed) {
			t.Fatalf("%s: removed keys are not sorted: %v", what, res.Removed)
		}
	})
}

// FuzzFetchAndRemove sends arbitrary ?key= values to GET /fetch and DELETE
// /remove.
func FuzzFetchAndRemove(f *testing.F) {
	for _, q := range []string{"key=a__v1", "key=mnist__v1", "key=nope", "key=", "", "key=a__v1&key=a__v1", "key=a/b", "key=..", "key=%2E%2E", "key=a%00", "key=%zz", "key=" + strings.Repeat("a", 10000), "key=ünï"} {
		f.Add(false, q)
		f.Add(true, q)
	}
	f.Fuzz(func(t *testing.T, remove bool, query string) {
		method, target := http.MethodGet, "/fetch?"+query
		if remove {
			method, target = http.MethodDelete, "/remove?"+query
		}
		a := sendSeeded(t, method, target, nil)
		if a == nil {
			return
		}
		s, recs, writes, what, w := a.store, a.before, a.writes, a.what, a.w
		if !remove {
			checkUnchanged(t, what, s, recs, writes)
			var got record.Record
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("%s: not a record: %v", what, err)
			}
			found := false
			for _, r := range recs {
				found = found || reflect.DeepEqual(r, got)
			}
			if !found {
				t.Fatalf("%s: fetched %+v, which is not stored", what, got)
			}
			return
		}
		var res record.RemoveResult
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || res.Removed == nil {
			t.Fatalf("%s: result %q: %v", what, w.Body.String(), err)
		}
		after, _ := s.state()
		if len(after)+len(res.Removed) != len(recs) {
			t.Fatalf("%s: %d stored, %d removed, %d left", what, len(recs), len(res.Removed), len(after))
		}
	})
}
