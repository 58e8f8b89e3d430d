package orgauth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/senimkz/senim/internal/eds"
	"github.com/senimkz/senim/internal/eds/jws"
)

// SignRequest sets the Authorization header of req to a Senim-Signature over its
// method, path, query and body (which the caller passes, since req.Body is a stream).
// chain is the signer's certificate first, optionally followed by intermediates.
func SignRequest(req *http.Request, body []byte, signer eds.Signer, chain []*x509.Certificate, now time.Time) error {
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	payload, err := json.Marshal(claims{
		Htm: req.Method,
		Htu: req.URL.RequestURI(),
		Iat: now.Unix(),
		Jti: base64.RawURLEncoding.EncodeToString(jti[:]),
		Bdh: base64.RawURLEncoding.EncodeToString(sum[:]),
	})
	if err != nil {
		return err
	}
	tok, err := jws.Sign(signer, chain, TokenType, payload)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", Scheme+" "+tok)
	return nil
}
