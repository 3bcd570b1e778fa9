//! Integration tests of dgraph: one submodule per area.
