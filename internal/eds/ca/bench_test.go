package ca

import "testing"

// BenchmarkRespondOCSP: one OCSP answer (parse, look up, sign) per hierarchy.
func BenchmarkRespondOCSP(b *testing.B) {
	c := testCA(b)
	for _, alg := range []Algorithm{GOST2015, P256} {
		b.Run(string(alg), func(b *testing.B) {
			is, err := c.IssueIndividual(aigerim, alg)
			if err != nil {
				b.Fatal(err)
			}
			req := mustOCSPRequest(b, is.Certificate, is.Chain[0])
			for b.Loop() {
				c.RespondOCSP(req)
			}
		})
	}
}

// BenchmarkIssueIndividual: key generation, certificate signing and the state write.
func BenchmarkIssueIndividual(b *testing.B) {
	c := testCA(b)
	for _, alg := range []Algorithm{GOST2015, P256} {
		b.Run(string(alg), func(b *testing.B) {
			for b.Loop() {
				if _, err := c.IssueIndividual(aigerim, alg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
