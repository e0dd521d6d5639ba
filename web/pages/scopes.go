package pages

// ScopeLine is one line of the consent page: a requested scope and what it
// lets the client do, in words a user understands.
type ScopeLine struct {
	// Name is the scope value (RFC 6749 §3.3).
	Name string
	// Description says what granting it allows.
	Description string
}

// DescribeScopes returns one consent line per distinct, non-empty scope, in
// request order. The scopes OpenID Connect Core §5.4 and §11 define (openid,
// profile, email, offline_access) get their own text; any other scope gets a
// generic line that names it.
func DescribeScopes(scopes []string) []ScopeLine {
	lines := make([]ScopeLine, 0, len(scopes))
	seen := make(map[string]bool, len(scopes))
	for _, s := range scopes {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		lines = append(lines, ScopeLine{Name: s, Description: describeScope(s)})
	}
	return lines
}

func describeScope(s string) string {
	switch s {
	case "openid":
		return "Sign you in with your account and know who you are"
	case "profile":
		return "See your basic profile: your name and username"
	case "email":
		return "See your email address"
	case "offline_access":
		return "Keep access to your account when you are not using the app"
	default:
		return "Use the permission “" + s + "”"
	}
}
