// Command workload is a job that holds IAM credentials: it assumes a role
// through lineage's STS, gets an access token with CreateTokenWithIAM
// (sdk/iamtoken), and calls the protected API with it.
//
//	go run ./examples/workload
//
// Environment: LINEAGE_ISSUER (default http://127.0.0.1:8080), API_URL
// (default http://127.0.0.1:9090/orders), AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (default: the examples/lineage.yaml user worker),
// ROLE_ARN (default arn:aws:iam::111122223333:role/OrdersWorker).
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"golang.org/x/oauth2"

	"github.com/lineage-oss/lineage/sdk/credentials"
	"github.com/lineage-oss/lineage/sdk/iamtoken"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(1)
	}
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	issuer := env("LINEAGE_ISSUER", "http://127.0.0.1:8080")
	role := credentials.AssumeRole(credentials.AssumeRoleOptions{
		Endpoint:    issuer + "/sts/",
		Source:      credentials.Static(env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEWORKER001"), env("AWS_SECRET_ACCESS_KEY", "exampleWorkerSecretKey0123456789abcdefgh")),
		RoleARN:     env("ROLE_ARN", "arn:aws:iam::111122223333:role/OrdersWorker"),
		SessionName: "orders-job",
	})
	tokens, err := iamtoken.New(ctx, iamtoken.Options{Issuer: issuer, Credentials: role, ClientID: "orders-api",
		Scopes: []string{"orders.read"}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env("API_URL", "http://127.0.0.1:9090/orders"), nil)
	if err != nil {
		return err
	}
	resp, err := oauth2.NewClient(ctx, tokens).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the API answered %s: %s", resp.Status, body)
	}
	fmt.Print(string(body))
	return nil
}
