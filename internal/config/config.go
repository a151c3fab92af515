// Package config declares the binaries' settings: each is a flag with an
// environment variable and a default, declared in one call, read one way.
//
//   - a flag given on the command line wins, and its variable is then not
//     read at all (a bad value in it is no error);
//   - else the variable, when set and not blank, wins over the default;
//   - values are trimmed of surrounding white space (variables always,
//     string flags too), and a blank variable counts as unset;
//   - a variable whose value does not parse is an error that names it.
//
// The help text of each flag ends with "(env NAME)".
package config

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"
)

// Flags declares flags with their variables on a flag.FlagSet.
type Flags struct {
	fs     *flag.FlagSet
	getenv func(string) string
	// env maps a flag's name to its variable, in declaration order.
	env     []binding
	strings []*string
	set     map[string]bool
}

type binding struct{ flag, env, want string }

// New declares on fs, reading variables with getenv (os.Getenv in main, a
// map in tests).
func New(fs *flag.FlagSet, getenv func(string) string) *Flags {
	return &Flags{fs: fs, getenv: getenv}
}

// FlagSet is the flag set the flags are declared on.
func (f *Flags) FlagSet() *flag.FlagSet { return f.fs }

func (f *Flags) bind(name, envName, want, usage string) string {
	if envName == "" {
		return usage
	}
	f.env = append(f.env, binding{flag: name, env: envName, want: want})
	return usage + " (env " + envName + ")"
}

// StringVar declares a string flag set by envName (none when "").
func (f *Flags) StringVar(p *string, name, envName, def, usage string) {
	f.fs.StringVar(p, name, def, f.bind(name, envName, "", usage))
	f.strings = append(f.strings, p)
}

// String declares a string flag set by envName (none when "").
func (f *Flags) String(name, envName, def, usage string) *string {
	p := new(string)
	f.StringVar(p, name, envName, def, usage)
	return p
}

// DurationVar declares a Go duration flag set by envName (none when "").
func (f *Flags) DurationVar(p *time.Duration, name, envName string, def time.Duration, usage string) {
	f.fs.DurationVar(p, name, def, f.bind(name, envName, "use a Go duration such as 30s or 5m", usage))
}

// Duration declares a Go duration flag set by envName (none when "").
func (f *Flags) Duration(name, envName string, def time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	f.DurationVar(p, name, envName, def, usage)
	return p
}

// IntVar declares an int flag set by envName (none when "").
func (f *Flags) IntVar(p *int, name, envName string, def int, usage string) {
	f.fs.IntVar(p, name, def, f.bind(name, envName, "use a whole number", usage))
}

// Int declares an int flag set by envName (none when "").
func (f *Flags) Int(name, envName string, def int, usage string) *int {
	p := new(int)
	f.IntVar(p, name, envName, def, usage)
	return p
}

// Int64Var declares an int64 flag set by envName (none when "").
func (f *Flags) Int64Var(p *int64, name, envName string, def int64, usage string) {
	f.fs.Int64Var(p, name, def, f.bind(name, envName, "use a whole number", usage))
}

// BoolVar declares a boolean flag set by envName (none when ""); the
// variable takes what strconv.ParseBool does (true, false, 1, 0, ...).
func (f *Flags) BoolVar(p *bool, name, envName string, def bool, usage string) {
	f.fs.BoolVar(p, name, def, f.bind(name, envName, "use true or false", usage))
}

// Bool declares a boolean flag set by envName (none when "").
func (f *Flags) Bool(name, envName string, def bool, usage string) *bool {
	p := new(bool)
	f.BoolVar(p, name, envName, def, usage)
	return p
}

// Parse parses args, then sets every flag not given on the command line
// from its variable. It returns flag.ErrHelp for -h/--help, an error for
// arguments that are not flags, and one error naming every bad variable.
func (f *Flags) Parse(args []string) error {
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if f.fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: %s takes flags only (see --help)", f.fs.Args(), f.fs.Name())
	}
	f.set = map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	var errs []error
	for _, b := range f.env {
		if f.set[b.flag] {
			continue
		}
		v := strings.TrimSpace(f.getenv(b.env))
		if v == "" {
			continue
		}
		if err := f.fs.Set(b.flag, v); err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s=%q: %s (%w)", b.env, v, b.want, err))
		}
	}
	for _, p := range f.strings {
		*p = strings.TrimSpace(*p)
	}
	return errors.Join(errs...)
}

// OnCommandLine reports whether the flag name was given on the command
// line (after Parse).
func (f *Flags) OnCommandLine(name string) bool { return f.set[name] }

// Setting names what sets the flag name for an error message:
// "--name or NAME", or "--name" when it has no variable.
func (f *Flags) Setting(name string) string {
	for _, b := range f.env {
		if b.flag == name {
			return "--" + name + " or " + b.env
		}
	}
	return "--" + name
}
