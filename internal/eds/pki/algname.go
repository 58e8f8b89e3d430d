package pki

import "encoding/asn1"

// algorithmName is the NCANode-style name of a signature algorithm, or the dotted OID.
func algorithmName(oid asn1.ObjectIdentifier) string {
	return oid.String()
}
