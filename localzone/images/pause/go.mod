module pluskube.dev/localzone/images/pause

go 1.26
