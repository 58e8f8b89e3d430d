package pd

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/senimkz/senim/internal/eds/ca"
	"github.com/senimkz/senim/internal/mgov"
	"github.com/senimkz/senim/internal/store"
	"github.com/senimkz/senim/internal/store/storetest"
)

var codeRe = regexp.MustCompile(`: ([0-9A-Z]{4,12})\.`)

func smsCode(t testing.TB, f *fixture) string {
	t.Helper()
	m := codeRe.FindStringSubmatch(f.sms.last().text)
	if m == nil {
		t.Fatalf("no code in %q", f.sms.last().text)
	}
	return m[1]
}

func smsReq() SMSRequest {
	return SMSRequest{Subject: iinAdult, Owner: binRegister, DataSets: []string{"identity"}, Purpose: "SIM card"}
}

// rule PD-6.3.1 rule PD-6.3.2 rule PD-6.3.3 rule PD-6.3.5 rule PD-6.3.6 rule PD-6.3.7:
// a request awaits the subject, a duplicate gets the same id without a second SMS,
// the subject's reply approves and the repeated request returns the token.
func TestSMSFlowReply(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		op := orgOf(t, binOther, ca.P256)
		r, err := f.svc.RequestSMS(t.Context(), op.caller, smsReq())
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != SMSAwaiting || r.RequestID == "" {
			t.Fatalf("%+v", r)
		}
		if f.sms.last().phone != "+77990000001" {
			t.Errorf("SMS to %s", f.sms.last().phone)
		}
		dup, err := f.svc.RequestSMS(t.Context(), op.caller, smsReq())
		if err != nil || dup.RequestID != r.RequestID || dup.Status != SMSAwaiting || len(f.sms.sent) != 1 {
			t.Fatalf("duplicate: %+v %v, %d SMS", dup, err, len(f.sms.sent))
		}
		// Polling before the answer.
		if p, err := f.svc.RequestSMS(t.Context(), op.caller, SMSRequest{RequestID: r.RequestID}); err != nil || p.Status != SMSAwaiting {
			t.Fatalf("poll %+v %v", p, err)
		}
		if err := f.svc.HandleReply(t.Context(), mgov.Reply{Phone: "+77990000001", Text: " " + smsCode(t, f) + " "}); err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.RequestSMS(t.Context(), op.caller, SMSRequest{RequestID: r.RequestID})
		if err != nil || p.Status != SMSIssued || p.TokenResponse == nil {
			t.Fatalf("after the reply: %+v %v", p, err)
		}
		c := decodeST(t, p.SecurityToken)
		if c.Mode != "sms" || c.Subject != iinAdult || c.Audience != binRegister || time.Unix(c.Expiry, 0).Sub(f.now) != time.Hour {
			t.Errorf("claims %+v", c)
		}
		_, err = f.svc.RequestSMS(t.Context(), op.caller, SMSRequest{RequestID: r.RequestID})
		wantCode(t, err, "pd.sms.already_issued", "PD-6.3.7")
	})
}

// rule PD-6.3.7: the operator enters the code the subject tells them; wrong codes are
// counted and lock the request; codes expire.
func TestSMSOperatorCode(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	op := orgOf(t, binOther, ca.P256)
	r, err := f.svc.RequestSMS(t.Context(), op.caller, smsReq())
	if err != nil {
		t.Fatal(err)
	}
	code := smsCode(t, f)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	_, err = f.svc.EnterSMSCode(t.Context(), op.caller, r.RequestID, wrong)
	wantCode(t, err, "pd.sms.code_invalid", "PD-6.3.7")
	// Another organization cannot touch the request.
	bank := orgOf(t, binBank, ca.P256)
	_, err = f.svc.EnterSMSCode(t.Context(), bank.caller, r.RequestID, code)
	wantCode(t, err, "pd.sms.request_unknown", "PD-6.3.6")
	p, err := f.svc.EnterSMSCode(t.Context(), op.caller, r.RequestID, code)
	if err != nil || p.Status != SMSIssued {
		t.Fatalf("%+v %v", p, err)
	}

	// Attempts run out.
	r2, err := f.svc.RequestSMS(t.Context(), op.caller, SMSRequest{Subject: iinOther, Owner: binRegister, DataSets: []string{"identity"}})
	if err != nil {
		t.Fatal(err)
	}
	good := smsCode(t, f)
	bad := "999999"
	if bad == good {
		bad = "888888"
	}
	for i := 0; i < 2; i++ {
		_, err = f.svc.EnterSMSCode(t.Context(), op.caller, r2.RequestID, bad)
		wantCode(t, err, "pd.sms.code_invalid", "PD-6.3.7")
	}
	_, err = f.svc.EnterSMSCode(t.Context(), op.caller, r2.RequestID, bad)
	wantCode(t, err, "pd.sms.attempts_exhausted", "PD-6.3.7")
	_, err = f.svc.EnterSMSCode(t.Context(), op.caller, r2.RequestID, good)
	wantCode(t, err, "pd.sms.attempts_exhausted", "PD-6.3.7")
	if countEvents(t, f.db, "pd.sms.code_failed") != 4 {
		t.Errorf("code_failed events = %d", countEvents(t, f.db, "pd.sms.code_failed"))
	}

	// Expiry.
	r3, err := f.svc.RequestSMS(t.Context(), op.caller, SMSRequest{Subject: iinParent, Owner: binRegister, DataSets: []string{"identity"}})
	if err != nil {
		t.Fatal(err)
	}
	code3 := smsCode(t, f)
	f.now = f.now.Add(6 * time.Minute)
	_, err = f.svc.EnterSMSCode(t.Context(), op.caller, r3.RequestID, code3)
	wantCode(t, err, "pd.sms.expired", "PD-6.3.7")
}

// rule PD-6.3.4: a subject without a number must register on eGov first.
func TestSMSNotRegistered(t *testing.T) {
	f := newFixture(t, storetest.Open(t))
	op := orgOf(t, binOther, ca.P256)
	_, err := f.svc.RequestSMS(t.Context(), op.caller, SMSRequest{Subject: iinNoPhone, Owner: binRegister, DataSets: []string{"identity"}})
	wantCode(t, err, "pd.sms.not_registered", "PD-6.3.4")
	f.sms.fail = errors.New("down")
	_, err = f.svc.RequestSMS(t.Context(), op.caller, smsReq())
	wantCode(t, err, "pd.sms.unavailable", "PD-6.3.5")
}

// A refusal by SMS, and alphanumeric codes.
func TestSMSRefusalAlphanumeric(t *testing.T) {
	f := newFixture(t, storetest.Open(t), func(c *Config) { c.SMSAlphanumeric, c.SMSCodeLength = true, 8 })
	op := orgOf(t, binOther, ca.P256)
	r, err := f.svc.RequestSMS(t.Context(), op.caller, smsReq())
	if err != nil {
		t.Fatal(err)
	}
	if c := smsCode(t, f); !regexp.MustCompile(`^[A-HJ-NP-Z2-9]{8}$`).MatchString(c) {
		t.Errorf("code %q", c)
	}
	if err := f.svc.HandleReply(t.Context(), mgov.Reply{Phone: "+77990000001", Text: "нет"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.RequestSMS(t.Context(), op.caller, SMSRequest{RequestID: r.RequestID})
	wantCode(t, err, "pd.sms.denied", "PD-6.3.7")
	// A reply from another phone changes nothing it should not.
	if err := f.svc.HandleReply(t.Context(), mgov.Reply{Phone: "+77990009999", Text: "123"}); err != nil {
		t.Fatal(err)
	}
}
