package config

import (
	"net/url"
	"reflect"
	"strings"
)

// Redaction replaces a secret in [Config.Redacted].
const Redaction = "<redacted>"

// redactedURLPassword replaces the password of a URL, as url.URL.Redacted
// does.
const redactedURLPassword = "xxxxx"

// Redacted returns a deep copy of c that is safe to log: every field
// tagged redact — secrets.system, http.admin_token, store.redis.password,
// client secrets and secret hashes, user passwords and password hashes,
// access key secrets — holds [Redaction] instead of a non-empty value, and
// the password in store.redis_url is masked.
func (c Config) Redacted() Config {
	return c.mapSecrets(
		func(s string) string {
			if s == "" {
				return ""
			}
			return Redaction
		},
		func(string) string { return redactedURLPassword },
	)
}

// mapSecrets returns a deep copy of c in which secret replaces every
// secret string and urlPassword the password of every URL that may hold
// one. A URL that does not parse, or that has an @ outside its user info,
// is passed whole to secret.
func (c Config) mapSecrets(secret, urlPassword func(string) string) Config {
	m := secretMapper{secret: secret, urlPassword: urlPassword}
	m.value(reflect.ValueOf(&c).Elem())
	return c
}

type secretMapper struct {
	secret, urlPassword func(string) string
}

// value makes v, which holds a shallow copy, share nothing with the
// original, and maps its secrets.
func (m secretMapper) value(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := v.Field(i)
			switch t.Field(i).Tag.Get("redact") {
			case "true":
				m.secrets(f)
			case "url":
				f.SetString(m.url(f.String()))
			default:
				m.value(f)
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(cp, v)
		for i := range cp.Len() {
			m.value(cp.Index(i))
		}
		v.Set(cp)
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		cp := reflect.New(v.Type().Elem())
		cp.Elem().Set(v.Elem())
		m.value(cp.Elem())
		v.Set(cp)
	}
}

// secrets maps a string, or each string of a list.
func (m secretMapper) secrets(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(m.secret(v.String()))
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			cp.Index(i).SetString(m.secret(v.Index(i).String()))
		}
		v.Set(cp)
	}
}

func (m secretMapper) url(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return m.secret(raw)
		}
		return raw
	}
	if u.User == nil {
		if strings.Contains(raw, "@") {
			return m.secret(raw) // user info where url.Parse sees none
		}
		return raw
	}
	if p, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), m.urlPassword(p))
	}
	return u.String()
}
