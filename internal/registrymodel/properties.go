package registrymodel

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// PropertyType is the kind of value a custom property holds.
type PropertyType uint8

// The registry's metadata value types. Struct and proto values carry no
// text the connector can show, and a type this package does not know (a
// newer registry's) is kept as Other rather than failing the whole list.
const (
	StringProperty PropertyType = iota
	IntProperty
	DoubleProperty
	BoolProperty
	StructProperty
	ProtoProperty
	OtherProperty
)

// Scalar says whether the value reads as text.
func (t PropertyType) Scalar() bool { return t <= BoolProperty }

// Property is one custom property of a registry object.
type Property struct {
	Key string
	// Value is a scalar as text: a string as it is, an int's digits, a
	// double in the shortest form that reads back the same, true or false.
	// It is "" for the other types.
	Value string
	Type  PropertyType
}

// Properties are an object's custom properties, sorted by key. An empty
// string property is a label: that is how the OpenShift AI dashboard
// stores them. The Model Catalog's models carry the same kind of values.
type Properties []Property

// wireValue is a MetadataValue as the registry sends it: a one-of told
// apart by metadataType, each type with its own value field.
type wireValue struct {
	MetadataType string          `json:"metadataType"`
	StringValue  *string         `json:"string_value"`
	IntValue     json.RawMessage `json:"int_value"`
	DoubleValue  *float64        `json:"double_value"`
	BoolValue    *bool           `json:"bool_value"`
	StructValue  *string         `json:"struct_value"`
	ProtoValue   *string         `json:"proto_value"`
}

// UnmarshalJSON reads the customProperties object of a registry object.
// The int value is a string in the API (int64 as text); a bare number is
// taken too.
func (p *Properties) UnmarshalJSON(data []byte) error {
	var wire map[string]wireValue
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	if len(wire) == 0 {
		*p = nil
		return nil
	}
	out := make(Properties, 0, len(wire))
	for k, w := range wire {
		prop, err := w.property(k)
		if err != nil {
			return err
		}
		out = append(out, prop)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	*p = out
	return nil
}

func (w *wireValue) property(key string) (Property, error) {
	p := Property{Key: key, Type: w.valueType()}
	switch p.Type {
	case StringProperty:
		if w.StringValue != nil {
			p.Value = *w.StringValue
		}
	case IntProperty:
		if w.hasInt() {
			v, err := intText(w.IntValue)
			if err != nil {
				return Property{}, fmt.Errorf("custom property %q: int_value %s is not a 64-bit integer", key, w.IntValue)
			}
			p.Value = v
		}
	case DoubleProperty:
		if w.DoubleValue != nil {
			p.Value = strconv.FormatFloat(*w.DoubleValue, 'g', -1, 64)
		}
	case BoolProperty:
		if w.BoolValue != nil {
			p.Value = strconv.FormatBool(*w.BoolValue)
		}
	}
	return p, nil
}

// hasInt says whether int_value was sent (as something other than null).
func (w *wireValue) hasInt() bool {
	return len(w.IntValue) > 0 && string(w.IntValue) != "null"
}

// intText reads an int64 sent as text, as the API has it, or as a number.
func intText(raw json.RawMessage) (string, error) {
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return "", err
		}
	}
	if _, err := strconv.ParseInt(text, 10, 64); err != nil {
		return "", err
	}
	return text, nil
}

// valueType reads metadataType, or without one the value field present.
func (w *wireValue) valueType() PropertyType {
	switch w.MetadataType {
	case "MetadataStringValue":
		return StringProperty
	case "MetadataIntValue":
		return IntProperty
	case "MetadataDoubleValue":
		return DoubleProperty
	case "MetadataBoolValue":
		return BoolProperty
	case "MetadataStructValue":
		return StructProperty
	case "MetadataProtoValue":
		return ProtoProperty
	case "":
	default:
		return OtherProperty
	}
	switch {
	case w.StringValue != nil:
		return StringProperty
	case w.hasInt():
		return IntProperty
	case w.DoubleValue != nil:
		return DoubleProperty
	case w.BoolValue != nil:
		return BoolProperty
	case w.StructValue != nil:
		return StructProperty
	case w.ProtoValue != nil:
		return ProtoProperty
	}
	return OtherProperty
}
