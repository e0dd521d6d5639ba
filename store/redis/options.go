package redis

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"slices"

	goredis "github.com/redis/go-redis/v9"
)

// Options says how to reach Redis: the `store.redis_url` and `store.redis`
// keys of lineage's configuration. Set URL or Addrs, not both.
type Options struct {
	// URL is a redis:// or rediss:// URL of one node (go-redis ParseURL
	// syntax, with its query options).
	URL string
	// Addrs are host:port addresses: of the Sentinels when MasterName is
	// set, of Cluster nodes when there are several, of the one node
	// otherwise.
	Addrs []string
	// MasterName is the Sentinel master set; it selects Sentinel failover.
	MasterName string
	// Username and Password authenticate to Redis (not to the Sentinels).
	// With URL they replace the URL's own when set.
	Username, Password string
	// DB is the database number; Cluster only has DB 0. With URL it
	// replaces the URL's own when set.
	DB int
	// TLS connects over TLS 1.2 or later, verifying the server against the
	// system roots. A rediss:// URL implies it.
	TLS bool
}

// Validate reports every problem of o at once. It never quotes Password or
// the URL, which may hold a password.
func (o Options) Validate() error {
	var errs []error
	switch {
	case o.URL == "" && len(o.Addrs) == 0:
		errs = append(errs, errors.New("store: redis: set a URL or addrs"))
	case o.URL != "" && len(o.Addrs) > 0:
		errs = append(errs, errors.New("store: redis: set a URL or addrs, not both"))
	}
	if o.URL != "" && o.MasterName != "" {
		errs = append(errs, errors.New("store: redis: master_name needs addrs (of the Sentinels), not a URL"))
	}
	if slices.Contains(o.Addrs, "") {
		errs = append(errs, errors.New("store: redis: addrs holds an empty address"))
	}
	if o.DB < 0 {
		errs = append(errs, fmt.Errorf("store: redis: db %d is negative", o.DB))
	}
	if o.DB != 0 && o.MasterName == "" && len(o.Addrs) > 1 {
		errs = append(errs, fmt.Errorf("store: redis: db %d: Redis Cluster only has db 0", o.DB))
	}
	return errors.Join(errs...)
}

// NewClient returns a go-redis client for o, to pass to New:
//
//   - URL: one node, from goredis.ParseURL;
//   - Addrs with MasterName: a Sentinel failover client;
//   - several Addrs: a Cluster client;
//   - one Addr: one node.
//
// It does not connect; the first command does.
func NewClient(o Options) (goredis.UniversalClient, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var tlsConfig *tls.Config
	if o.TLS {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if o.URL == "" {
		return goredis.NewUniversalClient(&goredis.UniversalOptions{
			Addrs:      o.Addrs,
			MasterName: o.MasterName,
			Username:   o.Username,
			Password:   o.Password,
			DB:         o.DB,
			TLSConfig:  tlsConfig,
		}), nil
	}

	opts, err := goredis.ParseURL(o.URL)
	if err != nil {
		// A *url.Error quotes the whole URL, password included.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("store: redis: invalid URL: %w", err)
	}
	if o.Username != "" {
		opts.Username = o.Username
	}
	if o.Password != "" {
		opts.Password = o.Password
	}
	if o.DB != 0 {
		opts.DB = o.DB
	}
	if opts.TLSConfig == nil {
		opts.TLSConfig = tlsConfig
	}
	if opts.TLSConfig != nil && opts.TLSConfig.MinVersion < tls.VersionTLS12 {
		opts.TLSConfig.MinVersion = tls.VersionTLS12
	}
	return goredis.NewClient(opts), nil
}
