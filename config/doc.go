// Package config reads lineage's configuration: one YAML file whose every
// scalar key may be overridden by an environment variable, typed into
// [Config], completed with defaults and checked by one [Config.Validate]
// that reports every problem at once.
//
// Only the composition root (cmd/lineage) imports this package; it
// translates a [Config] into each domain package's own options.
//
// Loading runs in a fixed order (see [Parse]):
//
//  1. the YAML file, where unknown keys are errors;
//  2. defaults for everything the file leaves out ([Default], plus per-item
//     defaults such as a client's grant types);
//  3. environment overrides: LINEAGE_ + the key path in upper case with "_"
//     between segments (store.redis_url → LINEAGE_STORE_REDIS_URL). Names
//     are resolved against the known scalar keys, never split on "_".
//     Lists come from the file only, except LINEAGE_SECRETS_SYSTEM, which
//     sets secrets.system to a one-element list;
//  4. [Config.Validate].
//
// Policies, JSON Web Key Sets and other inline JSON documents are decoded
// from YAML with every scalar kept as its text (Version: 5.0 stays "5.0",
// an account id keeps its leading digits) and stored as canonical JSON; see
// [Document].
//
// Error messages name the key path, the environment variable or the YAML
// line at fault and never contain the value of a secret. [Config.Redacted]
// gives a copy that is safe to log.
package config
