package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts the name of every environment override.
const EnvPrefix = "LINEAGE_"

// envKey is a scalar key that an environment variable may override.
type envKey struct {
	path   string // key path in the file: "store.redis.master_name"
	name   string // variable: "LINEAGE_STORE_REDIS_MASTER_NAME"
	index  []int  // field index path from Config
	secret bool   // never quote the value
}

// envKeys lists the overridable keys by walking the yaml tags of Config:
// every scalar outside a list, and the lists tagged env:"single". A key
// added to the structs gets its variable here, with no other change.
func envKeys() []envKey {
	var keys []envKey
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			path := prefix + name
			idx := append(slices.Clone(index), i)
			switch {
			case f.Type == reflect.TypeFor[Duration]():
			case f.Type.Kind() == reflect.Struct:
				walk(f.Type, path+".", idx)
				continue
			case f.Type.Kind() == reflect.Slice:
				if f.Tag.Get("env") != "single" || f.Type.Elem().Kind() != reflect.String {
					continue // lists come from the file
				}
			case f.Type.Kind() == reflect.Pointer:
				continue
			}
			keys = append(keys, envKey{
				path:   path,
				name:   EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_")),
				index:  idx,
				secret: f.Tag.Get("redact") != "",
			})
		}
	}
	walk(reflect.TypeFor[Config](), "", nil)
	return keys
}

// EnvVars returns the environment variables that override scalar keys,
// mapped to the key path each overrides ("LINEAGE_TOKENS_ACCESS_TTL" →
// "tokens.access_ttl").
func EnvVars() map[string]string {
	keys := envKeys()
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k.name] = k.path
	}
	return m
}

// UnknownEnv returns the names in environ (as from os.Environ) that start
// with LINEAGE_ but override no key, so that a misspelt override can be
// reported instead of silently ignored. The caller removes the names it
// uses for other purposes.
func UnknownEnv(environ []string) []string {
	known := EnvVars()
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := known[name]; strings.HasPrefix(name, EnvPrefix) && !ok {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	return slices.Compact(unknown)
}

// applyEnv sets every key whose variable lookupEnv finds.
func applyEnv(cfg *Config, lookupEnv func(string) (string, bool)) []error {
	var problems []error
	root := reflect.ValueOf(cfg).Elem()
	for _, k := range envKeys() {
		raw, ok := lookupEnv(k.name)
		if !ok {
			continue
		}
		if err := setEnv(root.FieldByIndex(k.index), raw); err != nil {
			msg := err.Error()
			if !k.secret {
				msg += ", got " + quote(raw)
			}
			problems = append(problems, &Problem{Key: k.name, Message: msg})
		}
	}
	return problems
}

// setEnv parses raw into v, which is a scalar field or a list tagged
// env:"single". Errors never contain raw.
func setEnv(v reflect.Value, raw string) error {
	if v.Type() == reflect.TypeFor[Duration]() {
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("invalid duration: use Go syntax such as 30s, 15m or 720h")
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("invalid boolean: use true or false")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid integer")
		}
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(raw), v.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid number")
		}
		v.SetFloat(f)
	case reflect.Slice:
		v.Set(reflect.ValueOf([]string{raw}).Convert(v.Type()))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
