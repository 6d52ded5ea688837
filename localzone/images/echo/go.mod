module pluskube.dev/localzone/images/echo

go 1.26
