// Package secrets derives lineage's per-purpose keys from secrets.system and
// seals records at rest.
//
// secrets.system is the one root secret (DESIGN.md "Secrets and keys"). Each
// use gets its own subkey through HKDF-SHA256 (RFC 5869) with a purpose
// label, so a key leaked from one use says nothing of another. The root may
// be a list for rotation: the first root derives the keys that seal and
// sign; every root's keys still open and verify.
package secrets
