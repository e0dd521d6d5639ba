// Package web is lineage's HTTP surface on Echo: routes, thin handlers, and
// one error renderer that answers each endpoint in its protocol's shape
// (RFC 6749 §5.2 JSON on OAuth endpoints). It is the only package that
// imports Echo; everything it serves comes from domain packages through the
// small interfaces declared here.
package web
