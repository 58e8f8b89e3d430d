package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// MaxURLLength bounds a subscription's URL.
const MaxURLLength = 2048

// forbiddenPrefixes are the ranges beyond the netip predicates that are never a
// receiver on the public Internet.
var forbiddenPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // CGNAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: would reach an IPv4 address we did not check
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: embeds an IPv4 address
	netip.MustParsePrefix("2001::/32"),       // Teredo: embeds an IPv4 address
	netip.MustParsePrefix("100::/64"),        // discard-only
}

// errInternalAddress is what the dialer's Control returns for a forbidden address.
var errInternalAddress = errors.New("webhook: refusing to connect to an internal address")

// Allowed reports whether Senim may connect to ip for a URL an organisation or a
// citizen gave it (a webhook receiver, a Web Push endpoint): a public unicast address,
// never a private, link-local, multicast, reserved, documentation or
// IPv4-embedding one. Loopback passes only when allowLoopback (the sandbox).
func Allowed(ip netip.Addr, allowLoopback bool) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.Zone() != "" {
		return false
	}
	if ip.IsLoopback() {
		return allowLoopback
	}
	if ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range forbiddenPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// Resolver looks up a host's addresses; net.DefaultResolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckURL checks a subscription's endpoint: an absolute https URL with a host, no
// user info and no fragment, whose host is an allowed address or a name all of whose
// addresses are allowed. It returns the URL in canonical form.
func CheckURL(ctx context.Context, raw string, res Resolver, allowLoopback bool) (string, error) {
	if len(raw) > MaxURLLength {
		return "", ErrURLInvalid.WithDetail(fmt.Sprintf("url: at most %d bytes", MaxURLLength)).With("field", "url")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "":
		return "", ErrURLInvalid.WithDetail("url: not an absolute URL").With("field", "url")
	case u.Scheme != "https":
		return "", ErrURLInvalid.WithDetail("url: the scheme must be https").With("field", "url")
	case u.User != nil:
		return "", ErrURLInvalid.WithDetail("url: no user name or password in the URL; Senim signs each event instead").With("field", "url")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "", ErrURLInvalid.WithDetail("url: no fragment").With("field", "url")
	case u.Hostname() == "":
		return "", ErrURLInvalid.WithDetail("url: no host").With("field", "url")
	}
	if p := u.Port(); p != "" {
		if n, err := netip.ParseAddrPort("0.0.0.0:" + p); err != nil || n.Port() == 0 {
			return "", ErrURLInvalid.WithDetail("url: not a valid port").With("field", "url")
		}
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !Allowed(ip, allowLoopback) {
			return "", ErrAddressForbidden.WithDetail("url: "+host+" is an internal address").With("field", "url")
		}
		return u.String(), nil
	}
	if res == nil {
		res = net.DefaultResolver
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := res.LookupNetIP(lctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return "", ErrUnresolvable.WithDetail("url: "+host+" does not resolve").With("field", "url").WithCause(err)
	}
	for _, ip := range ips {
		if !Allowed(ip, allowLoopback) {
			return "", ErrAddressForbidden.WithDetail("url: "+host+" resolves to an internal address").With("field", "url")
		}
	}
	return u.String(), nil
}

// control is the dialer's last word on every connection: the address actually dialled
// must be allowed, whatever the name resolved to a moment before.
func control(allowLoopback bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !Allowed(ap.Addr(), allowLoopback) {
			return errInternalAddress
		}
		return nil
	}
}

// NewClient returns the HTTP client deliveries use: the dialer refuses internal
// addresses (control), no proxy, no redirects, TLS 1.2 or newer verified against roots
// (the system's when nil), and an overall timeout.
func NewClient(roots *x509.CertPool, allowLoopback bool, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: 5 * time.Second, Control: control(allowLoopback)}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
