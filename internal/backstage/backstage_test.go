package backstage

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The regular expressions Backstage itself uses; the hand-written validators
// must agree with them.
var (
	nameRE     = regexp.MustCompile(`^[a-zA-Z0-9]+([-_.][a-zA-Z0-9]+)*$`)
	tagRE      = regexp.MustCompile(`^[a-z0-9:+#]+(\-[a-z0-9:+#]+)*$`)
	dnsLabelRE = regexp.MustCompile(`^[a-z0-9]+(?:\-+[a-z0-9]+)*$`)
)

func refName(s string) bool { return len(s) >= 1 && len(s) <= 63 && nameRE.MatchString(s) }
func refTag(s string) bool  { return len(s) >= 1 && len(s) <= 63 && tagRE.MatchString(s) }
func refAnnotationKey(s string) bool {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		return refName(parts[0])
	case 2:
		if len(parts[0]) < 1 || len(parts[0]) > 253 {
			return false
		}
		for _, l := range strings.Split(parts[0], ".") {
			if len(l) < 1 || len(l) > 63 || !dnsLabelRE.MatchString(l) {
				return false
			}
		}
		return refName(parts[1])
	}
	return false
}

func TestValidEntityName(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"mnist", true},
		{"Granite-3.1_8B", true},
		{"v1.2", true},
		{"a", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"-a", false},
		{"a-", false},
		{"a--b", false},
		{"a._b", false},
		{"a b", false},
		{"a/b", false},
		{"café", false},
		{"a\x00b", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, ValidEntityName(c.in), "%q", c.in)
		assert.Equal(t, refName(c.in), ValidEntityName(c.in), "regexp disagrees on %q", c.in)
	}
}

func TestValidTag(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"vllm", true},
		{"c++", true},
		{"c#", true},
		{"a:b", true},
		{"gpu-a100", true},
		{strings.Repeat("x", 63), true},
		{strings.Repeat("x", 64), false},
		{"", false},
		{"vLLM", false},
		{"a_b", false},
		{"a.b", false},
		{"a--b", false},
		{"-a", false},
		{"a-", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, ValidTag(c.in), "%q", c.in)
		assert.Equal(t, refTag(c.in), ValidTag(c.in), "regexp disagrees on %q", c.in)
	}
}

func TestValidAnnotationKey(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"TechDocs", true},
		{"techdocs", true},
		{"rhdh.modelcatalog.io/model-name", true},
		{"rhdh.io/serverType", true},
		{"rhdh.io/api-entity-ref", true},
		{"backstage.io/techdocs-ref", true},
		{"a--b.io/x", true}, // DNS labels may hold several dashes
		{"Rhdh.io/x", false},
		{"rhdh..io/x", false},
		{"/x", false},
		{"rhdh.io/", false},
		{"a/b/c", false},
		{"rhdh.io/model name", false},
		{strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "/x", true},
		{strings.Repeat("a.", 127) + "a/x", false}, // 255-character prefix
		{strings.Repeat("a", 64) + "/x", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, ValidAnnotationKey(c.in), "%q", c.in)
		assert.Equal(t, refAnnotationKey(c.in), ValidAnnotationKey(c.in), "reference disagrees on %q", c.in)
	}
}

func TestValidEntityRef(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"rhdh-rhoai-bridge", true},
		{"user:default/jane", true},
		{"group:ai-team", true},
		{"kube:admin", true},
		{"jane@example.com", true},
		{"default/jane", true},
		{"a/b:c", true}, // a slash before the colon makes the rest the name
		{"", false},
		{" jane", false},
		{"jane ", false},
		{":jane", false},
		{"user:", false},
		{"user:/jane", false},
		{"/jane", false},
		{"user:default/", false},
		{"ja\nne", false},
		{"ja\x00ne", false},
		{"\xff", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, ValidEntityRef(c.in), "%q", c.in)
	}
}

func TestEntityName(t *testing.T) {
	long := strings.Repeat("ab", 40)
	cases := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"mnist", "mnist", true},
		{"Granite 3.1 8B Instruct", "Granite-3.1-8B-Instruct", true},
		{"ibm-granite/granite-3.1", "ibm-granite-granite-3.1", true},
		{"v1.2", "v1.2", true},
		{"a__b", "a-b", true},
		{"a._b", "a-b", true},
		{"a_b", "a_b", true},
		{"--a--", "a", true},
		{"  leading and trailing  ", "leading-and-trailing", true},
		{"café au lait", "caf-au-lait", true},
		{"日本語", "", false},
		{"", "", false},
		{"...", "", false},
		{"\x00\x01a\tb\n", "a-b", true},
		{long, long[:63], true},
		{strings.Repeat("a", 62) + "-b", strings.Repeat("a", 62), true},
		{strings.Repeat("a", 61) + "-bc", strings.Repeat("a", 61) + "-b", true},
	}
	for _, c := range cases {
		got, ok := EntityName(c.in)
		assert.Equal(t, c.wantOK, ok, "%q", c.in)
		assert.Equal(t, c.want, got, "%q", c.in)
		if ok {
			assert.True(t, ValidEntityName(got), "%q -> %q", c.in, got)
		}
	}
}

func TestEntityNameKeepsValidNames(t *testing.T) {
	for _, s := range []string{"mnist", "Granite-3.1_8B", "a.b-c_d", strings.Repeat("z", 63)} {
		got, ok := EntityName(s)
		require.True(t, ok)
		assert.Equal(t, s, got)
	}
}

func TestTag(t *testing.T) {
	cases := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"vllm", "vllm", true},
		{"vLLM", "vllm", true},
		{"Production Ready", "production-ready", true},
		{"GPU_A100", "gpu-a100", true},
		{"c++", "c++", true},
		{"v1.2", "v1-2", true},
		{"--x--", "x", true},
		{"日本語", "", false},
		{"", "", false},
		{"ÉTÉ", "t", true},
		{strings.Repeat("x", 70), strings.Repeat("x", 63), true},
		{strings.Repeat("x", 62) + "-y", strings.Repeat("x", 62), true},
	}
	for _, c := range cases {
		got, ok := Tag(c.in)
		assert.Equal(t, c.wantOK, ok, "%q", c.in)
		assert.Equal(t, c.want, got, "%q", c.in)
		if ok {
			assert.True(t, ValidTag(got), "%q -> %q", c.in, got)
		}
	}
}

func TestAnnotationKey(t *testing.T) {
	cases := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"rhdh.io/owner", "rhdh.io/owner", true},
		{"TechDocs", "TechDocs", true},
		{"Example.COM/Some Key", "example.com/Some-Key", true},
		{"a/b/c", "a-b/c", true},
		{"..io/x", "io/x", true},
		{"!!!/x", "x", true},
		{"rhdh.io/", "", false},
		{"rhdh.io/日本", "", false},
		{"my_domain.io/x", "my-domain.io/x", true},
		{strings.Repeat("a", 70) + ".io/x", strings.Repeat("a", 63) + ".io/x", true},
	}
	for _, c := range cases {
		got, ok := AnnotationKey(c.in)
		assert.Equal(t, c.wantOK, ok, "%q", c.in)
		assert.Equal(t, c.want, got, "%q", c.in)
		if ok {
			assert.True(t, ValidAnnotationKey(got), "%q -> %q", c.in, got)
		}
	}
}

func TestAnnotationKeyLongPrefixStaysWithinLimit(t *testing.T) {
	in := strings.Repeat(strings.Repeat("p", 60)+".", 10) + "io/key"
	got, ok := AnnotationKey(in)
	require.True(t, ok)
	assert.True(t, ValidAnnotationKey(got), "%q", got)
	prefix, _, _ := strings.Cut(got, "/")
	assert.LessOrEqual(t, len(prefix), MaxPrefixLength)
	assert.True(t, strings.HasSuffix(got, "/key"))
}

func TestSanitizersOnHugeInput(t *testing.T) {
	huge := strings.Repeat("é a\x00/", 10000) + "z"
	for name, f := range map[string]func(string) (string, bool){
		"EntityName": EntityName, "Tag": Tag, "AnnotationKey": AnnotationKey,
	} {
		got, ok := f(huge)
		require.True(t, ok, name)
		assert.LessOrEqual(t, len(got), 253+1+63, name)
	}
	n, _ := EntityName(huge)
	assert.True(t, ValidEntityName(n))
	g, _ := Tag(huge)
	assert.True(t, ValidTag(g))
	k, _ := AnnotationKey(huge)
	assert.True(t, ValidAnnotationKey(k), "%q", k)
}
