// Package clients is lineage's OAuth 2.0 client registry: the clients from
// the configuration file (read-only) and those created at run time in the
// store, looked up as one, plus generation of client secrets.
package clients
