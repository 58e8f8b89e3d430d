package gostfast

import "math/big"

// verify512 is the fast path for Tc26512A. For now it is the generic path.
func verify512(c *Curve, qx, qy, u1, u2, r *big.Int) bool {
	return verifyGeneric(c, qx, qy, u1, u2, r)
}
