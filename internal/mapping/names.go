package mapping

import (
	"fmt"
	"sort"
	"strings"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/backstage"
	"github.com/redhat-ai-dev/rhoai-rhdh-connector/pkg/record"
)

// claim is one object asking for a name that must be unique in its kind.
// Its identity is identity+suffix, kept apart so that the model of every
// registry version does not need a string of its own (see id).
type claim struct {
	identity, suffix string
	name             string
	set              func(string)
}

// modelSuffix makes a registry draft's identity its model's.
const modelSuffix = " model"

// id is the claim's identity, built only for what is reported.
func (c *claim) id() string { return c.identity + c.suffix }

// before orders claims by identity, as if each were one string.
func (c *claim) before(o *claim) bool {
	a1, a2, b1, b2 := c.identity, c.suffix, o.identity, o.suffix
	for {
		if a1 == "" {
			a1, a2 = a2, ""
		}
		if b1 == "" {
			b1, b2 = b2, ""
		}
		if a1 == "" || b1 == "" {
			return b1 != ""
		}
		n := min(len(a1), len(b1))
		if a1[:n] != b1[:n] {
			return a1[:n] < b1[:n]
		}
		a1, b1 = a1[n:], b1[n:]
	}
}

func taken(owner map[string]*claim, name string) bool {
	_, ok := owner[name]
	return ok
}

// withSuffix appends "-<suffix>" to an entity name, shortening it so the
// result stays a valid entity name.
func withSuffix(name, suffix string) string {
	keep := backstage.MaxNameLength - len(suffix) - 1
	if len(name) > keep {
		name = strings.TrimRight(name[:keep], "-_.")
	}
	if name == "" {
		return suffix
	}
	return name + "-" + suffix
}

// assignNames makes record keys, model server names and model names unique
// across all outputs: the first claimant of a name (by identity) keeps it,
// the others get a suffix hashed from their identity, and each rename is
// reported.
func (b *builder) assignNames() {
	sort.Slice(b.drafts, func(i, j int) bool { return b.drafts[i].identity < b.drafts[j].identity })

	var keys, servers, models []claim
	for _, d := range b.drafts {
		key := strings.Join(d.segments, record.SegmentSeparator)
		keys = append(keys, claim{identity: d.identity, name: key, set: func(k string) {
			d.segments = strings.Split(k, record.SegmentSeparator)
		}})
		if v := d.version; v != nil {
			if v.srv != nil {
				servers = append(servers, claim{identity: v.serverIdentity, name: v.serverName, set: func(n string) { v.serverName = n }})
			}
			models = append(models, claim{identity: d.identity, suffix: modelSuffix, name: v.modelName, set: func(n string) { v.modelName = n }})
		}
		if d.server != nil {
			s := d.server
			servers = append(servers, claim{identity: s.identity, name: s.ms.Name, set: func(n string) { s.ms.Name = n }})
		}
		for _, m := range d.models {
			models = append(models, claim{identity: m.identity, name: m.m.Name, set: func(n string) { m.m.Name = n }})
		}
	}
	b.disambiguate("record key", keys, func(key, suffix string) string {
		segs := strings.Split(key, record.SegmentSeparator)
		segs[len(segs)-1] = withSuffix(segs[len(segs)-1], suffix)
		return strings.Join(segs, record.SegmentSeparator)
	})
	b.disambiguate("model server name", servers, withSuffix)
	b.disambiguate("model name", models, withSuffix)
}

func (b *builder) disambiguate(what string, claims []claim, suffixed func(name, suffix string) string) {
	sort.SliceStable(claims, func(i, j int) bool { return claims[i].before(&claims[j]) })
	owner := make(map[string]*claim, len(claims)) // name -> claim holding it
	var losers []*claim
	for i := range claims {
		c := &claims[i]
		if _, taken := owner[c.name]; taken {
			losers = append(losers, c)
			continue
		}
		owner[c.name] = c
	}
	for _, c := range losers {
		id := c.id()
		seed := id
		n := suffixed(c.name, shortHash(seed))
		for i := 1; taken(owner, n); i++ {
			seed = fmt.Sprintf("%s#%d", id, i)
			n = suffixed(c.name, shortHash(seed))
		}
		owner[n] = c
		c.set(n)
		b.problem(id, what, fmt.Sprintf("%q is also the %s of %s; published as %q. Rename one of them to keep names stable", c.name, what, owner[c.name].id(), n))
	}
}
