// Package users is lineage's directory of end users: the users from the
// configuration file (read-only) and those created at run time in the
// store, with argon2id password hashing (RFC 9106).
package users
