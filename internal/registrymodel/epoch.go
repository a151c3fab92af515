package registrymodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Epoch is a registry timestamp, milliseconds since the Unix epoch. The API
// sends it as a string of digits ("1707765353963"); a bare number is taken
// too. 0 means the registry left it out.
type Epoch int64

// UnmarshalJSON reads "123", 123, "" and null.
func (e *Epoch) UnmarshalJSON(data []byte) error {
	text := data
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		text = []byte(s)
	}
	if len(text) == 0 || bytes.Equal(text, []byte("null")) {
		*e = 0
		return nil
	}
	n, err := strconv.ParseInt(string(text), 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %s is not milliseconds since the epoch as an integer", data)
	}
	*e = Epoch(n)
	return nil
}

// MarshalJSON writes the epoch as the API does, a string of digits.
func (e Epoch) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(e), 10) + `"`), nil
}

// LessID orders registry ids: numerically when both are numbers (the
// registry's own ids are), as text otherwise. The registry lists in this
// order when asked for orderBy=ID.
func LessID(a, b string) bool {
	if len(a) != len(b) {
		_, errA := strconv.ParseUint(a, 10, 64)
		_, errB := strconv.ParseUint(b, 10, 64)
		if errA == nil && errB == nil {
			return len(a) < len(b)
		}
	}
	return a < b
}
