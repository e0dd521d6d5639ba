package verify_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/lineage-oss/lineage/sdk/verify"
)

// A resource server that verifies lineage access tokens locally and
// refuses revoked ones within seconds.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := verify.New(ctx, verify.Options{
		Issuer:       "https://id.example.com",
		Audience:     "https://api.example.com",
		ClientID:     "rs",                        // revocation_events: true, introspect: true
		ClientSecret: "<the client secret of rs>", // from a secret store
		// Keep serving on the local copy for up to a minute if the
		// stream drops; FailClosed (the default) introspects instead.
		OnStreamLost: verify.AcceptStale,
		MaxStaleness: time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := verify.ClaimsFrom(r.Context())
		if !claims.HasScope("read") {
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="read"`)
			http.Error(w, "insufficient scope", http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte("hello " + claims.Subject))
	})
	log.Fatal(http.ListenAndServe(":8443", v.Middleware(api)))
}
