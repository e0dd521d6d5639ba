// Package login is the hosted login's domain: signing users in with their
// password (argon2id), throttling failures per username and per client IP
// without ever locking an account out, browser login sessions, and the
// consent each user gave each client. State lives in the store, so every
// issuer instance shares it.
package login
