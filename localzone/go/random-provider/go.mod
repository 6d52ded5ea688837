module pluskube.dev/localzone/go/random-provider

go 1.26

// To be pinned: github.com/pulumi/pulumi-random/provider/v4 at the 4.21.1 release commit
// f2d8b029d0f7. The module proxy this project builds from answers 403 to a query by that
// commit and lists no versions of the module, so `npm run toolchain` reports the random
// provider as not buildable until it can be required here.
