// Package shim hands the upstream Terraform random provider to the bridge. It lives under the
// upstream module's path so that it may import the provider's internal package.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	random "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// New returns the upstream provider, unchanged.
func New() provider.Provider { return random.New() }
