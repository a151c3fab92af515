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
	// dst is the name to change when the claim loses; nil for a record
	// key, which is key's segments.
	dst *string
	key *draft
}

// set gives the claim the name n instead of the one it asked for.
func (c *claim) set(n string) {
	if c.dst != nil {
		*c.dst = n
		return
	}
	c.key.segments = strings.Split(n, record.SegmentSeparator)
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
	keys := make([]claim, 0, len(b.drafts))
	servers := make([]claim, 0, len(b.drafts))
	models := make([]claim, 0, len(b.drafts))
	for _, d := range b.drafts {
		keys = append(keys, claim{identity: d.identity, name: strings.Join(d.segments, record.SegmentSeparator), key: d})
		if v := d.version; v != nil {
			if v.srv != nil {
				servers = append(servers, claim{identity: v.serverIdentity, name: v.serverName, dst: &v.serverName})
			}
			models = append(models, claim{identity: d.identity, suffix: modelSuffix, name: v.modelName, dst: &v.modelName})
		}
		if s := d.server; s != nil {
			servers = append(servers, claim{identity: s.identity, name: s.ms.Name, dst: &s.ms.Name})
		}
		for _, m := range d.models {
			models = append(models, claim{identity: m.identity, name: m.m.Name, dst: &m.m.Name})
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

// disambiguate gives each name to its first claimant by identity and a
// suffixed name to the others, in identity order. Only those are sorted:
// sorting every claim of a 100,000-version build cost more than the rest
// of the naming.
func (b *builder) disambiguate(what string, claims []claim, suffixed func(name, suffix string) string) {
	owner := make(map[string]*claim, len(claims)) // name -> claim holding it
	var losers []*claim
	for i := range claims {
		c := &claims[i]
		held, taken := owner[c.name]
		if !taken {
			owner[c.name] = c
			continue
		}
		if c.before(held) {
			owner[c.name], c = c, held
		}
		losers = append(losers, c)
	}
	sort.SliceStable(losers, func(i, j int) bool { return losers[i].before(losers[j]) })
	for _, c := range losers {
		id := c.id()
		seed := id
		n := suffixed(c.name, shortHash(seed))
		for i := 1; taken(owner, n); i++ {
			seed = fmt.Sprintf("%s#%d", id, i)
			n = suffixed(c.name, shortHash(seed))
		}
		owner[n] = c
		first := owner[c.name]
		c.set(n)
		b.problem(id, what, fmt.Sprintf("%q is also the %s of %s; published as %q. Rename one of them to keep names stable", c.name, what, first.id(), n))
	}
}
