module pluskube.dev/localzone/images/escape

go 1.26
