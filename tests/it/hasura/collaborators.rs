//! collaborators
