package ncanode

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/senimkz/senim/internal/archive"
	"github.com/senimkz/senim/internal/eds/cms"
	"github.com/senimkz/senim/internal/eds/pki"
	"github.com/senimkz/senim/internal/eds/tsp"
)

// CmsExtendRequest is the body of POST /cms/extend (NCANode's CmsExtendRequest):
// raise an existing CAdES signature to a higher baseline level.
type CmsExtendRequest struct {
	CMS        string `json:"cms"`
	Data       string `json:"data"`       // the content of a detached CMS (required then, as NCANode)
	CadesLevel string `json:"cadesLevel"` // B | T | LT | LTA (LTA is refused)
	TsaPolicy  string `json:"tsaPolicy"`  // as /cms/sign; default TSA_GOST2015_POLICY
}

// cmsExtend answers /cms/extend as NCANode: B returns the CMS as it is; T adds
// a signature time-stamp to every signer without one (cms.AddTimeStamps); LT
// does T, then validates every signer and embeds the chain certificates and
// the CRLs that decided (archive.MakeLT, the archive's own CAdES-LT step), so
// a signer that is not valid is refused (archive.signature.invalid) rather than
// given evidence. LTA (archive time-stamps) is not implemented and refused.
func (a *API) cmsExtend(ctx context.Context, body []byte) (any, error) {
	var req CmsExtendRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	raw, err := decodeCMS("cms", req.CMS)
	if err != nil {
		return nil, err
	}
	level, err := cadesLevel(req.CadesLevel, true)
	if err != nil {
		return nil, err
	}
	var data []byte
	if req.Data != "" {
		if data, err = decodeB64("data", req.Data); err != nil {
			return nil, err
		}
	}
	sd, err := cms.Parse(raw)
	if err != nil {
		return nil, err
	}
	if len(sd.Signers) > a.cfg.MaxSigners {
		return nil, invalidField("cms", fmt.Sprintf("at most %d signers are extended", a.cfg.MaxSigners))
	}
	if !sd.HasContent && data == nil {
		return nil, fail(http.StatusBadRequest, cms.ErrDetachedContentMissing, "Data must be specifieed for detached CMS" /* NCANode's words, spelling included */, nil)
	}
	out, err := a.raiseLevel(ctx, raw, data, !sd.HasContent, level, req.TsaPolicy)
	if err != nil {
		return nil, err
	}
	return CmsResponse{Status: ok, CMS: base64.StdEncoding.EncodeToString(out)}, nil
}

// cadesLevel reads a cadesLevel member: B, T or LT ("" when absent and not required);
// LTA (archive time-stamps) is not implemented and refused.
func cadesLevel(v string, required bool) (string, error) {
	level := strings.ToUpper(strings.TrimSpace(v))
	switch level {
	case "B", "T", "LT":
		return level, nil
	case "LTA":
		return "", fail(http.StatusBadRequest, cms.ErrUnsupported, "cadesLevel: LTA (archive time-stamps) is not supported", nil)
	case "":
		if !required {
			return "", nil
		}
		return "", invalidField("cadesLevel", "required: B, T, LT or LTA")
	}
	return "", invalidField("cadesLevel", "must be B, T, LT or LTA")
}

// raiseLevel raises the CAdES signatures of raw (with data, the content of a detached
// CMS) to level: B returns raw as it is; T adds a signature time-stamp to every signer
// without one (cms.AddTimeStamps); LT does T, then validates every signer and embeds the
// chain certificates and the CRLs that decided (archive.MakeLT), so a signer that is
// not valid is refused (archive.signature.invalid) rather than given evidence.
func (a *API) raiseLevel(ctx context.Context, raw, data []byte, detached bool, level, tsaPolicy string) ([]byte, error) {
	if level == "B" || level == "" {
		return raw, nil
	}
	var stamper cms.TimeStamper
	if a.cfg.TSA != nil {
		policy := tsp.OIDPolicyGOST2015
		if tsaPolicy != "" {
			p, ok := tsp.PolicyByName[tsaPolicy]
			if !ok {
				return nil, fail(http.StatusBadRequest, tsp.ErrUnsupported, "tsaPolicy: must be TSA_GOST_POLICY, TSA_GOSTGT_POLICY or TSA_GOST2015_POLICY", nil)
			}
			policy = p
		}
		if stamper = a.cfg.TSA(policy); stamper == nil {
			return nil, fail(http.StatusBadRequest, tsp.ErrUnsupported, "tsaPolicy: this policy is not served here", nil)
		}
	}
	out, _, err := cms.AddTimeStamps(ctx, raw, data, stamper)
	if err != nil {
		return nil, err
	}
	if level == "LT" {
		if a.cfg.Validator == nil {
			// Without trust anchors nothing decides, and nothing would be embedded.
			return nil, fail(http.StatusBadRequest, pki.ErrUntrusted, "cadesLevel LT needs configured trust anchors", nil)
		}
		var content []byte
		if detached {
			content = data
		}
		val := archive.Validation{Validator: a.cfg.Validator, CurrentCRLs: a.cfg.CRLs, Now: a.cfg.Now}
		if a.cfg.CRLs == nil {
			val.CurrentCRLs = func() []*pki.CRL { return nil }
		}
		if out, _, err = archive.MakeLT(ctx, out, content, val); err != nil {
			return nil, err
		}
	}
	return out, nil
}
