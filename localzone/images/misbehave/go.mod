module pluskube.dev/localzone/images/misbehave

go 1.26
