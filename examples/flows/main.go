// Command flows runs Senim's three personal-data access flows end to end against a
// running sandbox (`senim serve --sandbox`) and exits non-zero on any failure:
//
//  1. proactive service: the demo bank records a consent (biometric check), makes a
//     verification token with its sandbox key, gets a security token and asks the
//     sandbox population register for the citizen's identity;
//  2. protocol mode: the demo police asks on a legal ground without consent and gets a
//     15-minute token;
//  3. SMS code: the demo mobile operator asks, the citizen's code is read from the
//     sandbox SMS outbox and sent back as the citizen's reply, the operator polls and
//     gets the token.
//
// Usage:
//
//	go run ./examples/flows -url http://localhost:8080 [-alg gost2015|p256]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"time"

	"github.com/senimkz/senim/client"
)

type keyLink struct {
	Algorithm string `json:"algorithm"`
	URL       string `json:"url"`
	Password  string `json:"password"`
}

type population struct {
	Citizens []struct {
		IIN   string `json:"iin"`
		Phone string `json:"phone"`
	} `json:"citizens"`
	Organizations []struct {
		BIN  string    `json:"bin"`
		Role string    `json:"role"`
		Keys []keyLink `json:"keys"`
	} `json:"organizations"`
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("flows", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", envOr("SENIM_URL", "http://localhost:8080"), "the sandbox's base URL")
	alg := fs.String("alg", "gost2015", "the organizations' key algorithm: gost2015 or p256")
	timeout := fs.Duration("timeout", time.Minute, "overall time limit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	r := &runner{base: *base, alg: *alg, out: stdout, http: &http.Client{Timeout: 30 * time.Second}}
	if err := r.all(ctx); err != nil {
		fmt.Fprintf(stderr, "FAIL: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "OK: all three flows passed")
	return 0
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

type runner struct {
	base, alg string
	out       io.Writer
	http      *http.Client
	pop       population
}

func (r *runner) step(format string, a ...any) { fmt.Fprintf(r.out, "  "+format+"\n", a...) }

func (r *runner) getJSON(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", r.base+path, nil)
	if err != nil {
		return err
	}
	res, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("GET %s: %s %s", path, res.Status, b)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// org returns the client and key of the demo organization with role.
func (r *runner) org(ctx context.Context, role string) (*client.Client, *client.Key, string, error) {
	for _, o := range r.pop.Organizations {
		if o.Role != role {
			continue
		}
		for _, l := range o.Keys {
			if l.Algorithm != r.alg {
				continue
			}
			req, err := http.NewRequestWithContext(ctx, "GET", r.base+l.URL, nil)
			if err != nil {
				return nil, nil, "", err
			}
			res, err := r.http.Do(req)
			if err != nil {
				return nil, nil, "", err
			}
			p12, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 {
				return nil, nil, "", fmt.Errorf("downloading the %s key of the %s: %s", r.alg, role, res.Status)
			}
			k, err := client.LoadPKCS12(p12, l.Password)
			if err != nil {
				return nil, nil, "", fmt.Errorf("the %s key: %w", role, err)
			}
			c, err := client.New(client.Config{BaseURL: r.base, Key: k, HTTPClient: r.http})
			return c, k, o.BIN, err
		}
		return nil, nil, "", fmt.Errorf("the sandbox offers no %s key for the %s", r.alg, role)
	}
	return nil, nil, "", fmt.Errorf("the sandbox has no organization with role %s", role)
}

var codeRe = regexp.MustCompile(`: ([0-9A-Z]{4,12})\.`)

func (r *runner) all(ctx context.Context) error {
	if err := r.getJSON(ctx, "/sandbox/population", &r.pop); err != nil {
		return fmt.Errorf("the sandbox population (is the server running with --sandbox?): %w", err)
	}
	if len(r.pop.Citizens) == 0 {
		return errors.New("the sandbox population has no citizens")
	}
	subject := r.pop.Citizens[0]
	_, _, register, err := r.orgNoKey("state_body")
	if err != nil {
		return err
	}
	ownerURL := r.base + "/sandbox/popreg/v1/persons/" + url.PathEscape(subject.IIN) + "?data_sets=identity"
	now := time.Now()

	fmt.Fprintln(r.out, "flow 1: proactive service with consent (PD-6.1)")
	bank, bankKey, _, err := r.org(ctx, "bank")
	if err != nil {
		return err
	}
	cons, err := bank.RecordConsent(ctx, client.ConsentRecord{Subject: subject.IIN, Owner: register, DataSets: []string{"identity", "address"},
		Purpose: "loan application (example)", ValidUntil: now.Add(24 * time.Hour), Method: "biometric", Reference: "example-bio-check"}, "")
	if err != nil {
		return fmt.Errorf("flow 1, recording the consent: %w", err)
	}
	r.step("consent %s recorded (biometric)", cons.ID)
	vt, err := bankKey.ProactiveToken(subject.IIN, "LOAN-KYC", register, []string{"identity"}, "biometric", cons.ID, time.Now())
	if err != nil {
		return err
	}
	tok, err := bank.Proactive(ctx, vt)
	if err != nil {
		return fmt.Errorf("flow 1: %w", err)
	}
	r.step("security token %s, until %s, trusted system: %v", tok.JTI, tok.ExpiresAt.Format(time.RFC3339), tok.TrustedSystem)
	if err := r.fetch(ctx, bank, ownerURL, tok.SecurityToken); err != nil {
		return fmt.Errorf("flow 1, data owner: %w", err)
	}

	fmt.Fprintln(r.out, "flow 2: protocol mode on a legal ground (PD-6.2)")
	police, policeKey, _, err := r.org(ctx, "law_enforcement")
	if err != nil {
		return err
	}
	pvt, err := policeKey.ProtocolToken(subject.IIN, "CPC-199", register, []string{"identity"}, "criminal case (example)", time.Now())
	if err != nil {
		return err
	}
	ptok, err := police.Protocol(ctx, pvt)
	if err != nil {
		return fmt.Errorf("flow 2: %w", err)
	}
	r.step("security token %s, valid %s", ptok.JTI, time.Until(ptok.ExpiresAt).Round(time.Minute))
	if err := r.fetch(ctx, police, ownerURL, ptok.SecurityToken); err != nil {
		return fmt.Errorf("flow 2, data owner: %w", err)
	}

	fmt.Fprintln(r.out, "flow 3: one-time code by SMS (PD-6.3)")
	op, _, _, err := r.org(ctx, "mobile_operator")
	if err != nil {
		return err
	}
	st, err := op.RequestSMS(ctx, client.SMSRequest{Subject: subject.IIN, Owner: register, DataSets: []string{"identity"}, Purpose: "SIM card (example)"})
	if err != nil {
		return fmt.Errorf("flow 3: %w", err)
	}
	r.step("request %s: %s", st.RequestID, st.Status)
	var msgs []struct {
		Text string `json:"text"`
	}
	if err := r.getJSON(ctx, "/sandbox/sms?phone="+url.QueryEscape(subject.Phone), &msgs); err != nil {
		return fmt.Errorf("flow 3, the SMS outbox: %w", err)
	}
	var code string
	for _, m := range msgs { // newest first
		if c := codeRe.FindStringSubmatch(m.Text); c != nil {
			code = c[1]
			break
		}
	}
	if code == "" {
		return errors.New("flow 3: no one-time code in the sandbox SMS outbox")
	}
	body, _ := json.Marshal(map[string]string{"phone": subject.Phone, "text": code})
	res, err := r.http.Post(r.base+"/sandbox/sms/reply", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		return fmt.Errorf("flow 3, the citizen's reply: %s", res.Status)
	}
	r.step("the citizen replied with the code")
	stok, err := op.WaitSMS(ctx, st.RequestID, 200*time.Millisecond)
	if err != nil {
		return fmt.Errorf("flow 3: %w", err)
	}
	r.step("security token %s", stok.JTI)
	if err := r.fetch(ctx, op, ownerURL, stok.SecurityToken); err != nil {
		return fmt.Errorf("flow 3, data owner: %w", err)
	}
	return nil
}

func (r *runner) orgNoKey(role string) (*client.Client, *client.Key, string, error) {
	for _, o := range r.pop.Organizations {
		if o.Role == role {
			return nil, nil, o.BIN, nil
		}
	}
	return nil, nil, "", fmt.Errorf("the sandbox has no organization with role %s", role)
}

func (r *runner) fetch(ctx context.Context, c *client.Client, ownerURL, token string) error {
	var data map[string]any
	if err := c.DataRequest(ctx, ownerURL, token, &data); err != nil {
		return err
	}
	if data["identity"] == nil {
		return fmt.Errorf("the data owner's answer has no identity: %v", data)
	}
	r.step("the population register answered with the identity")
	return nil
}
