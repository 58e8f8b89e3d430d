// Command documents runs the digital-documents journey (issue 13) end to end against a
// running sandbox (`senim serve --sandbox`) and exits non-zero on any failure:
//
//  1. a demo citizen logs in to the cabinet (password and the SMS code read from the
//     sandbox outbox) and opens access to her identity card; the page shows the QR
//     code and the short code once;
//  2. the demo bank's information system, signing its requests with its sandbox EDS
//     key, redeems the short code through the API and receives the document as JSON
//     with the signed "digital information" record (rule DD-7);
//  3. the bank downloads the record with its audit-log evidence, as
//     `senim docs verify` checks it offline, and saves it to a file.
//
// Usage:
//
//	go run ./examples/documents -url http://localhost:8080 [-out info.json]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/senimkz/senim/client"
)

type population struct {
	Citizens []struct {
		IIN, Name, Password, Phone string
	} `json:"citizens"`
	Organizations []struct {
		BIN  string `json:"bin"`
		Role string `json:"role"`
		Keys []struct {
			Algorithm, URL, Password string
		} `json:"keys"`
	} `json:"organizations"`
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("documents", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", envOr("SENIM_URL", "http://localhost:8080"), "the sandbox's base URL")
	out := fs.String("out", "", "save the digital information bundle to this file")
	timeout := fs.Duration("timeout", time.Minute, "overall time limit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := journey(ctx, strings.TrimRight(*base, "/"), *out, stdout); err != nil {
		fmt.Fprintf(stderr, "FAIL: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "OK: the bank received the document and its signed record")
	return 0
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

var (
	csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	codeRE = regexp.MustCompile(`id="short-code">([A-Z0-9 ]+)<`)
	smsRE  = regexp.MustCompile(`\b(\d{6})\b`)
)

// cabinet is the citizen's browser: a cookie jar and the pages' anti-forgery tokens.
type cabinet struct {
	base string
	http *http.Client
}

func (c *cabinet) page(ctx context.Context, method, path string, form url.Values) (string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", c.base)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return "", fmt.Errorf("%s %s: %s", method, path, res.Status)
	}
	return string(b), err
}

func csrf(page string) string {
	if m := csrfRE.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

func getJSON(ctx context.Context, hc *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", u, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

func journey(ctx context.Context, base, out string, stdout io.Writer) error {
	hc := &http.Client{Timeout: 30 * time.Second}
	var pop population
	if err := getJSON(ctx, hc, base+"/sandbox/population", &pop); err != nil {
		return err
	}
	citizen := pop.Citizens[0]

	// 1. The citizen opens access to her identity card in the cabinet.
	jar, _ := cookiejar.New(nil)
	cab := &cabinet{base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	page, err := cab.page(ctx, "GET", "/login?lang=en", nil)
	if err != nil {
		return err
	}
	if page, err = cab.page(ctx, "POST", "/login", url.Values{"csrf": {csrf(page)}, "iin": {citizen.IIN}, "password": {citizen.Password}}); err != nil {
		return err
	}
	var sms []struct{ Text string }
	if err := getJSON(ctx, hc, base+"/sandbox/sms?phone="+url.QueryEscape(citizen.Phone), &sms); err != nil || len(sms) == 0 {
		return fmt.Errorf("no SMS code in the sandbox outbox (%v)", err)
	}
	if _, err = cab.page(ctx, "POST", "/login/code", url.Values{"csrf": {csrf(page)}, "code": {smsRE.FindString(sms[0].Text)}}); err != nil {
		return err
	}
	if page, err = cab.page(ctx, "GET", "/documents?lang=en", nil); err != nil {
		return err
	}
	if page, err = cab.page(ctx, "POST", "/documents/shares", url.Values{"csrf": {csrf(page)}, "kind": {"identity_card"}}); err != nil {
		return err
	}
	m := codeRE.FindStringSubmatch(page)
	if m == nil {
		return errors.New("the share page shows no short code")
	}
	fmt.Fprintf(stdout, "  %s opened access to her identity card; short code %s\n", citizen.Name, m[1])

	// 2. The bank's system redeems the code with its sandbox key.
	bank, err := bankClient(ctx, base, hc, pop)
	if err != nil {
		return err
	}
	v, err := bank.RedeemDocumentCode(ctx, m[1])
	if err != nil {
		return fmt.Errorf("redeem: %w", err)
	}
	fmt.Fprintf(stdout, "  the bank received %s (%s), formed at %s:\n", v.Document.Title["en"], v.Document.Type, v.Document.FormedAt.Format(time.RFC3339))
	for _, k := range []string{"name", "iin", "number", "valid_until"} {
		fmt.Fprintf(stdout, "    %-12s %s\n", k, v.Document.Fields[k])
	}
	// Redeeming the same code again is allowed for the same bank (another recorded
	// view); any other verifier is refused with docs.share.used.

	// 3. The signed record with its audit-log evidence, once the log has it.
	var info []byte
	for {
		info, err = bank.DocumentInformation(ctx, v.View)
		if !errors.Is(err, client.ErrDocumentNotLogged) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	if err != nil {
		return fmt.Errorf("digital information: %w", err)
	}
	fmt.Fprintf(stdout, "  digital information of view %s: %d bytes (check it with: senim docs verify FILE --jwks jwks.json --key LOG-KEY)\n", v.View, len(info))
	if out != "" {
		if err := os.WriteFile(out, info, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// bankClient returns the API client of the demo bank with its sandbox P-256 key.
func bankClient(ctx context.Context, base string, hc *http.Client, pop population) (*client.Client, error) {
	for _, o := range pop.Organizations {
		if o.Role != "bank" {
			continue
		}
		for _, l := range o.Keys {
			if l.Algorithm != "p256" {
				continue
			}
			req, err := http.NewRequestWithContext(ctx, "GET", base+l.URL, nil)
			if err != nil {
				return nil, err
			}
			res, err := hc.Do(req)
			if err != nil {
				return nil, err
			}
			p12, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 {
				return nil, fmt.Errorf("downloading the bank's key: %s", res.Status)
			}
			k, err := client.LoadPKCS12(p12, l.Password)
			if err != nil {
				return nil, err
			}
			return client.New(client.Config{BaseURL: base, Key: k, HTTPClient: hc})
		}
	}
	return nil, errors.New("the sandbox has no bank with a P-256 key")
}
