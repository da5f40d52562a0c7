//! dkg
