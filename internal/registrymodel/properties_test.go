package registrymodel_test

import (
	"encoding/json"
	"testing"

	"github.com/kubeflow/model-registry/pkg/openapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/redhat-ai-dev/rhoai-rhdh-connector/internal/registrymodel"
)

// What the generated client encodes is what the registry sends: every
// value type decodes, sorted by key, scalars as text.
func TestPropertiesDecodeWhatTheAPIEncodes(t *testing.T) {
	v := openapi.ModelVersion{Name: "v1", RegisteredModelId: "1", Id: openapi.PtrString("2"),
		Description: openapi.PtrString("d"), State: openapi.MODELVERSIONSTATE_ARCHIVED.Ptr(),
		CreateTimeSinceEpoch: openapi.PtrString("1700000000000"), Author: openapi.PtrString("not kept"),
		CustomProperties: &map[string]openapi.MetadataValue{
			"z":      openapi.MetadataStringValueAsMetadataValue(openapi.NewMetadataStringValue("last", "MetadataStringValue")),
			"label":  openapi.MetadataStringValueAsMetadataValue(openapi.NewMetadataStringValue("", "MetadataStringValue")),
			"int":    openapi.MetadataIntValueAsMetadataValue(openapi.NewMetadataIntValue("-9223372036854775808", "MetadataIntValue")),
			"double": openapi.MetadataDoubleValueAsMetadataValue(openapi.NewMetadataDoubleValue(1e21, "MetadataDoubleValue")),
			"bool":   openapi.MetadataBoolValueAsMetadataValue(openapi.NewMetadataBoolValue(false, "MetadataBoolValue")),
			"struct": openapi.MetadataStructValueAsMetadataValue(openapi.NewMetadataStructValue("e30=", "MetadataStructValue")),
			"proto":  openapi.MetadataProtoValueAsMetadataValue(openapi.NewMetadataProtoValue("t", "AA==", "MetadataProtoValue")),
		}}
	data, err := json.Marshal(v)
	require.NoError(t, err)
	var got registrymodel.ModelVersion
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, registrymodel.ModelVersion{ID: "2", Name: "v1", RegisteredModelID: "1", Description: "d",
		State: registrymodel.StateArchived, CreateTimeSinceEpoch: "1700000000000",
		Properties: registrymodel.Properties{
			{Key: "bool", Value: "false", Type: registrymodel.BoolProperty},
			{Key: "double", Value: "1e+21", Type: registrymodel.DoubleProperty},
			{Key: "int", Value: "-9223372036854775808", Type: registrymodel.IntProperty},
			{Key: "label", Value: "", Type: registrymodel.StringProperty},
			{Key: "proto", Type: registrymodel.ProtoProperty},
			{Key: "struct", Type: registrymodel.StructProperty},
			{Key: "z", Value: "last", Type: registrymodel.StringProperty},
		}}, got)
}

func TestPropertiesDecodeLeniently(t *testing.T) {
	cases := map[string]struct {
		json string
		want registrymodel.Property
	}{
		"no metadataType, a string":  {`{"string_value":"x"}`, registrymodel.Property{Value: "x", Type: registrymodel.StringProperty}},
		"no metadataType, an int":    {`{"int_value":"7"}`, registrymodel.Property{Value: "7", Type: registrymodel.IntProperty}},
		"no metadataType, a double":  {`{"double_value":0.5}`, registrymodel.Property{Value: "0.5", Type: registrymodel.DoubleProperty}},
		"no metadataType, a bool":    {`{"bool_value":true}`, registrymodel.Property{Value: "true", Type: registrymodel.BoolProperty}},
		"no metadataType, a struct":  {`{"struct_value":"e30="}`, registrymodel.Property{Type: registrymodel.StructProperty}},
		"an int sent as a number":    {`{"metadataType":"MetadataIntValue","int_value":12}`, registrymodel.Property{Value: "12", Type: registrymodel.IntProperty}},
		"a type this does not know":  {`{"metadataType":"MetadataListValue","list_value":[1]}`, registrymodel.Property{Type: registrymodel.OtherProperty}},
		"an int that is null":        {`{"metadataType":"MetadataIntValue","int_value":null}`, registrymodel.Property{Type: registrymodel.IntProperty}},
		"nothing at all":             {`{}`, registrymodel.Property{Type: registrymodel.OtherProperty}},
		"a string without its value": {`{"metadataType":"MetadataStringValue"}`, registrymodel.Property{Type: registrymodel.StringProperty}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got registrymodel.RegisteredModel
			require.NoError(t, json.Unmarshal([]byte(`{"name":"m","customProperties":{"k":`+tc.json+`}}`), &got))
			tc.want.Key = "k"
			assert.Equal(t, registrymodel.Properties{tc.want}, got.Properties)
			assert.Equal(t, tc.want.Type <= registrymodel.BoolProperty, got.Properties[0].Type.Scalar())
		})
	}
}

func TestPropertiesRejectWhatIsNotAValue(t *testing.T) {
	for name, doc := range map[string]string{
		"an int that is not one":    `{"k":{"metadataType":"MetadataIntValue","int_value":"1.5"}}`,
		"an int out of range":       `{"k":{"metadataType":"MetadataIntValue","int_value":"9223372036854775808"}}`,
		"a double given as text":    `{"k":{"metadataType":"MetadataDoubleValue","double_value":"x"}}`,
		"properties as a list":      `[{"k":"v"}]`,
		"a value that is no object": `{"k":"v"}`,
	} {
		var got registrymodel.Properties
		err := json.Unmarshal([]byte(doc), &got)
		assert.Error(t, err, name)
	}
	var none registrymodel.RegisteredModel
	require.NoError(t, json.Unmarshal([]byte(`{"name":"m","customProperties":null}`), &none))
	assert.Nil(t, none.Properties, "null is no properties")
	require.NoError(t, json.Unmarshal([]byte(`{"name":"m","customProperties":{}}`), &none))
	assert.Nil(t, none.Properties, "an empty object is no properties")
}

// A value that cannot be read fails the page with the property's name, so
// that the log line says what to fix in the registry.
func TestAnErrorNamesTheProperty(t *testing.T) {
	var got registrymodel.ModelVersion
	err := json.Unmarshal([]byte(`{"name":"v","customProperties":{"Epochs":{"metadataType":"MetadataIntValue","int_value":"many"}}}`), &got)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"Epochs"`)
}
