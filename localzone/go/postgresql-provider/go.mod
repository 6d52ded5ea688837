module pluskube.dev/localzone/go/postgresql-provider

go 1.26

// To be pinned: github.com/pulumi/pulumi-postgresql/provider/v3 at the 3.18.0 release commit
// b57d264d8aee, with its `github.com/cyrilgdn/terraform-provider-postgresql => ../upstream`
// replace mapped onto the upstream module at commit ff936b9548c1. The module proxy this project
// builds from serves neither commit, so `npm run toolchain` reports the postgresql provider as
// not buildable until they can be required here.
