//! Integration tests of hasura: one submodule per area.
