// Package admin is lineage's administration: clients, users and signing
// keys changed at run time, each change recorded in the audit trail (the
// store and the log) with who made it, what, when, and the target before
// and after — never a secret. web's admin listener is its only caller.
package admin
