// Package info maps the Terraform random provider onto the Pulumi package that @pulumi/random
// describes: the same tokens (random:index/randomString:RandomString, ...) and property names,
// so the npm SDK runs unchanged on the bridged provider.
package info

import (
	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Provider describes the bridged provider. metadata is the bridge-metadata.json that schema
// generation writes; schema generation itself starts from none.
func Provider(version string, metadata []byte) tfbridge.ProviderInfo {
	p := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(shim.New()),
		Name:         "random",
		Version:      version,
		Description:  "Random values for Pulumi programs, bridged from the Terraform random provider.",
		License:      "Apache-2.0",
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			// random_bytes has no id attribute; its value names it, as in the upstream package.
			"random_bytes": {ComputeID: tfbridge.DelegateIDField("base64", "random", "pluskube localzone")},
		},
		// The upstream package is built with these; state written by one reads in the other.
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	// random_string -> random:index/randomString:RandomString: every resource keeps the
	// "Random" prefix the SDK's class names carry.
	standard := tokens.MakeStandard("random")
	p.MustComputeTokens(tokens.SingleModule("random_", "index", func(module, name string) (string, error) {
		return standard(module, "Random"+name)
	}))
	return p
}
