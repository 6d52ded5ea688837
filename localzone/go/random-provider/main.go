// Command pulumi-resource-random is pluskube's random provider: RandomString and RandomPassword
// under the tokens and property names of the @pulumi/random npm SDK, so that SDK runs against
// it unchanged. The upstream provider module is not tagged, so the Go module proxy the local
// zone builds from does not serve it; this implements the part of it pluskube uses.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// version is set at build time (-X main.version=...) to the @pulumi/random version pinned in
// package.json: the SDK asks the engine for plugin `random` at exactly that version.
var version = "0.0.0-dev"

func main() {
	provider, err := infer.NewProviderBuilder().
		WithDisplayName("random").
		WithDescription("Random strings and passwords, generated once with crypto/rand.").
		WithResources(
			infer.Resource(&RandomString{}),
			infer.Resource(&RandomPassword{}),
		).
		Build()
	if err == nil {
		err = withModuleFormat(provider).Run(context.Background(), "random", version)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// withModuleFormat adds the schema's `meta.moduleFormat`, which tells schema readers that the
// last segment of a module such as `index/randomString` is the resource's file name, not a
// nested module. The SDK's tokens have that shape; without it the schema does not bind.
func withModuleFormat(provider p.Provider) p.Provider {
	getSchema := provider.GetSchema
	provider.GetSchema = func(ctx context.Context, req p.GetSchemaRequest) (p.GetSchemaResponse, error) {
		resp, err := getSchema(ctx, req)
		if err != nil {
			return resp, err
		}
		var schema map[string]any
		if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
			return resp, err
		}
		schema["meta"] = map[string]any{"moduleFormat": "(.*)(?:/[^/]*)"}
		out, err := json.Marshal(schema)
		return p.GetSchemaResponse{Schema: string(out)}, err
	}
	return provider
}
