// Package redistest starts real redis-server processes for tests: one node
// (Start) or a Redis Cluster of several masters (StartCluster), each with
// replicas if asked (StartClusterWithReplicas).
//
// Each server listens on a free 127.0.0.1 port (never 6379) with its data
// directory in t.TempDir(), and is killed in t.Cleanup; on Linux it also
// dies with the test binary (Pdeathsig). Because the test owns the process
// it may Kill and Restart it, to see what a client does while Redis is away.
//
// redis-server and redis-cli must be on PATH; when they are not, Start and
// StartCluster fail the test and say how to install them
// (`apt-get update && apt-get install -y redis-server`, or `make test`).
// They never skip.
//
//	srv := redistest.Start(t)
//	s := redis.New(srv.Client(t))
package redistest
