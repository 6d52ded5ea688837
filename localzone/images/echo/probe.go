package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

// Probe results. A firewall that drops shows as timeout, one that rejects as refused or
// unreachable (depending on the ICMP it answers with), a local rule as denied.
const (
	resultOK          = "ok"
	resultRefused     = "refused"
	resultTimeout     = "timeout"
	resultUnreachable = "unreachable"
	resultDenied      = "denied"
	resultError       = "error"
)

// classify names what a failed connection attempt met.
func classify(err error) string {
	var netErr net.Error
	switch {
	case err == nil:
		return resultOK
	case errors.Is(err, syscall.ECONNREFUSED):
		return resultRefused
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return resultUnreachable
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return resultDenied
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return resultTimeout
	case errors.As(err, &netErr) && netErr.Timeout():
		return resultTimeout
	default:
		return resultError
	}
}

func timeoutParam(q string, fallback time.Duration) time.Duration {
	if d, err := time.ParseDuration(q); err == nil && d > 0 && d <= time.Minute {
		return d
	}
	return fallback
}

// handleProbe tries one connection: TCP connects; UDP sends a datagram (a DNS query on port
// 53, so a resolver answers) and waits for any reply, where an ICMP port-unreachable shows as
// refused and silence as timeout.
func handleProbe(w http.ResponseWriter, r *http.Request) {
	addr, err := required(r, "addr")
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	proto := r.URL.Query().Get("proto")
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "proto must be tcp or udp"})
		return
	}
	timeout := timeoutParam(r.URL.Query().Get("timeout"), 2*time.Second)
	start := time.Now()
	if proto == "tcp" {
		err = probeTCP(addr, timeout)
	} else {
		err = probeUDP(addr, timeout)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"addr":   addr,
		"proto":  proto,
		"result": classify(err),
		"error":  errorText(err),
		"ms":     since(start),
	})
}

func probeTCP(addr string, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	return conn.Close()
}

func probeUDP(addr string, timeout time.Duration) error {
	conn, err := net.DialTimeout("udp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	payload := []byte("probe\n")
	if _, port, _ := net.SplitHostPort(addr); port == "53" {
		payload = dnsQuery()
	}
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := conn.Write(payload); err != nil {
		return err
	}
	buf := make([]byte, 1500)
	_, err = conn.Read(buf)
	return err
}

// dnsQuery is a standard query for the root zone's NS records, which any resolver answers.
func dnsQuery() []byte {
	return []byte{
		0x50, 0x4b, // id
		0x01, 0x00, // recursion desired
		0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // one question
		0x00,       // the root name
		0x00, 0x02, // NS
		0x00, 0x01, // IN
	}
}

// handleDNS resolves a name with the pod's resolver (the Go resolver reads /etc/resolv.conf).
func handleDNS(w http.ResponseWriter, r *http.Request) {
	name, err := required(r, "name")
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeoutParam(r.URL.Query().Get("timeout"), 5*time.Second))
	defer cancel()
	start := time.Now()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	result := resultOK
	if err != nil {
		result = "failed"
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			result = "notfound"
		} else if errors.As(err, &dnsErr) && dnsErr.IsTimeout {
			result = resultTimeout
		}
	}
	if addrs == nil {
		addrs = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name":   name,
		"result": result,
		"addrs":  addrs,
		"error":  errorText(err),
		"ms":     since(start),
	})
}

// handleHTTP makes one GET request and reports its status and the start of the body. `host`
// sets the Host header (and TLS server name), for ingress routing without DNS; `insecure=1`
// skips certificate verification (the image has no CA bundle).
func handleHTTP(w http.ResponseWriter, r *http.Request) {
	target, err := required(r, "url")
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	q := r.URL.Query()
	timeout := timeoutParam(q.Get("timeout"), 5*time.Second)
	host := q.Get("host")
	transport := &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: q.Get("insecure") == "1", ServerName: host},
		DisableKeepAlives: true,
		Proxy:             nil,
	}
	client := &http.Client{
		Timeout:   timeout,
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, target, nil)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if host != "" {
		req.Host = host
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{
			"url": target, "result": classify(err), "error": err.Error(), "ms": since(start),
		})
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	writeJSON(w, http.StatusOK, map[string]any{
		"url":    target,
		"result": resultOK,
		"status": resp.StatusCode,
		"body":   string(body),
		"ms":     since(start),
	})
}
