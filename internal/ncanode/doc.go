// Package ncanode serves Kazakh electronic signatures over HTTP in two forms.
//
// API (Register) answers at the paths and in the JSON shapes of NCANode v3, the
// Java service Kazakh back-ends integrate with today: POST /pkcs12/info,
// /pkcs12/aliases, /x509/info, /x509/verify, /x509/sign, /cms/sign,
// /cms/sign/add, /cms/verify, /cms/extract, /cms/extend, /xml/*, /wsse/*,
// /jwt/encode, /jwt/decode, /jws/sign, /jws/sign/add, /jws/verify (README.md
// has the table of what is served). An integration switches from NCANode to
// Senim by changing the base URL only.
// Every response carries status (the HTTP code) and message, as NCANode's do;
// errors add a member code with Senim's stable dotted code
// (eds.pkcs12.bad_password, eds.cms.malformed, ...).
//
// Clients of these endpoints send private keys and their passwords in the
// request, as they do to NCANode, and the endpoints have no authentication of
// their own, like NCANode. They therefore belong on a separate listener inside an
// organisation's network (serve --ncanode-addr, off unless set), never on a
// listener that faces the internet. See README.md.
//
// RegisterV1 mounts the main API's /v1/eds endpoints (info and verify, and sign
// with sandbox keys when a SandboxSigner is configured). They never accept a
// private key and answer errors as RFC 9457 problem+json.
package ncanode
