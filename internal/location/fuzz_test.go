package location

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/httpserver"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/httpcheck"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// fuzzService is a loaded Service and its router, built without I/O.
func fuzzService(t testing.TB, recs staticSource) (*Service, http.Handler) {
	t.Helper()
	s, err := New(Config{Storage: recs, StorageURL: "http://storage.invalid", Log: logr.Discard(), ReloadInterval: -1})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	router := httpserver.NewRouter(httpserver.RouterOptions{Service: "location", Log: logr.Discard(), Ready: s.Ready})
	s.Mount(router)
	if !s.ld.initial(context.Background()) {
		t.Fatal("initial load failed")
	}
	return s, router
}

func fuzzRecords() staticSource {
	card := doc("chat", 2)
	card.ModelCard = "# Chat\n"
	shared := doc("models", 3)
	shared.ModelCardKey = "shared-card"
	shared.ModelCard = "# Shared\n"
	return staticSource{"mnist__v1": doc("mnist", 1), "kserve__ns__chat": card, "models__x": shared}
}

// checkList fails unless every URI /list names maps back to a valid key
// and is served.
func checkList(t *testing.T, h http.Handler) []string {
	t.Helper()
	w, _ := httpcheck.ServeRaw(h, http.MethodGet, "/list", nil, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /list: %d %s", w.Code, w.Body.String())
	}
	var l record.URIList
	if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil || l.URIs == nil {
		t.Fatalf("GET /list: %v: %s", err, w.Body.String())
	}
	for _, u := range l.URIs {
		key, file, err := record.KeyFromURI(u)
		if err != nil || file != record.FileJSON || record.ValidateKey(key) != nil {
			t.Fatalf("listed URI %q does not map back to a valid key: %q %q %v", u, key, file, err)
		}
		for _, seg := range strings.Split(key, record.SegmentSeparator) {
			if !record.ValidSegment(seg) {
				t.Fatalf("listed URI %q has segment %q that is not a Backstage name", u, seg)
			}
		}
		if back, _ := record.URI(key, record.FileJSON); back != u {
			t.Fatalf("listed URI %q maps to key %q, whose URI is %q", u, key, back)
		}
		if g, ok := httpcheck.ServeRaw(h, http.MethodGet, u, nil, nil); !ok || g.Code != http.StatusOK {
			t.Fatalf("listed URI %q is not served", u)
		}
	}
	return l.URIs
}

// FuzzReadPaths sends arbitrary paths, keys and If-None-Match values to the
// read API: every answer is a document, a card, a record's catalog-info
// YAML, the root Location, 304 or a JSON 4xx.
func FuzzReadPaths(f *testing.F) {
	for _, s := range []string{
		"mnist/v1/model-catalog.json", "/mnist/v1/model-catalog.json", "mnist__v1", "kserve__ns__chat",
		"x/model-catalog.json", "models/x/model-catalog.json", "shared-card", "",
		"mnist%2Fv1%2Fmodel-catalog.json", "%2Fmnist%2Fv1%2Fmodel-catalog.json", "..%2F..%2Fetc%2Fpasswd",
		"../../etc/passwd", "mnist/v1/../v1/model-catalog.json", "mnist//v1/model-catalog.json", "//",
		"mnist/v1/catalog-info.yaml", "日本/語/model-catalog.json", "%00", "%zz", "\x7f", "a\x01b",
		"mnist__v1&key=x", "mnist__v1%00", strings.Repeat("a", 10000), strings.Repeat("a/", 5000) + "model-catalog.json",
	} {
		for kind := range uint8(8) {
			f.Add(kind, s, "")
		}
	}
	for _, inm := range []string{"*", `W/"x"`, `"`, `,`, `"a", W/`, "W/", `""`, strings.Repeat(`"x",`, 2000)} {
		f.Add(uint8(0), "mnist/v1/model-catalog.json", inm)
		f.Add(uint8(2), "kserve__ns__chat", inm)
	}
	for _, s := range []string{"catalog-info.yaml", "models/x/catalog-info.yaml", "kserve/ns/chat/catalog-info.yaml", "catalog-info.yaml/"} {
		f.Add(uint8(0), s, "")
		f.Add(uint8(4), s, "")
	}
	recs := fuzzRecords()
	svc, h := fuzzService(f, recs)
	bodies := map[string]bool{}
	snap := svc.ix.Snapshot()
	bodies[string(snap.Location().Body)] = true
	for key, r := range recs {
		bodies[string(r.Body)] = true
		if r.ModelCard != "" {
			bodies[r.ModelCard] = true
		}
		rep, err := snap.DocumentByKey(key).Entities()
		if err != nil {
			f.Fatal(err)
		}
		bodies[string(rep.Body)] = true
	}
	f.Fuzz(func(t *testing.T, kind uint8, s, inm string) {
		method := http.MethodGet
		if kind&4 != 0 {
			method = http.MethodHead
		}
		var target string
		switch kind % 4 {
		case 0:
			target = "/" + s
		case 1:
			target = "/models/" + s
		case 2:
			target = "/modelcard?key=" + s
		default:
			target = "/list"
			checkList(t, h)
		}
		hdr := http.Header{}
		if inm != "" {
			hdr.Set("If-None-Match", inm)
		}
		w, ok := httpcheck.ServeRaw(h, method, target, nil, hdr)
		if !ok {
			return
		}
		what := method + " " + target
		switch w.Code {
		case http.StatusOK:
			if method == http.MethodGet && target != "/list" && !bodies[w.Body.String()] {
				t.Fatalf("%s: 200 with a body that is no stored document or card: %q", what, w.Body.String())
			}
			if method == http.MethodHead && w.Body.Len() != 0 {
				t.Fatalf("%s: HEAD with a body", what)
			}
			if etag := w.Header().Get("ETag"); etag != "" {
				again, _ := httpcheck.ServeRaw(h, method, target, nil, http.Header{"If-None-Match": {etag}})
				if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
					t.Fatalf("%s: If-None-Match %s answered %d", what, etag, again.Code)
				}
			}
		case http.StatusNotModified:
			if inm == "" || w.Body.Len() != 0 {
				t.Fatalf("%s: 304 without If-None-Match or with a body (If-None-Match %q)", what, inm)
			}
		default:
			httpcheck.JSONError(t, what, w)
		}
	})
}

// snapshotOf is what a write may change: the list and every document.
func snapshotOf(t *testing.T, h http.Handler) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, u := range checkList(t, h) {
		w, _ := httpcheck.ServeRaw(h, http.MethodGet, u, nil, nil)
		out[u] = w.Body.String()
	}
	return out
}

// FuzzWrites sends arbitrary keys and bodies to POST /upsert and DELETE
// /remove: a 4xx is JSON and changes nothing; an accepted upsert is served
// back byte for byte, under its key and its URI.
func FuzzWrites(f *testing.F) {
	good := func(rec record.Record) []byte {
		b, _ := json.Marshal(rec)
		return b
	}
	withCard := doc("n", 9)
	withCard.ModelCard = "# n"
	withCard.ModelCardKey = "n-card"
	for _, key := range []string{
		"n__v1", "mnist__v1", "kserve__ns__chat", "a___b", "a/b", "..", "a%2Fb", "a%00", "%zz", "", "a&key=b", "a__v1&key=b",
		"ünï", "a\x01b", "a b", "models__x", strings.Repeat("a", 253), strings.Repeat("a", 254), strings.Repeat("ab__", 2500),
	} {
		for _, body := range [][]byte{
			good(doc("n", 9)), good(doc("mnist", 0)), good(withCard), nil, []byte("{}"), []byte("null"), []byte("[]"),
			[]byte(`{"body":"` + b64("models: []") + `"}`), []byte(`{"body":"` + b64(`{"a":1}`) + `","lastUpdateTimeSinceEpoch":"-5"}`),
			[]byte(`{"body":"` + b64(`{}`) + `","lastUpdateTimeSinceEpoch":"9223372036854775808"}`),
			[]byte(`{"body":"` + b64(`{}`) + `","modelCardKey":"` + strings.Repeat("k", 1100) + `","modelCard":"x"}`),
			[]byte(`{"body":"` + b64(`{}`) + `","modelCardKey":"\udc00","modelCard":"x"}`),
			[]byte(`{"body":"` + b64(` {"x":1}`) + `"}`), []byte(`{"body":"` + b64("  ") + `"}`),
		} {
			f.Add(uint8(0), key, body)
		}
		f.Add(uint8(1), key, []byte(nil))
		f.Add(uint8(2), key, []byte(nil))
	}
	f.Fuzz(func(t *testing.T, op uint8, key string, body []byte) {
		_, h := fuzzService(t, fuzzRecords())
		before := snapshotOf(t, h)
		var method, target string
		switch op % 3 {
		case 0:
			method, target = http.MethodPost, "/upsert?key="+key
		case 1:
			method, target = http.MethodDelete, "/remove?key="+key
		default:
			method, target = http.MethodPost, "/remove?key="+key
		}
		w, ok := httpcheck.ServeRaw(h, method, target, body, nil)
		if !ok {
			return
		}
		what := method + " " + target
		if w.Code != http.StatusOK {
			httpcheck.JSONError(t, what, w)
			after := snapshotOf(t, h)
			if len(after) != len(before) {
				t.Fatalf("%s: %d answered, yet %d documents became %d", what, w.Code, len(before), len(after))
			}
			for u, b := range before {
				if after[u] != b {
					t.Fatalf("%s: %d answered, yet %s changed", what, w.Code, u)
				}
			}
			return
		}
		if !strings.HasPrefix(target, "/upsert") {
			var rr record.RemoveResult
			if err := json.Unmarshal(w.Body.Bytes(), &rr); err != nil || rr.Removed == nil || len(rr.Removed) > 1 {
				t.Fatalf("%s: result %q is not {\"removed\": [at most one key]}: %v", what, w.Body.String(), err)
			}
			u, err := url.Parse(target)
			if err != nil {
				t.Fatalf("%s: answered 200 to an unparsable target: %v", what, err)
			}
			key := u.Query().Get("key")
			if record.ValidateKey(key) != nil {
				t.Fatalf("%s: accepted the invalid key %q", what, key)
			}
			uri, _ := record.URI(key, record.FileJSON)
			after := snapshotOf(t, h)
			if _, ok := after[uri]; ok {
				t.Fatalf("%s: %s is still listed", what, uri)
			}
			if _, had := before[uri]; had != (len(rr.Removed) == 1) {
				t.Fatalf("%s: answered %s, but listed before: %v", what, w.Body.String(), had)
			}
			return
		}
		var res WriteResult
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatalf("%s: result is not JSON: %v", what, err)
		}
		if err := record.ValidateKey(res.Key); err != nil {
			t.Fatalf("%s: accepted the invalid key %q", what, res.Key)
		}
		uri, _ := record.URI(res.Key, record.FileJSON)
		after := snapshotOf(t, h)
		switch res.Status {
		case "created", "updated", "unchanged":
			var rec record.Record
			if err := json.Unmarshal(body, &rec); err != nil {
				t.Fatalf("%s: accepted a body that is not a record: %v", what, err)
			}
			if after[uri] != string(rec.Body) {
				t.Fatalf("%s: %s serves %q, want %q", what, uri, after[uri], rec.Body)
			}
			byKey, _ := httpcheck.ServeRaw(h, http.MethodGet, "/models/"+res.Key, nil, nil)
			if byKey.Code != http.StatusOK || byKey.Body.String() != string(rec.Body) {
				t.Fatalf("%s: /models/%s answered %d %q", what, res.Key, byKey.Code, byKey.Body.String())
			}
			if rec.ModelCard != "" {
				c, ok := httpcheck.ServeRaw(h, http.MethodGet, "/modelcard?key="+url.QueryEscape(rec.CardKey(res.Key)), nil, nil)
				if ok && (c.Code != http.StatusOK || c.Body.String() != rec.ModelCard) {
					t.Fatalf("%s: model card %q answered %d %q, want %q", what, rec.CardKey(res.Key), c.Code, c.Body.String(), rec.ModelCard)
				}
			}
		case "ignored":
			if after[uri] != before[uri] {
				t.Fatalf("%s: an ignored write changed %s", what, uri)
			}
		default:
			t.Fatalf("%s: unexpected status %q", what, res.Status)
		}
	})
}
