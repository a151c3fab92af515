package entity

import (
	"bytes"
	"encoding/json"
)

// MarshalLocation renders Location(name, description, targets) as YAML, as
// Marshal would but without its generic encoder: the root Location of a
// large catalog lists thousands of targets and is rendered again after
// every change (about 1 ms for 10,000 targets instead of about 100 ms).
func MarshalLocation(name, description string, targets []string) []byte {
	var b bytes.Buffer
	b.Grow(128 + len(description) + 40*len(targets))
	b.WriteString("apiVersion: " + APIVersion + "\nkind: " + KindLocation + "\nmetadata:\n")
	if description != "" {
		b.WriteString("  description: ")
		writeScalar(&b, description)
		b.WriteByte('\n')
	}
	b.WriteString("  name: ")
	writeScalar(&b, name)
	b.WriteString("\nspec:\n")
	if len(targets) == 0 {
		b.WriteString("  targets: []\n")
	} else {
		b.WriteString("  targets:\n")
		for _, t := range targets {
			b.WriteString("  - ")
			writeScalar(&b, t)
			b.WriteByte('\n')
		}
	}
	b.WriteString("  type: url\n")
	return b.Bytes()
}

// writeScalar writes s as a plain YAML scalar when it is a relative path
// or an entity name (nothing YAML reads as another type or as syntax),
// else as a double-quoted one (a JSON string is a valid one).
func writeScalar(b *bytes.Buffer, s string) {
	if plainSafe(s) {
		b.WriteString(s)
		return
	}
	q, _ := json.Marshal(s) // a string never fails
	b.Write(q)
}

func plainSafe(s string) bool {
	if s == "" || (s[0] != '.' || len(s) <= 1 || s[1] != '/') && !startsWithLetter(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' && c != '.' && c != '/' {
			return false
		}
	}
	switch s { // YAML 1.1 booleans and nulls
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL":
		return false
	}
	return true
}

func startsWithLetter(s string) bool {
	c := s[0]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
