//! The conformance suite every store backend passes. (Being written.)
