package config

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

type settings struct {
	name    string
	wait    time.Duration
	count   int
	size    int64
	on      bool
	noEnv   string
	flagSet *Flags
}

func declare(getenv func(string) string, out *bytes.Buffer) *settings {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	if out == nil {
		out = &bytes.Buffer{}
	}
	fs.SetOutput(out)
	s := &settings{flagSet: New(fs, getenv)}
	f := s.flagSet
	f.StringVar(&s.name, "name", "NAME", "def", "a name")
	f.DurationVar(&s.wait, "wait", "WAIT", 20*time.Second, "a wait")
	f.IntVar(&s.count, "count", "COUNT", 3, "a count")
	f.Int64Var(&s.size, "size", "SIZE", 1<<20, "a size")
	f.BoolVar(&s.on, "on", "ON", false, "a switch")
	f.StringVar(&s.noEnv, "no-env", "", "x", "no variable")
	return s
}

func TestDefaultsWhenNothingIsSet(t *testing.T) {
	s := declare(env(nil), nil)
	require.NoError(t, s.flagSet.Parse(nil))
	assert.Equal(t, "def", s.name)
	assert.Equal(t, 20*time.Second, s.wait)
	assert.Equal(t, 3, s.count)
	assert.EqualValues(t, 1<<20, s.size)
	assert.False(t, s.on)
	assert.Equal(t, "x", s.noEnv)
}

func TestVariableWinsOverDefault(t *testing.T) {
	s := declare(env(map[string]string{"NAME": "n", "WAIT": "3s", "COUNT": "7", "SIZE": "1000", "ON": "true", "no-env": "ignored"}), nil)
	require.NoError(t, s.flagSet.Parse(nil))
	assert.Equal(t, "n", s.name)
	assert.Equal(t, 3*time.Second, s.wait)
	assert.Equal(t, 7, s.count)
	assert.EqualValues(t, 1000, s.size)
	assert.True(t, s.on)
	assert.Equal(t, "x", s.noEnv, "a flag without a variable reads none")
}

func TestFlagWinsOverVariable(t *testing.T) {
	s := declare(env(map[string]string{"NAME": "n", "WAIT": "3s", "COUNT": "7", "SIZE": "1000", "ON": "true"}), nil)
	require.NoError(t, s.flagSet.Parse([]string{"--name=", "--wait=1m", "--count", "9", "--size=5", "--on=false"}))
	assert.Empty(t, s.name, "an explicitly empty flag wins too")
	assert.Equal(t, time.Minute, s.wait)
	assert.Equal(t, 9, s.count)
	assert.EqualValues(t, 5, s.size)
	assert.False(t, s.on)
	assert.True(t, s.flagSet.OnCommandLine("wait"))
	assert.False(t, s.flagSet.OnCommandLine("no-env"))
}

func TestValuesAreTrimmed(t *testing.T) {
	s := declare(env(map[string]string{"NAME": "  n\n", "WAIT": " 3s ", "COUNT": "\t7", "ON": " 1 "}), nil)
	require.NoError(t, s.flagSet.Parse([]string{"--no-env", " y "}))
	assert.Equal(t, "n", s.name)
	assert.Equal(t, 3*time.Second, s.wait)
	assert.Equal(t, 7, s.count)
	assert.True(t, s.on)
	assert.Equal(t, "y", s.noEnv, "string flags are trimmed too")

	s = declare(env(map[string]string{"NAME": "   ", "WAIT": " "}), nil)
	require.NoError(t, s.flagSet.Parse(nil))
	assert.Equal(t, "def", s.name, "a blank variable is unset")
	assert.Equal(t, 20*time.Second, s.wait)
}

func TestBadVariableIsAnErrorNamingIt(t *testing.T) {
	for name, want := range map[string]string{"WAIT": "Go duration", "COUNT": "whole number", "SIZE": "whole number", "ON": "true or false"} {
		s := declare(env(map[string]string{name: "lots"}), nil)
		err := s.flagSet.Parse(nil)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name+`="lots"`)
		assert.Contains(t, err.Error(), want)
	}
	s := declare(env(map[string]string{"WAIT": "soon", "COUNT": "many"}), nil)
	err := s.flagSet.Parse(nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WAIT", "every bad variable is named")
	assert.Contains(t, err.Error(), "COUNT")
}

func TestBadVariableIsIgnoredWhenTheFlagIsGiven(t *testing.T) {
	s := declare(env(map[string]string{"WAIT": "soon", "ON": "maybe"}), nil)
	require.NoError(t, s.flagSet.Parse([]string{"--wait=2s", "--on"}))
	assert.Equal(t, 2*time.Second, s.wait)
	assert.True(t, s.on)
}

func TestBadFlagAndStrayArguments(t *testing.T) {
	s := declare(env(nil), nil)
	require.Error(t, s.flagSet.Parse([]string{"--wait=soon"}))
	s = declare(env(nil), nil)
	err := s.flagSet.Parse([]string{"serve"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unexpected arguments ["serve"]: test takes flags only`)
}

func TestHelpNamesTheVariables(t *testing.T) {
	var out bytes.Buffer
	s := declare(env(nil), &out)
	err := s.flagSet.Parse([]string{"--help"})
	require.True(t, errors.Is(err, flag.ErrHelp))
	for _, want := range []string{"a name (env NAME)", "a wait (env WAIT) (default 20s)", "-count int", "-wait duration", "a switch (env ON)"} {
		assert.Contains(t, out.String(), want)
	}
	assert.False(t, strings.Contains(out.String(), "no variable (env"), out.String())
	assert.Equal(t, "--wait or WAIT", s.flagSet.Setting("wait"))
	assert.Equal(t, "--no-env", s.flagSet.Setting("no-env"))
}
