// Package policy is lineage's AWS-compatible IAM policy language: the
// grammar, a compiled evaluator and a validator. It is pure — no I/O, no
// clock, no package state — so that the issuer can cache compiled policies
// by generation and evaluate them at every token use.
//
// # Grammar
//
// [Parse] reads the JSON policy grammar of AWS IAM ("IAM JSON policy
// reference"): Version "2012-10-17" (or Huawei Cloud's "5.0", whose
// actions are written service::action or service:resource:action and
// whose keys are g:…), Statement as an object or a list, and in each
// statement Sid, Effect, Principal or NotPrincipal, Action or NotAction,
// Resource or NotResource, and Condition. Policies written in YAML reach it
// as canonical JSON with every scalar a string; JSON numbers and booleans
// are accepted where AWS accepts them, in condition values. Documents are
// UTF-8 and bounded ([MaxDocumentSize], [MaxStatements], nesting and value
// counts). [Policy.MarshalJSON] writes a parsed policy back as canonical
// JSON — sorted keys, values as written — which parses to a policy that
// decides alike and marshals to the same bytes.
//
// # Matching
//
// Actions match case-insensitively with * and ? wildcards, and an aliased
// action ([AliasGeneratePkiToken], [AliasValidatePkiToken]) matches a
// statement naming either spelling. Resources match case-sensitively; an
// ARN pattern matches segment by segment, so a * never crosses a colon of
// the first five. Principals are "*", an account (a 12-digit id or
// arn:…:iam::ACCOUNT:root), or an ARN; a role's ARN also matches its
// sessions (arn:…:sts::ACCOUNT:assumed-role/ROLE/*), as on AWS.
//
// Policy variables (${aws:username}, ${lineage:ClientId, 'default'}) are
// substituted in Resource and condition values as literal text: a * or ?
// in the value matches only itself. ${*}, ${?} and ${$} write those
// characters literally. A statement whose variable cannot be resolved (the
// key is missing or multi-valued, and there is no default) does not apply,
// as AWS documents.
//
// # Evaluation
//
// [Evaluate] follows AWS's policy evaluation logic for one account: an
// explicit Deny anywhere wins; org guardrails act as service control
// policies with FullAccess attached; a resource policy (an ActorPolicy, a
// trust policy) that names the caller allows on its own, one that names
// only the account delegates to the identity policies; session policies
// narrow; otherwise the request is implicitly denied. [EvaluateDenyOnly]
// is the rule of lineage's standard OAuth grants: only explicit Deny
// statements apply. Both return a [Decision] naming the deciding policy
// and statement.
//
// # Validation
//
// [Validate] returns [Finding]s — errors, warnings and suggestions, each
// with the JSON path of the value at fault — for a document playing a
// given [Kind] of role; `lineage policy validate` prints them.
package policy
