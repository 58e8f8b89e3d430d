package pd

import (
	"net/http"

	"github.com/senimkz/senim/internal/problem"
)

// Errors of the package. Each is a *problem.Problem with a stable code and, where a
// rule of docs/rules.md is enforced, the rule; every check of a flow has its own code so
// the response names the failed step. Test them with errors.Is (problems compare by
// code).
var (
	// Directories and the registry (admin API).
	ErrNotRegulator     = problem.New(http.StatusForbidden, "pd.admin.not_regulator", "Only the authorized body may change the directories")
	ErrInvalidDirectory = problem.New(http.StatusBadRequest, "pd.directory.invalid", "The directory entry is invalid")
	ErrNotFound         = problem.New(http.StatusNotFound, "pd.not_found", "No such entry")
	ErrInvalidObject    = problem.New(http.StatusBadRequest, "pd.trusted_object.invalid", "The trusted object is invalid").WithRule("TR-1")
	ErrObjectNotTrusted = problem.New(http.StatusForbidden, "pd.trusted_object.not_trusted", "The initiator's information system is not a trusted digital object").WithRule("TR-2")
	ErrDataOwnerUnknown = problem.New(http.StatusUnprocessableEntity, "pd.data_owner.unknown", "The data owner is not in the directory")
	ErrDataSetUnknown   = problem.New(http.StatusUnprocessableEntity, "pd.data_set.unknown", "A data set is not one the data owner holds")
	ErrInvalidRequest   = problem.New(http.StatusBadRequest, "pd.request.invalid", "The request is invalid")
	ErrForbidden        = problem.New(http.StatusForbidden, "pd.forbidden", "This is not yours to see or change")
	ErrSubjectInvalid   = problem.New(http.StatusBadRequest, "pd.subject.invalid", "The subject's IIN is invalid")

	// Consents.
	ErrConsentInvalid = problem.New(http.StatusBadRequest, "pd.consent.invalid", "The consent is invalid").WithRule("PD-3.2")
	// ErrConsentEndPast and ErrConsentEndTooFar: the end a person chose for a consent,
	// checked before they sign (CheckConsentEnd); choose another date.
	ErrConsentEndPast        = problem.New(http.StatusBadRequest, "pd.consent.end_past", "The consent's end date has passed").WithRule("PD-3.2")
	ErrConsentEndTooFar      = problem.New(http.StatusBadRequest, "pd.consent.end_too_far", "The consent's end date is beyond the longest a consent may last").WithRule("PD-3.2")
	ErrConsentMethod         = problem.New(http.StatusUnprocessableEntity, "pd.consent.method_not_allowed", "Consent must be obtained by biometrics, EDS or on paper").WithRule("PD-6.1.1")
	ErrConsentOTP            = problem.New(http.StatusUnprocessableEntity, "pd.consent.otp_not_allowed", "A one-time password over a mobile network can neither give consent nor access in flows 1 and 2").WithRule("PD-6.X")
	ErrConsentNeedsEDS       = problem.New(http.StatusUnprocessableEntity, "pd.consent.eds_required", "A consent for a proactive service must be confirmed with an EDS signature over its text").WithRule("PD-6.1.1")
	ErrConsentSignature      = problem.New(http.StatusUnprocessableEntity, "pd.consent.signature_invalid", "The EDS signature over the consent text does not verify or is not the signer's").WithRule("PD-6.1.1")
	ErrConsentEvidence       = problem.New(http.StatusUnprocessableEntity, "pd.consent.evidence_missing", "A consent recorded by the initiator needs evidence of how it was obtained").WithRule("PD-6.1.1")
	ErrConsentNotFound       = problem.New(http.StatusForbidden, "pd.consent.not_found", "The subject has not given this initiator consent for this data").WithRule("PD-6.1.1")
	ErrConsentRevoked        = problem.New(http.StatusForbidden, "pd.consent.revoked", "The subject revoked the consent").WithRule("PD-3.3")
	ErrConsentRefused        = problem.New(http.StatusForbidden, "pd.consent.refused", "The subject refused consent").WithRule("PD-3.2")
	ErrConsentExpired        = problem.New(http.StatusForbidden, "pd.consent.expired", "The consent's period is over").WithRule("PD-3.2")
	ErrConsentScope          = problem.New(http.StatusForbidden, "pd.consent.scope_not_covered", "The consent does not cover these data sets or this purpose").WithRule("PD-3.2")
	ErrConsentAlreadyRevoked = problem.New(http.StatusConflict, "pd.consent.already_revoked", "The consent or refusal is already revoked").WithRule("PD-3.3")
	ErrNotRepresentative     = problem.New(http.StatusForbidden, "pd.consent.not_representative", "Only the subject, or the legal representative of a minor, may decide").WithRule("PD-3.2")

	// Verification token (flows 1 and 2).
	ErrVTMissing        = problem.New(http.StatusBadRequest, "pd.verification_token.missing", "The request carries no verification token").WithRule("PD-6.1.3")
	ErrVTMalformed      = problem.New(http.StatusBadRequest, "pd.verification_token.malformed", "The verification token is not a well-formed token").WithRule("PD-6.1.3")
	ErrVTAlg            = problem.New(http.StatusBadRequest, "pd.verification_token.alg_unsupported", "The verification token's algorithm is not supported").WithRule("PD-6.1.4")
	ErrVTCertificate    = problem.New(http.StatusUnauthorized, "pd.verification_token.certificate_invalid", "The EDS certificate of the verification token is not valid or not trusted").WithRule("PD-6.1.4")
	ErrVTSignature      = problem.New(http.StatusUnauthorized, "pd.verification_token.signature_invalid", "The verification token's signature does not verify with the EDS presented").WithRule("PD-6.1.4")
	ErrVTMode           = problem.New(http.StatusUnprocessableEntity, "pd.verification_token.mode_mismatch", "The verification token is for another mode of access").WithRule("PD-6.1.2")
	ErrVTClaims         = problem.New(http.StatusUnprocessableEntity, "pd.verification_token.claims_invalid", "A claim of the verification token is missing or invalid").WithRule("PD-6.1.2")
	ErrVTBIN            = problem.New(http.StatusForbidden, "pd.verification_token.bin_mismatch", "The BIN in the verification token is not the BIN of the request").WithRule("PD-6.1.6")
	ErrVTTooOld         = problem.New(http.StatusUnprocessableEntity, "pd.verification_token.too_old", "The verification token was formed too long ago").WithRule("PD-6.1.8")
	ErrVTInFuture       = problem.New(http.StatusUnprocessableEntity, "pd.verification_token.in_future", "The verification token's formation date is in the future").WithRule("PD-6.1.8")
	ErrVTReplayed       = problem.New(http.StatusConflict, "pd.verification_token.replayed", "This verification token was already presented").WithRule("PD-6.1.8")
	ErrServiceCode      = problem.New(http.StatusUnprocessableEntity, "pd.service_code.unknown", "The proactive service code is not in the directory").WithRule("PD-6.1.5")
	ErrServiceCodeBIN   = problem.New(http.StatusForbidden, "pd.service_code.bin_mismatch", "The proactive service code does not belong to this BIN").WithRule("PD-6.1.5")
	ErrServiceCodeScope = problem.New(http.StatusForbidden, "pd.service_code.scope_mismatch", "The data owner or data sets are not those of the proactive service").WithRule("PD-6.1.5")
	ErrAccessMethod     = problem.New(http.StatusForbidden, "pd.access_method.not_allowed", "A way of access the token names is not allowed for this access").WithRule("PD-6.1.7")
	ErrGroundMissing    = problem.New(http.StatusUnprocessableEntity, "pd.ground.missing", "A protocol-mode request needs a code from the directory of grounds").WithRule("PD-6.2.1")
	ErrGroundUnknown    = problem.New(http.StatusUnprocessableEntity, "pd.ground.unknown", "The ground code is not in the directory").WithRule("PD-6.2.1")
	ErrConsentMarker    = problem.New(http.StatusUnprocessableEntity, "pd.verification_token.consent_marker", "A protocol-mode token must be marked \"no consent obtained\"").WithRule("PD-6.2.1")
	ErrProtocolDenied   = problem.New(http.StatusForbidden, "pd.protocol.not_permitted", "This BIN may not receive security tokens in protocol mode on this ground").WithRule("PD-6.2.2")

	// Flow 3.
	ErrSMSNotRegistered = problem.New(http.StatusConflict, "pd.sms.not_registered", "The subject has no mobile number in the mobile citizens database: they must register on the eGov portal first").WithRule("PD-6.3.4")
	ErrSMSUnavailable   = problem.New(http.StatusServiceUnavailable, "pd.sms.unavailable", "The mobile government systems did not answer; retry later").WithRule("PD-6.3.5")
	ErrSMSCode          = problem.New(http.StatusUnprocessableEntity, "pd.sms.code_invalid", "The one-time code is wrong").WithRule("PD-6.3.7")
	ErrSMSLocked        = problem.New(http.StatusForbidden, "pd.sms.attempts_exhausted", "Too many wrong codes: the request is closed; start a new one").WithRule("PD-6.3.7")
	ErrSMSExpired       = problem.New(http.StatusGone, "pd.sms.expired", "The request's one-time code has expired; start a new one").WithRule("PD-6.3.7")
	ErrSMSDenied        = problem.New(http.StatusForbidden, "pd.sms.denied", "The subject refused the request").WithRule("PD-6.3.7")
	ErrSMSNotFound      = problem.New(http.StatusNotFound, "pd.sms.request_unknown", "No such request of yours").WithRule("PD-6.3.6")
	ErrSMSIssued        = problem.New(http.StatusConflict, "pd.sms.already_issued", "The security token for this request was already issued").WithRule("PD-6.3.7")

	// Data owners.
	ErrReportInvalid = problem.New(http.StatusBadRequest, "pd.report.invalid", "The report of an action is invalid").WithRule("PD-3.4")
	ErrReportToken   = problem.New(http.StatusForbidden, "pd.report.token_mismatch", "The security token is not one issued to you as data owner for this subject").WithRule("PD-3.4")
	// ErrReportOutside: the report names data sets the token did not cover, or a time
	// before it was issued. The citizen's notice would attribute to the initiator an
	// access it was not given; the owner reports such an action as its own (no token).
	ErrReportOutside = problem.New(http.StatusUnprocessableEntity, "pd.report.outside_token", "The action reported is outside the security token it names").WithRule("PD-3.4")
)
