package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/testing/testenv"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/modelcatalog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A small interpreter of exactly the JSON Schema keywords
// model-catalog.schema.json uses: $ref into (nested) $defs, type, required,
// properties, additionalProperties, enum, items and anyOf. It reads the
// schema file itself so that a change upstream shows up here.

var (
	schemaOnce sync.Once
	schemaRoot map[string]any
	schemaErr  error
)

func loadSchema(t testing.TB) map[string]any {
	t.Helper()
	dir := testenv.SpecsDir(t, "model-catalog.schema.json")
	schemaOnce.Do(func() {
		data, err := os.ReadFile(filepath.Join(dir, "model-catalog.schema.json"))
		if err != nil {
			schemaErr = err
			return
		}
		schemaErr = json.Unmarshal(data, &schemaRoot)
	})
	require.NoError(t, schemaErr)
	return schemaRoot
}

// checkSchema fails the test when doc (JSON) does not validate.
func checkSchema(t testing.TB, doc []byte) {
	t.Helper()
	errs := schemaErrors(t, doc)
	require.Empty(t, errs, "document does not validate against model-catalog.schema.json: %s", doc)
}

func schemaErrors(t testing.TB, doc []byte) []string {
	t.Helper()
	root := loadSchema(t)
	var v any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&v))
	var errs []string
	validateNode(root, nil, v, "$", &errs)
	return errs
}

func defsOf(node map[string]any) map[string]any {
	d, _ := node["$defs"].(map[string]any)
	return d
}

func validateNode(node map[string]any, scopes []map[string]any, v any, path string, errs *[]string) {
	if d := defsOf(node); d != nil {
		scopes = append(scopes, d)
	}
	fail := func(format string, args ...any) {
		*errs = append(*errs, path+": "+fmt.Sprintf(format, args...))
	}
	if ref, ok := node["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		var target map[string]any
		for i := len(scopes) - 1; i >= 0 && target == nil; i-- {
			target, _ = scopes[i][name].(map[string]any)
		}
		if target == nil {
			fail("unresolvable $ref %q", ref)
			return
		}
		validateNode(target, scopes, v, path, errs)
	}
	if typ, ok := node["type"].(string); ok {
		okType := false
		switch typ {
		case "object":
			_, okType = v.(map[string]any)
		case "array":
			_, okType = v.([]any)
		case "string":
			_, okType = v.(string)
		case "boolean":
			_, okType = v.(bool)
		case "number":
			_, okType = v.(json.Number)
		default:
			fail("schema type %q not supported by the test validator", typ)
			return
		}
		if !okType {
			fail("is not of type %s", typ)
			return
		}
	}
	if enum, ok := node["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if e == v {
				found = true
			}
		}
		if !found {
			fail("value %v is not in enum %v", v, enum)
		}
	}
	if anyOf, ok := node["anyOf"].([]any); ok {
		matched := false
		for _, alt := range anyOf {
			var sub []string
			validateNode(alt.(map[string]any), scopes, v, path, &sub)
			if len(sub) == 0 {
				matched = true
				break
			}
		}
		if !matched {
			fail("matches none of anyOf")
		}
	}
	if obj, ok := v.(map[string]any); ok {
		if req, ok := node["required"].([]any); ok {
			for _, r := range req {
				if _, present := obj[r.(string)]; !present {
					fail("required property %q is missing", r)
				}
			}
		}
		propsNode, _ := node["properties"].(map[string]any)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := propsNode[k].(map[string]any); ok {
				validateNode(ps, scopes, obj[k], path+"."+k, errs)
				continue
			}
			switch ap := node["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("additional property %q is not allowed", k)
				}
			case map[string]any:
				validateNode(ap, scopes, obj[k], path+"."+k, errs)
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if items, ok := node["items"].(map[string]any); ok {
			for i, it := range arr {
				validateNode(items, scopes, it, fmt.Sprintf("%s[%d]", path, i), errs)
			}
		}
	}
}

func TestSchemaValidatorRejectsViolations(t *testing.T) {
	cases := map[string]string{
		"missing models":        `{}`,
		"model missing owner":   `{"models":[{"name":"a","lifecycle":"x","description":"d"}]}`,
		"bad API type":          `{"modelServer":{"name":"s","owner":"o","lifecycle":"l","description":"d","API":{"url":"u","type":"soap","spec":"s"}},"models":[]}`,
		"API without spec":      `{"modelServer":{"name":"s","owner":"o","lifecycle":"l","description":"d","API":{"url":"u","type":"openapi"}},"models":[]}`,
		"extra top-level":       `{"models":[],"extra":1}`,
		"extra model property":  `{"models":[{"name":"a","owner":"o","lifecycle":"x","description":"d","color":"red"}]}`,
		"annotation not string": `{"models":[{"name":"a","owner":"o","lifecycle":"x","description":"d","annotations":{"k":1}}]}`,
		"authentication string": `{"modelServer":{"name":"s","owner":"o","lifecycle":"l","description":"d","authentication":"yes"},"models":[]}`,
		"tags not array":        `{"models":[{"name":"a","owner":"o","lifecycle":"x","description":"d","tags":"t"}]}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			assert.NotEmpty(t, schemaErrors(t, []byte(doc)))
		})
	}
	assert.Empty(t, schemaErrors(t, []byte(`{"models":[{"name":"a","owner":"o","lifecycle":"x","description":"d"}]}`)))
}

// The upstream examples decode into modelcatalog.Document and re-encode
// without losing or adding anything.
func TestExamplesRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.SpecsDir(t, "model-catalog.schema.json"), "model-catalog-example-*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			checkSchema(t, data)

			var doc modelcatalog.Document
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(&doc))
			out, err := json.Marshal(doc)
			require.NoError(t, err)

			var want, got any
			require.NoError(t, json.Unmarshal(data, &want))
			require.NoError(t, json.Unmarshal(out, &got))
			assert.Equal(t, want, got)
		})
	}
}
