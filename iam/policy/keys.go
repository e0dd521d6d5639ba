package policy

import "strings"

// Actions lineage authorizes (DESIGN.md "IAM model"). Action names compare
// case-insensitively, as AWS compares them.
const (
	// ActionCreateToken is the standard OAuth grants (/authorize, /token)
	// and, for Huawei-style policies, iamToken::generatePkiToken.
	ActionCreateToken = "sso-oauth:CreateToken"
	// ActionCreateTokenWithIAM is POST /token?aws_iam=t, as IAM Identity
	// Center's CreateTokenWithIAM.
	ActionCreateTokenWithIAM = "sso-oauth:CreateTokenWithIAM"
	// ActionIntrospectTokenWithIAM is POST /introspect?aws_iam=t and, for
	// Huawei-style policies, iamToken::validatePkiToken.
	ActionIntrospectTokenWithIAM = "sso-oauth:IntrospectTokenWithIAM"
	// ActionRevokeTokenWithIAM is POST /revoke?aws_iam=t.
	ActionRevokeTokenWithIAM = "sso-oauth:RevokeTokenWithIAM"
	// ActionAssumeRole is STS AssumeRole.
	ActionAssumeRole = "sts:AssumeRole"
	// ActionGetCallerIdentity is STS GetCallerIdentity.
	ActionGetCallerIdentity = "sts:GetCallerIdentity"

	// AliasGeneratePkiToken is the Huawei-style name of ActionCreateToken:
	// a statement naming either spelling matches a request for either.
	AliasGeneratePkiToken = "iamToken::generatePkiToken"
	// AliasValidatePkiToken is the Huawei-style name of
	// ActionIntrospectTokenWithIAM.
	AliasValidatePkiToken = "iamToken::validatePkiToken"
)

// Condition keys lineage puts in a request context (DESIGN.md "IAM
// model"). Key names compare case-insensitively, as AWS documents for
// context key names; these are the canonical spellings that Evaluate looks
// up first in Request.Context.
const (
	// KeyPrincipalArn is the caller's ARN; for a role session, the role's
	// ARN (AWS global key aws:PrincipalArn). Taken from Principal.
	KeyPrincipalArn = "aws:PrincipalArn"
	// KeyUserID is AIDA… for a user, AROA…:session for a role session
	// (aws:userid). Taken from Principal.UserID.
	KeyUserID = "aws:userid"
	// KeyUsername is an IAM user's friendly name, absent for role sessions
	// (aws:username). Taken from Principal.Username.
	KeyUsername = "aws:username"
	// KeyPrincipalAccount is the caller's account (aws:PrincipalAccount).
	// Taken from Principal.Account or the account field of Principal.ARN.
	KeyPrincipalAccount = "aws:PrincipalAccount"
	// KeyTokenIssueTime is when the temporary credentials used were issued
	// (aws:TokenIssueTime); present only for sessions.
	KeyTokenIssueTime = "aws:TokenIssueTime"
	// KeyCurrentTime is the request time in ISO 8601 (aws:CurrentTime).
	// Taken from Request.Time.
	KeyCurrentTime = "aws:CurrentTime"
	// KeyEpochTime is the request time in Unix seconds (aws:EpochTime).
	// Taken from Request.Time.
	KeyEpochTime = "aws:EpochTime"
	// KeySourceIP is the caller's IP address (aws:SourceIp).
	KeySourceIP = "aws:SourceIp"
	// KeySecureTransport is "true" when the request came over TLS
	// (aws:SecureTransport).
	KeySecureTransport = "aws:SecureTransport"
	// KeyClientID is the OAuth client id.
	KeyClientID = "lineage:ClientId"
	// KeyGrantType is the OAuth grant type.
	KeyGrantType = "lineage:GrantType"
	// KeyScope is the requested scopes; multi-valued (use ForAllValues: or
	// ForAnyValue:).
	KeyScope = "lineage:Scope"
	// KeyLineageUsername is the lineage user's name (not an IAM user).
	KeyLineageUsername = "lineage:Username"
	// KeySubject is the token's subject.
	KeySubject = "lineage:Subject"

	// Huawei-style aliases: each reads the same value as its AWS key.

	// KeyDomainID is an alias of KeyPrincipalAccount.
	KeyDomainID = "g:DomainId"
	// KeyHuaweiUserID is an alias of KeyUserID.
	KeyHuaweiUserID = "g:UserId"
	// KeyHuaweiUserName is an alias of KeyUsername.
	KeyHuaweiUserName = "g:UserName"
	// KeyPrincipalUrn is an alias of KeyPrincipalArn.
	KeyPrincipalUrn = "g:PrincipalUrn"
)

// keyID names a known condition key; aliases share their key's id.
type keyID uint8

const (
	keyOther keyID = iota // a key outside the known prefixes, looked up by name
	keyPrincipalArn
	keyUserID
	keyUsername
	keyPrincipalAccount
	keyTokenIssueTime
	keyCurrentTime
	keyEpochTime
	keySourceIP
	keySecureTransport
	keyClientID
	keyGrantType
	keyScope
	keyLineageUsername
	keySubject
)

// keyType is the kind of value a known key holds, for the validator's
// operator checks.
type keyType uint8

const (
	typeAny keyType = iota
	typeString
	typeARN
	typeDate
	typeEpoch // date or number
	typeIP
	typeBool
)

// keyRef is a condition key or policy variable as compiled: canonical is
// the name looked up in Request.Context.
type keyRef struct {
	id        keyID
	canonical string
	typ       keyType
	multi     bool
}

// knownKey resolves a key name of the known prefixes (aws:, lineage:, g:),
// case-insensitively.
func knownKey(name string) (keyRef, bool) {
	switch strings.ToLower(name) {
	case "aws:principalarn", "g:principalurn":
		return keyRef{keyPrincipalArn, KeyPrincipalArn, typeARN, false}, true
	case "aws:userid", "g:userid":
		return keyRef{keyUserID, KeyUserID, typeString, false}, true
	case "aws:username", "g:username":
		return keyRef{keyUsername, KeyUsername, typeString, false}, true
	case "aws:principalaccount", "g:domainid":
		return keyRef{keyPrincipalAccount, KeyPrincipalAccount, typeString, false}, true
	case "aws:tokenissuetime":
		return keyRef{keyTokenIssueTime, KeyTokenIssueTime, typeDate, false}, true
	case "aws:currenttime":
		return keyRef{keyCurrentTime, KeyCurrentTime, typeDate, false}, true
	case "aws:epochtime":
		return keyRef{keyEpochTime, KeyEpochTime, typeEpoch, false}, true
	case "aws:sourceip":
		return keyRef{keySourceIP, KeySourceIP, typeIP, false}, true
	case "aws:securetransport":
		return keyRef{keySecureTransport, KeySecureTransport, typeBool, false}, true
	case "lineage:clientid":
		return keyRef{keyClientID, KeyClientID, typeString, false}, true
	case "lineage:granttype":
		return keyRef{keyGrantType, KeyGrantType, typeString, false}, true
	case "lineage:scope":
		return keyRef{keyScope, KeyScope, typeString, true}, true
	case "lineage:username":
		return keyRef{keyLineageUsername, KeyLineageUsername, typeString, false}, true
	case "lineage:subject":
		return keyRef{keySubject, KeySubject, typeString, false}, true
	}
	return keyRef{}, false
}

// hasKnownPrefix reports whether a key belongs to a namespace whose every
// key lineage knows, so that an unknown name there is a mistake.
func hasKnownPrefix(name string) bool {
	for _, p := range [...]string{"aws:", "lineage:", "g:"} {
		if len(name) >= len(p) && strings.EqualFold(name[:len(p)], p) {
			return true
		}
	}
	return false
}

// resolveKey compiles a key name. ok is false for an unknown key of a known
// prefix.
func resolveKey(name string) (keyRef, bool) {
	if k, ok := knownKey(name); ok {
		return k, true
	}
	return keyRef{id: keyOther, canonical: name}, !hasKnownPrefix(name)
}

// knownActions lists every action lineage authorizes, aliases included.
func knownActions() []string {
	return []string{
		ActionCreateToken, ActionCreateTokenWithIAM, ActionIntrospectTokenWithIAM,
		ActionRevokeTokenWithIAM, ActionAssumeRole, ActionGetCallerIdentity,
		AliasGeneratePkiToken, AliasValidatePkiToken,
	}
}

// knownService reports whether lineage knows every action of a service
// prefix, so that an unknown action name there is a mistake.
func knownService(service string) bool {
	return strings.EqualFold(service, "sso-oauth") || strings.EqualFold(service, "sts") ||
		strings.EqualFold(service, "iamToken")
}

// actionAlias returns the other spelling of an aliased action, or "".
func actionAlias(action string) string {
	switch {
	case strings.EqualFold(action, ActionCreateToken):
		return AliasGeneratePkiToken
	case strings.EqualFold(action, AliasGeneratePkiToken):
		return ActionCreateToken
	case strings.EqualFold(action, ActionIntrospectTokenWithIAM):
		return AliasValidatePkiToken
	case strings.EqualFold(action, AliasValidatePkiToken):
		return ActionIntrospectTokenWithIAM
	}
	return ""
}
