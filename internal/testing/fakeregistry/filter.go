package fakeregistry

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// filter is a parsed filterQuery. It is evaluated against an entity's JSON
// object, so it sees exactly the fields a client sees.
type filter interface {
	match(obj map[string]any) bool
}

// standardFields are resolved against the entity's own fields; any other
// property name means a custom property.
var standardFields = map[string]bool{
	"id": true, "name": true, "externalId": true, "description": true, "state": true,
	"createTimeSinceEpoch": true, "lastUpdateTimeSinceEpoch": true, "owner": true,
	"author": true, "registeredModelId": true, "servingEnvironmentId": true,
	"modelVersionId": true, "runtime": true, "desiredState": true, "uri": true,
	"artifactType": true, "modelFormatName": true, "modelFormatVersion": true,
	"storageKey": true, "storagePath": true, "serviceAccountName": true,
	"modelSourceKind": true, "modelSourceClass": true, "modelSourceGroup": true,
	"modelSourceId": true, "modelSourceName": true, "provider": true,
	"license": true, "licenseLink": true, "libraryName": true, "maturity": true,
	"readme": true, "language": true, "tasks": true, "source_id": true, "logo": true,
}

var valueTypes = map[string]bool{"string_value": true, "int_value": true, "double_value": true, "bool_value": true}

type andFilter struct{ l, r filter }

func (f andFilter) match(o map[string]any) bool { return f.l.match(o) && f.r.match(o) }

type orFilter struct{ l, r filter }

func (f orFilter) match(o map[string]any) bool { return f.l.match(o) || f.r.match(o) }

type literal struct {
	kind byte // 's' string, 'n' number, 'b' bool
	s    string
	n    float64
	b    bool
}

type compareFilter struct {
	prop      string
	valueType string // "", or one of valueTypes: forces a custom property
	custom    bool   // backticked: always a custom property
	op        string // = != < <= > >= LIKE ILIKE IN
	vals      []literal
	like      *regexp.Regexp
}

func (f *compareFilter) match(o map[string]any) bool {
	v, ok := f.resolve(o)
	if !ok {
		return false // SQL: a missing value matches nothing, not even !=
	}
	if arr, isArr := v.([]any); isArr {
		for _, e := range arr {
			if f.test(e) {
				return true
			}
		}
		return false
	}
	return f.test(v)
}

func (f *compareFilter) resolve(o map[string]any) (any, bool) {
	if !f.custom && f.valueType == "" && standardFields[f.prop] {
		v, ok := o[f.prop]
		return v, ok && v != nil
	}
	props, _ := o["customProperties"].(map[string]any)
	mv, _ := props[f.prop].(map[string]any)
	if mv == nil {
		return nil, false
	}
	types := []string{"string_value", "int_value", "double_value", "bool_value"}
	if f.valueType != "" {
		types = []string{f.valueType}
	}
	for _, t := range types {
		if v, ok := mv[t]; ok {
			if t == "int_value" {
				if s, isStr := v.(string); isStr {
					n, err := strconv.ParseFloat(s, 64)
					if err != nil {
						return nil, false
					}
					return n, true
				}
			}
			return v, true
		}
	}
	return nil, false
}

func (f *compareFilter) test(v any) bool {
	switch f.op {
	case "LIKE", "ILIKE":
		return f.like.MatchString(fmt.Sprint(v))
	case "IN":
		for _, l := range f.vals {
			if compareValue(v, l) == 0 {
				return true
			}
		}
		return false
	}
	c := compareValue(v, f.vals[0])
	if c == incomparable {
		return false
	}
	switch f.op {
	case "=":
		return c == 0
	case "!=", "<>":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

const incomparable = 2

// compareValue compares a JSON value with a literal the way the literal's
// type asks: numerically for numbers (numeric strings such as ids
// included), as text for strings.
func compareValue(v any, l literal) int {
	switch l.kind {
	case 'n':
		var x float64
		switch t := v.(type) {
		case float64:
			x = t
		case string:
			n, err := strconv.ParseFloat(t, 64)
			if err != nil {
				return incomparable
			}
			x = n
		default:
			return incomparable
		}
		switch {
		case x < l.n:
			return -1
		case x > l.n:
			return 1
		}
		return 0
	case 'b':
		b, ok := v.(bool)
		if !ok {
			s, isStr := v.(string)
			if !isStr {
				return incomparable
			}
			pb, err := strconv.ParseBool(s)
			if err != nil {
				return incomparable
			}
			b = pb
		}
		if b == l.b {
			return 0
		}
		return 1
	}
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case float64:
		s = strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(t)
	default:
		return incomparable
	}
	return strings.Compare(s, l.s)
}

// toFilterObject turns an entity into the JSON object filters look at.
// updatedFilter decides a lone comparison of lastUpdateTimeSinceEpoch
// with a number from the row's own column, without encoding the object:
// the connector polls with one ("lastUpdateTimeSinceEpoch >= N"), and
// encoding 100,000 versions per request would make the fake, not the
// client, what a scale benchmark measures.
func updatedFilter(f filter) (func(updated int64) bool, bool) {
	c, ok := f.(*compareFilter)
	if !ok || c.custom || c.valueType != "" || c.prop != "lastUpdateTimeSinceEpoch" ||
		len(c.vals) != 1 || c.vals[0].kind != 'n' || !slices.Contains([]string{"=", "!=", "<>", "<", "<=", ">", ">="}, c.op) {
		return nil, false
	}
	return func(updated int64) bool { return c.test(float64(updated)) }, true
}

func toFilterObject(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// parseFilter parses a filterQuery; "" means no filter (nil).
func parseFilter(q string) (filter, error) {
	if strings.TrimSpace(q) == "" {
		return nil, nil
	}
	toks, err := lexFilter(q)
	if err != nil {
		return nil, invalidf("filterQuery %q: %v", q, err)
	}
	p := &filterParser{toks: toks}
	f, err := p.parseOr()
	if err == nil && p.pos < len(p.toks) {
		err = fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	if err != nil {
		return nil, invalidf("filterQuery %q: %v (example: name = 'my-model' AND state = 'LIVE')", q, err)
	}
	return f, nil
}

type filterToken struct {
	kind byte // 'w' word, 'p' backticked property, 's' string, 'n' number, 'o' operator, '(' ')' ','
	text string
}

func lexFilter(q string) ([]filterToken, error) {
	var toks []filterToken
	rs := []rune(q)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, filterToken{kind: byte(c), text: string(c)})
			i++
		case c == '=':
			toks = append(toks, filterToken{kind: 'o', text: "="})
			i++
		case c == '!' || c == '<' || c == '>':
			op := string(c)
			if i+1 < len(rs) && (rs[i+1] == '=' || (c == '<' && rs[i+1] == '>')) {
				op += string(rs[i+1])
			}
			if op == "!" {
				return nil, fmt.Errorf("'!' must be followed by '='")
			}
			toks = append(toks, filterToken{kind: 'o', text: op})
			i += len(op)
		case c == '\'' || c == '"':
			var sb strings.Builder
			j := i + 1
			for ; j < len(rs) && rs[j] != c; j++ {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
				}
				sb.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("unterminated string starting at position %d", i)
			}
			toks = append(toks, filterToken{kind: 's', text: sb.String()})
			i = j + 1
		case c == '`':
			j := i + 1
			for j < len(rs) && rs[j] != '`' {
				j++
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("unterminated `quoted` property at position %d", i)
			}
			name := string(rs[i+1 : j])
			i = j + 1
			// `prop`.string_value names the value type of a quoted property.
			if i < len(rs) && rs[i] == '.' {
				k := i + 1
				for k < len(rs) && (unicode.IsLetter(rs[k]) || rs[k] == '_') {
					k++
				}
				name += "\x00" + string(rs[i+1:k])
				i = k
			}
			toks = append(toks, filterToken{kind: 'p', text: name})
		case c == '-' || c == '.' || unicode.IsDigit(c):
			j := i + 1
			for j < len(rs) && (unicode.IsDigit(rs[j]) || strings.ContainsRune(".eE+-", rs[j])) {
				j++
			}
			toks = append(toks, filterToken{kind: 'n', text: string(rs[i:j])})
			i = j
		case unicode.IsLetter(c) || c == '_':
			j := i + 1
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_' || rs[j] == '.' || rs[j] == '-') {
				j++
			}
			toks = append(toks, filterToken{kind: 'w', text: string(rs[i:j])})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at position %d", c, i)
		}
	}
	return toks, nil
}

type filterParser struct {
	toks []filterToken
	pos  int
}

func (p *filterParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == 'w' && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *filterParser) parseOr() (filter, error) {
	l, err := p.parseAnd()
	for err == nil && p.peekWord("OR") {
		p.pos++
		var r filter
		if r, err = p.parseAnd(); err == nil {
			l = orFilter{l, r}
		}
	}
	return l, err
}

func (p *filterParser) parseAnd() (filter, error) {
	l, err := p.parsePrimary()
	for err == nil && p.peekWord("AND") {
		p.pos++
		var r filter
		if r, err = p.parsePrimary(); err == nil {
			l = andFilter{l, r}
		}
	}
	return l, err
}

func (p *filterParser) next() (filterToken, error) {
	if p.pos >= len(p.toks) {
		return filterToken{}, fmt.Errorf("unexpected end of query")
	}
	t := p.toks[p.pos]
	p.pos++
	return t, nil
}

func (p *filterParser) parsePrimary() (filter, error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	if t.kind == '(' {
		f, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c, err := p.next(); err != nil || c.kind != ')' {
			return nil, fmt.Errorf("missing ')'")
		}
		return f, nil
	}
	cf := &compareFilter{}
	switch t.kind {
	case 'p':
		cf.custom = true
		cf.prop, cf.valueType, _ = strings.Cut(t.text, "\x00")
	case 'w':
		cf.prop = t.text
		if i := strings.LastIndexByte(t.text, '.'); i > 0 && valueTypes[t.text[i+1:]] {
			cf.prop, cf.valueType = t.text[:i], t.text[i+1:]
		}
	default:
		return nil, fmt.Errorf("expected a property name, got %q", t.text)
	}
	if cf.valueType != "" && !valueTypes[cf.valueType] {
		return nil, fmt.Errorf("unknown value type %q: use string_value, int_value, double_value or bool_value", cf.valueType)
	}
	op, err := p.next()
	if err != nil {
		return nil, err
	}
	switch {
	case op.kind == 'o':
		cf.op = op.text
	case op.kind == 'w' && (strings.EqualFold(op.text, "LIKE") || strings.EqualFold(op.text, "ILIKE") || strings.EqualFold(op.text, "IN")):
		cf.op = strings.ToUpper(op.text)
	default:
		return nil, fmt.Errorf("expected an operator after %q, got %q", cf.prop, op.text)
	}
	if cf.op == "IN" {
		if t, err := p.next(); err != nil || t.kind != '(' {
			return nil, fmt.Errorf("IN needs a parenthesised list")
		}
		for {
			l, err := p.parseLiteral()
			if err != nil {
				return nil, err
			}
			cf.vals = append(cf.vals, l)
			t, err := p.next()
			if err != nil {
				return nil, err
			}
			if t.kind == ')' {
				break
			}
			if t.kind != ',' {
				return nil, fmt.Errorf("expected ',' or ')' in IN list, got %q", t.text)
			}
		}
		return cf, nil
	}
	l, err := p.parseLiteral()
	if err != nil {
		return nil, err
	}
	cf.vals = []literal{l}
	if cf.op == "LIKE" || cf.op == "ILIKE" {
		if l.kind != 's' {
			return nil, fmt.Errorf("%s needs a string pattern", cf.op)
		}
		cf.like = likePattern(l.s, cf.op == "ILIKE")
	}
	return cf, nil
}

func (p *filterParser) parseLiteral() (literal, error) {
	t, err := p.next()
	if err != nil {
		return literal{}, err
	}
	switch t.kind {
	case 's':
		return literal{kind: 's', s: t.text}, nil
	case 'n':
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return literal{}, fmt.Errorf("%q is not a number", t.text)
		}
		return literal{kind: 'n', n: n}, nil
	case 'w':
		if b, err := strconv.ParseBool(strings.ToLower(t.text)); err == nil && (strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false")) {
			return literal{kind: 'b', b: b}, nil
		}
	}
	return literal{}, fmt.Errorf("expected a value (quoted string, number, true or false), got %q", t.text)
}

// likePattern translates SQL LIKE (% any run, _ one character) to a regexp.
func likePattern(p string, fold bool) *regexp.Regexp {
	var sb strings.Builder
	if fold {
		sb.WriteString("(?is)")
	} else {
		sb.WriteString("(?s)")
	}
	sb.WriteByte('^')
	for _, r := range p {
		switch r {
		case '%':
			sb.WriteString(".*")
		case '_':
			sb.WriteByte('.')
		default:
			sb.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	sb.WriteByte('$')
	return regexp.MustCompile(sb.String())
}
