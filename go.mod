module github.com/jstrace-go/jstrace

go 1.26.0

require (
	github.com/gobwas/glob v1.1.0
	github.com/hashicorp/yamux v0.1.2
	github.com/rogpeppe/go-internal v1.13.1
	github.com/spf13/cobra v1.10.2
	github.com/traefik/yaegi v0.16.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	golang.org/x/sys v0.21.0 // indirect
	golang.org/x/tools v0.22.0 // indirect
)
