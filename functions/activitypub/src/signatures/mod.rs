//! HTTP signatures (draft-cavage, RFC 9421) and object integrity proofs (FEP-8b32).
