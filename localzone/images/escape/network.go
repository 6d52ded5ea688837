package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func networkChecks(cfg config) []Check {
	const cat = "network"
	checks := []Check{
		socketCheck(cat, "raw-socket", "open a raw IP socket (needs CAP_NET_RAW)", unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW),
		socketCheck(cat, "packet-socket", "open a packet socket on every interface (needs CAP_NET_RAW)",
			unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL))),
		socketCheck(cat, "vsock-socket", "open a vsock socket (host and guest communication, not namespaced)",
			unix.AF_VSOCK, unix.SOCK_STREAM, 0),
	}
	checks = append(checks, unixSocketChecks(cfg)...)

	type target struct{ name, addr, about string }
	var targets []target
	for _, ip := range cfg.nodeIPs {
		for _, port := range cfg.nodePorts {
			targets = append(targets, target{
				name:  "node-" + ip + ":" + port,
				addr:  net.JoinHostPort(ip, port),
				about: "the node's " + portName(port),
			})
		}
	}
	targets = append(targets,
		target{"api-service", cfg.apiService, "the API server through the kubernetes Service"},
		target{"cloud-metadata", "169.254.169.254:80", "the cloud metadata service"},
	)
	results := make([]Check, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = connectCheck(cat, t.name, "connect to "+t.about+" at "+t.addr, t.addr, cfg.probeTimeout)
		}()
	}
	wg.Wait()
	return append(checks, results...)
}

func portName(port string) string {
	names := map[string]string{
		"10250": "kubelet API",
		"10255": "kubelet read-only API",
		"10249": "kube-proxy metrics",
		"10256": "kube-proxy health check",
		"12379": "etcd",
		"16443": "API server",
		"16444": "controller manager",
		"16445": "scheduler",
		"12019": "ingress proxy's admin API",
	}
	if n, ok := names[port]; ok {
		return n + " port"
	}
	return "port " + port
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func socketCheck(cat, name, attempt string, domain, typ, proto int) Check {
	fd, err := unix.Socket(domain, typ, proto)
	if err == nil {
		unix.Close(fd)
	}
	return outcome(cat, name, attempt, err, "socket opened")
}

// unixSocketChecks connect to the node's container runtime socket, by the path given and the
// usual ones, directly and through /proc/1/root.
func unixSocketChecks(cfg config) []Check {
	paths := []string{"/run/containerd/containerd.sock", "/var/run/docker.sock", "/run/crio/crio.sock"}
	if cfg.containerdSocket != "" {
		paths = append([]string{cfg.containerdSocket}, paths...)
	}
	var errs []string
	for _, p := range paths {
		for _, prefix := range []string{"", "/proc/1/root"} {
			conn, err := net.DialTimeout("unix", prefix+p, time.Second)
			if err == nil {
				conn.Close()
				return []Check{escaped("network", "containerd-socket",
					"connect to the node's container runtime socket", "connected to "+prefix+p)}
			}
			errs = append(errs, prefix+p+": "+errText(unwrapSyscall(err)))
		}
	}
	return []Check{blocked("network", "containerd-socket", "connect to the node's container runtime socket",
		strings.Join(errs, "; "))}
}

// connectCheck opens a TCP connection: the node's ports are closed to pods (the node guard
// chain), so a connection that opens is an escape whatever would answer on it. What answers
// is recorded: an HTTPS or HTTP status line tells what was reached.
func connectCheck(cat, name, attempt, addr string, timeout time.Duration) Check {
	start := time.Now()
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return blocked(cat, name, attempt, fmt.Sprintf("%s after %dms: %s", classify(err),
			time.Since(start).Milliseconds(), errText(unwrapSyscall(err))))
	}
	conn.Close()
	return escaped(cat, name, attempt, "connected; "+answer(addr, timeout))
}

func classify(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "unreachable"
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return "denied"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	}
	return "failed"
}

func unwrapSyscall(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// answer asks what listens: an HTTPS GET first (kubelet, API server), then plain HTTP.
func answer(addr string, timeout time.Duration) string {
	client := &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, Proxy: nil},
	}
	for _, scheme := range []string{"https", "http"} {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+"/", nil)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
			resp.Body.Close()
			cancel()
			return fmt.Sprintf("%s GET / answered %d: %s", scheme, resp.StatusCode, strings.TrimSpace(string(body)))
		}
		cancel()
	}
	return "no HTTP answer"
}
